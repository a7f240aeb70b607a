"""A stage that failed because the database or code server went away is run again, not failed."""

import dagster as dg
import pytest

from genesis_pipeline.defs.automation.failures import StageFailure
from genesis_pipeline.defs.automation.sensors import transient_retry
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.service.planner import TRANSIENT_RETRY_TAG
from genesis_pipeline.store.genesis_store import GenesisStore

FAILED_RUN = dg.DagsterRun(job_name="genesis_session_job", run_id="run-1")


@pytest.fixture
def store(tmp_path) -> GenesisStore:
    store = GenesisStore(f"sqlite:///{tmp_path / 'genesis.db'}")
    spec = SessionSpec(premise="A glassblower hears the sea in every bottle", priority=3)
    handlers.create_session(store.unit_of_work(), "glass-01", spec, correlation_id="corr-1")
    return store


@pytest.mark.parametrize(
    ("error_class", "transient"),
    [
        ("OperationalError", True),  # sqlalchemy: the server closed the connection
        ("DagsterUserCodeUnreachableError", True),
        ("MalformedOutputError", False),
        ("ValueError", False),
    ],
)
def test_only_connection_errors_are_transient(error_class: str, transient: bool) -> None:
    assert StageFailure(Stage.STORY, error_class, "boom").transient is transient


def test_a_transient_failure_runs_what_is_left_again_with_the_session_tags(
    store: GenesisStore,
) -> None:
    request = transient_retry(store, FAILED_RUN, "glass-01", attempt=2)

    assert request is not None
    assert request.run_key == "transient-retry:run-1"
    assert request.partition_key == "glass-01"
    assert request.asset_selection == [
        *(dg.AssetKey(s.value) for s in STAGE_ORDER),
        dg.AssetKey("bible_export"),
    ]
    assert request.tags["genesis/session"] == "glass-01"
    assert request.tags["dagster/priority"] == "3"
    assert request.tags[TRANSIENT_RETRY_TAG] == "2"


def test_no_retry_for_a_session_that_was_paused_meanwhile(store: GenesisStore) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.set_status("glass-01", SessionStatus.PAUSED)
        uow.commit()

    assert transient_retry(store, FAILED_RUN, "glass-01", attempt=1) is None
