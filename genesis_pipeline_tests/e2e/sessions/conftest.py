from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from genesis_pipeline.defs.resources import GeneratorResource, genesis_resources
from genesis_pipeline.defs.session_runner import SessionRun, run_session
from genesis_pipeline.domain.session import SessionSpec

PREMISE = "A lighthouse keeper on a drowned coast finds a map that redraws itself every tide"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def make_resources(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    def build(generator: GeneratorResource | None = None) -> dict[str, Any]:
        return genesis_resources(
            database_url=f"sqlite:///{tmp_path / 'genesis.db'}",
            export_uri=str(tmp_path / "exports"),
            generator=generator or GeneratorResource(provider="offline", offline_flaw_rate=0.0),
            quality_threshold=0.75,
        )

    return build


@pytest.fixture
def run(instance, make_resources) -> Callable[..., tuple[SessionRun, dict[str, Any]]]:
    def go(
        session_id: str = "harbor-01",
        generator: GeneratorResource | None = None,
        resources_overrides: dict[str, Any] | None = None,
        **spec: Any,
    ) -> tuple[SessionRun, dict[str, Any]]:
        resources = make_resources(generator) | (resources_overrides or {})
        result = run_session(
            session_id,
            SessionSpec(premise=spec.pop("premise", PREMISE), **spec),
            instance=instance,
            resources=resources,
        )
        return result, resources

    return go
