"""The genesis store: sessions, artifact versions, gate results, revision requests, outbox.

It opens units of work for the rules (`genesis_pipeline.service.handlers`) and answers what
the stages and the CLI read: a stage's brief, the status table, the exported bible."""

from collections.abc import Iterator
from contextlib import contextmanager

from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.metrics import Metric
from genesis_pipeline.domain.outcome import PreviousAttempt, Strategy
from genesis_pipeline.domain.records import (
    GateRecord,
    SessionRecord,
    StageBrief,
    StageRow,
    VersionRecord,
)
from genesis_pipeline.domain.spending import Spending
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage
from genesis_pipeline.domain.verdicts import Finding, GateName
from genesis_pipeline.gates.text import artifact_text
from genesis_pipeline.service.handlers import UnknownSessionError, bible_document
from genesis_pipeline.service.planner import SessionState
from genesis_pipeline.store.engine import shared_engine
from genesis_pipeline.store.metric_totals import Amounts
from genesis_pipeline.store.unit_of_work import UnitOfWork

# Revision requests that a failed gate made (not the writer's): the ones a stall can repeat.
GATE_REASONS = frozenset(gate.value for gate in GateName)


class IncompleteSessionError(LookupError):
    pass


class GenesisStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = shared_engine(url)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """Repositories for reading, without holding a write lock."""
        uow = UnitOfWork(self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        with uow:
            yield uow

    def count_inbound_failure(self, message_key: str, error: str) -> int:
        """Count a failed attempt at an inbound message, in its own transaction (the handler's
        rolled back); the attempts so far."""
        with self.unit_of_work() as uow:
            attempts = uow.inbox.count_failure(message_key, error)
            uow.commit()
        return attempts

    def add_totals(self, metric: Metric, amounts: Amounts) -> None:
        """Add to the deployment's metric totals in a transaction of their own (for a fact
        that has none in the store, such as a dead letter published)."""
        with self.unit_of_work() as uow:
            uow.metric_totals.add(metric, amounts)
            uow.commit()

    def session(self, session_id: str) -> SessionRecord:
        with self.read() as r:
            session = r.sessions.get(session_id)
        if session is None:
            raise UnknownSessionError(f"no session {session_id!r} in the genesis store")
        return session

    def brief(self, session_id: str, stage: Stage) -> StageBrief:
        with self.read() as r:
            session = r.sessions.get(session_id)
            if session is None:
                raise UnknownSessionError(f"no session {session_id!r} in the genesis store")
            passed = {
                dep: r.artifacts.current_approved(session_id, dep) for dep in STAGE_INPUTS[stage]
            }
            passed_versions = {dep: v.version for dep, v in passed.items() if v is not None}
            latest = r.artifacts.latest(session_id, stage)
            requests = r.revisions.pending_for(session_id, stage)
            gate_retry = bool(requests) and all(req.reason in GATE_REASONS for req in requests)
            previous_attempt = (
                _previous_attempt(latest, r.gates.for_version(latest.id))
                if latest is not None and gate_retry
                else None
            )
        version = latest.version + 1 if latest else 1
        if requests:
            newest = requests[-1]
            regenerate = any(req.reason == "regenerate" for req in requests)
            fresh = any(req.strategy is Strategy.FRESH for req in requests)
            return StageBrief(
                session=session,
                stage=stage,
                version=version,
                attempt=max(req.next_attempt for req in requests),
                seed=newest.seed,
                passed_versions=passed_versions,
                revisions=tuple(requests),
                previous=None if regenerate or fresh else latest,
                instructions=tuple(i for req in requests for i in req.instructions),
                strategy=Strategy.FRESH if fresh else Strategy.REVISE,
                previous_attempt=previous_attempt,
            )
        same_basis = latest is not None and latest.upstream_versions == passed_versions
        return StageBrief(
            session=session,
            stage=stage,
            version=version,
            attempt=latest.attempt + 1 if latest and same_basis else 1,
            seed=latest.seed if latest else 0,
            passed_versions=passed_versions,
        )

    def current_approved(self, session_id: str, stage: Stage) -> VersionRecord | None:
        with self.read() as r:
            return r.artifacts.current_approved(session_id, stage)

    def bible_document(self, session_id: str) -> BibleDocument:
        """The bible of the session's current passed `story_bible`, as exported."""
        with self.read() as r:
            if r.sessions.get(session_id) is None:
                raise UnknownSessionError(f"no session {session_id!r} in the genesis store")
            bible = r.artifacts.current_approved(session_id, Stage.STORY_BIBLE)
            if bible is None:
                raise IncompleteSessionError(
                    f"session {session_id!r} has no approved story bible that passed its gates yet"
                )
            return bible_document(r, bible)

    def spending(self, session_id: str) -> Spending:
        """Tokens and cost of every model call the session made."""
        with self.read() as r:
            return r.spending.of(session_id)

    def stage_rows(self, session_id: str) -> list[StageRow]:
        rows = []
        with self.read() as r:
            for stage in STAGE_ORDER:
                latest = r.artifacts.latest(session_id, stage)
                requests = r.revisions.pending_for(session_id, stage)
                rows.append(
                    StageRow(
                        stage=stage,
                        versions=r.artifacts.count(session_id, stage),
                        latest=latest,
                        passed=r.artifacts.current_passed(session_id, stage),
                        gates=r.gates.for_version(latest.id) if latest else [],
                        pending_revision=requests[-1] if requests else None,
                        spending=r.spending.of(session_id, stage=stage.value),
                    )
                )
        return rows


def session_state(r: UnitOfWork, session_id: str) -> SessionState | None:
    """The session as the planner sees it (`service.planner`), read in `r`."""
    session = r.sessions.get(session_id)
    if session is None:
        return None
    return SessionState(
        session=session,
        pending=tuple(r.revisions.pending_for_session(session_id)),
        passed={s: r.artifacts.current_passed(session_id, s) for s in STAGE_ORDER},
        approved={s: r.artifacts.current_approved(session_id, s) for s in STAGE_ORDER},
    )


def _previous_attempt(latest: VersionRecord, gates: list[GateRecord]) -> PreviousAttempt:
    findings = frozenset(
        Finding.model_validate(finding)
        for gate in gates
        if not gate.passed
        for finding in gate.findings
    )
    return PreviousAttempt(latest.attempt, artifact_text(latest.artifact()), findings)
