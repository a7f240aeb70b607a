"""Whole sessions run in-process with the offline generator, for the schedules and their jobs."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from genesis_pipeline.defs.resources import GeneratorResource, genesis_resources
from genesis_pipeline.defs.session_runner import run_session
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import artifact_versions

PREMISE = "A lighthouse keeper on a drowned coast finds a map that redraws itself every tide"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    # Not DagsterInstance.ephemeral(): a schedule's context reaches its instance by reference.
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def resources(tmp_path: Path) -> dict[str, Any]:
    return genesis_resources(
        database_url=f"sqlite:///{tmp_path / 'genesis.db'}",
        export_uri=str(tmp_path / "exports"),
        generator=GeneratorResource(provider="offline", offline_flaw_rate=0.0),
        quality_threshold=0.75,
    )


@pytest.fixture
def store(resources: dict[str, Any]) -> GenesisStore:
    genesis_store: GenesisStore = resources["genesis_store"].store
    return genesis_store


@pytest.fixture
def completed_session(
    instance: dg.DagsterInstance, resources: dict[str, Any]
) -> Callable[..., str]:
    """Runs a whole session to its end; returns its id."""

    def run(session_id: str, **spec: Any) -> str:
        result = run_session(
            session_id,
            SessionSpec(premise=spec.pop("premise", PREMISE), **spec),
            instance=instance,
            resources=resources,
            log_level="WARNING",
        )
        assert result.status is SessionStatus.COMPLETED
        return session_id

    return run


def set_prompt_version(store: GenesisStore, session_id: str, stage: Stage, version: str) -> None:
    """As if every stored version of the stage had been generated with prompt `version`."""
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(artifact_versions)
            .where(
                artifact_versions.c.session_id == session_id,
                artifact_versions.c.stage == stage.value,
            )
            .values(prompt_version=version)
        )
