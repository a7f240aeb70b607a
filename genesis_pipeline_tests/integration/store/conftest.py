from datetime import UTC, datetime
from pathlib import Path

import pytest

from genesis_pipeline.domain.artifacts import Concept, ConceptCandidate
from genesis_pipeline.domain.outcome import StageOutcome, decide
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import Finding, GateName, GateVerdict
from genesis_pipeline.service import handlers
from genesis_pipeline.store.genesis_store import GenesisStore

PASSED_EVENTS = [
    "genesis.stage.started",
    "genesis.agent.task.requested",
    "genesis.agent.task.completed",
    "genesis.content.generated",
    "genesis.quality.check.completed",
    "genesis.consistency.check.requested",
    "genesis.consistency.check.completed",
    "genesis.stage.completed",
    "genesis.content.approved",
]

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=DATABASES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated genesis store: a SQLite file, or a scratch PostgreSQL
    database (the `postgres_url` fixture, requested only for the postgresql param)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'genesis.db'}"


@pytest.fixture
def store(store_url: str) -> GenesisStore:
    return GenesisStore(store_url)


@pytest.fixture
def session_id(store: GenesisStore) -> str:
    handlers.create_session(
        store.unit_of_work(),
        "harbor-01",
        SessionSpec(premise="A lighthouse keeper finds a map", max_attempts=2),
        correlation_id="corr-1",
    )
    return "harbor-01"


def event_types(store: GenesisStore, session_id: str) -> list[str]:
    """The session's outbox, oldest first, as event types."""
    with store.read() as r:
        return [e.event_type for e in r.outbox.for_session(session_id)]


def concept_artifact(title: str = "The Salt Map") -> Concept:
    candidate = ConceptCandidate(
        title=title,
        hook="A keeper on Gull Rock finds a map drawn in salt.",
        genre="mystery",
        themes=["memory"],
    )
    other = candidate.model_copy(update={"title": title + " II"})
    return Concept(candidates=[candidate, other], selected=0, rationale="It names the stakes.")


def verdicts(
    stage: Stage, *, quality: bool = True, consistency: bool = True
) -> tuple[GateVerdict, ...]:
    def verdict(gate: GateName, passed: bool) -> GateVerdict:
        findings = () if passed else (Finding(field="candidates[0].hook", problem="placeholder"),)
        return GateVerdict(
            gate=gate,
            stage=stage,
            passed=passed,
            score=0.9 if passed else 0.4,
            threshold=0.75 if gate is GateName.QUALITY else None,
            findings=findings,
        )

    return (verdict(GateName.QUALITY, quality), verdict(GateName.CONSISTENCY, consistency))


def outcome_for(store: GenesisStore, session_id: str, stage: Stage, **gates: bool) -> StageOutcome:
    """The outcome a stage run would hand the IO manager, from the store's own brief."""
    brief = store.brief(session_id, stage)
    found = verdicts(stage, **gates)
    return StageOutcome(
        session_id=session_id,
        stage=stage,
        version=brief.version,
        attempt=brief.attempt,
        seed=brief.seed,
        basis_key=brief.basis_key,
        upstream_versions=brief.passed_versions,
        revision_request_id=brief.revision_request_id,
        model="test",
        prompt_version="t-v1",
        tokens_in=10,
        tokens_out=20,
        latency_ms=1.5,
        started_at=datetime.now(UTC),
        verdicts=found,
        decision=decide(found, attempt=brief.attempt, max_attempts=brief.session.spec.max_attempts),
    )
