"""The genesis store: sessions, artifact versions, gate results, revision requests, outbox."""

from collections.abc import Iterator
from contextlib import contextmanager

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.outcome import NextStep, PreviousAttempt, StageOutcome, Strategy
from genesis_pipeline.domain.session import ReviewMode, SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage
from genesis_pipeline.domain.verdicts import Finding, GateName
from genesis_pipeline.gates.text import artifact_text
from genesis_pipeline.store.engine import shared_engine
from genesis_pipeline.store.records import (
    GateRecord,
    SessionRecord,
    StageBrief,
    StageRow,
    VersionRecord,
)
from genesis_pipeline.store.repositories import utcnow
from genesis_pipeline.store.session_facts import (
    BibleExport,
    add_session,
    bible_document,
    complete_session,
)
from genesis_pipeline.store.stage_facts import outcome_events
from genesis_pipeline.store.unit_of_work import UnitOfWork

# Revision requests that a failed gate made (not the writer's): the ones a stall can repeat.
GATE_REASONS = frozenset(gate.value for gate in GateName)


class UnknownSessionError(LookupError):
    pass


class IncompleteSessionError(LookupError):
    pass


class ConcurrentVersionError(RuntimeError):
    """Another run stored this version number from a different basis; retrying is safe."""


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

    def create_session(
        self,
        session_id: str,
        spec: SessionSpec,
        *,
        correlation_id: str,
        causation_id: str | None = None,
    ) -> bool:
        """Store a new session with its `session.created` event; False if it already exists."""
        with self.unit_of_work() as uow:
            if not add_session(uow, session_id, spec, correlation_id, causation_id):
                return False
            uow.commit()
            return True

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

    def record_outcome(
        self,
        outcome: StageOutcome,
        artifact: Artifact,
        *,
        run_id: str | None,
        summary: str,
        export_bible: BibleExport | None = None,
    ) -> VersionRecord:
        """Store a draft, its verdicts, their decision and every event announcing it: one fact."""
        with self.unit_of_work() as uow:
            session = uow.sessions.get(outcome.session_id)
            if session is None:
                raise UnknownSessionError(f"no session {outcome.session_id!r} in the genesis store")
            completed = outcome.decision.step is NextStep.COMPLETE
            auto = session.review_mode is ReviewMode.AUTO
            stored = uow.artifacts.add(
                dict(
                    session_id=outcome.session_id,
                    stage=outcome.stage.value,
                    version=outcome.version,
                    attempt=outcome.attempt,
                    seed=outcome.seed,
                    basis_key=outcome.basis_key,
                    status="passed" if completed else "failed",
                    content=artifact.model_dump(mode="json"),
                    upstream_versions={s.value: v for s, v in outcome.upstream_versions.items()},
                    quality_score=outcome.quality_score,
                    model=outcome.model,
                    prompt_version=outcome.prompt_version,
                    tokens_in=outcome.tokens_in,
                    tokens_out=outcome.tokens_out,
                    latency_ms=outcome.latency_ms,
                    revision_request_id=outcome.revision_request_id,
                    run_id=run_id,
                    approved_by="auto" if completed and auto else None,
                    approved_at=None,
                    created_at=utcnow(),
                )
            )
            existing = uow.artifacts.by_basis(outcome.session_id, outcome.stage, outcome.basis_key)
            if existing is None:
                raise ConcurrentVersionError(
                    f"version {outcome.version} of {outcome.stage} for {outcome.session_id} "
                    "was stored by another run from different inputs; retry the stage"
                )
            if not stored:
                return existing  # the same attempt was recorded already (a re-run or a race)

            for verdict in outcome.verdicts:
                findings = [f.model_dump() for f in verdict.findings]
                record = GateRecord(
                    verdict.gate, verdict.passed, verdict.score, verdict.threshold, findings
                )
                uow.gates.add(existing.id, record)
            uow.revisions.resolve(
                outcome.session_id, outcome.stage, up_to=outcome.revision_request_id
            )

            bible_location = None
            decision = outcome.decision
            if completed and auto and outcome.stage is Stage.STORY_BIBLE:
                # In review mode human the writer's `accept` of the bible completes the session.
                bible_location = complete_session(uow, existing, export_bible)
            elif decision.step is NextStep.REWRITE:
                assert decision.next_attempt is not None and decision.reason is not None
                fresh = decision.strategy is Strategy.FRESH
                uow.revisions.add(
                    session_id=outcome.session_id,
                    stage=outcome.stage,
                    reason=decision.reason,
                    instructions=decision.instructions,
                    next_attempt=decision.next_attempt,
                    # 31 bits: the seed columns are INTEGER, signed 32-bit on PostgreSQL.
                    seed=(outcome.seed + 1) % 2**31 if fresh else outcome.seed,
                    origin_key=f"gate:{existing.id}",
                    strategy=decision.strategy,
                )
            elif decision.step is NextStep.FAIL:
                uow.sessions.set_status(
                    outcome.session_id,
                    SessionStatus.NEEDS_ATTENTION,
                    f"{outcome.stage} failed its {decision.reason} gate "
                    f"after {outcome.attempt} attempts",
                )

            for fact_key, event in outcome_events(
                outcome,
                session,
                version_id=existing.id,
                run_id=run_id,
                summary=summary,
                bible_location=bible_location,
            ):
                uow.outbox.add(event, fact_key=fact_key)
            uow.commit()
            return existing

    def record_stage_failure(
        self, session_id: str, stage: Stage, *, error_class: str, message: str, run_id: str
    ) -> None:
        """A permanent error in a stage: `stage.failed`, and the session needs attention."""
        with self.unit_of_work() as uow:
            session = uow.sessions.get(session_id)
            if session is None or session.status in (SessionStatus.PAUSED, SessionStatus.CANCELLED):
                return  # the stage stopped because the writer paused or cancelled the session
            latest = uow.artifacts.latest(session_id, stage)
            event = new_event(
                EventType.STAGE_FAILED,
                session_id=session_id,
                correlation_id=session.correlation_id,
                payload={
                    "stage": stage.value,
                    "attempts": latest.attempt if latest else 0,
                    "error_class": error_class,
                    "message": message[:2000],
                    "run_id": run_id,
                },
            )
            if uow.outbox.add(event, fact_key=f"stage.failed:{run_id}:{stage.value}"):
                reason = f"{stage} failed: {message.splitlines()[0][:300]}"
                uow.sessions.set_status(session_id, SessionStatus.NEEDS_ATTENTION, reason)
            uow.commit()

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
                    )
                )
        return rows


def _previous_attempt(latest: VersionRecord, gates: list[GateRecord]) -> PreviousAttempt:
    findings = frozenset(
        Finding.model_validate(finding)
        for gate in gates
        if not gate.passed
        for finding in gate.findings
    )
    return PreviousAttempt(latest.attempt, artifact_text(latest.artifact()), findings)
