"""Stage failures that no revision can answer: a generator or storage error that retries did
not fix. Both the run-failure sensor and `genesis run` record them as `stage.failed`."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg

from genesis_pipeline.defs.stages.bible_export import BIBLE_EXPORT
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.store.genesis_store import GenesisStore

if TYPE_CHECKING:
    from dagster._core.execution.plan.objects import StepFailureData

GATE_FAILURE = "DagsterAssetCheckFailedError"  # answered by a revision run instead
# The steps that belong to a stage: its own, and the bible's export (reported as the bible's).
STEP_STAGES = {stage.value: stage for stage in Stage} | {BIBLE_EXPORT: Stage.STORY_BIBLE}
# The database or the code server went away for a moment (a PostgreSQL restart or failover,
# a redeployed code location): running the stage again later is the answer, not stage.failed.
TRANSIENT_ERRORS = frozenset(
    {"OperationalError", "InterfaceError", "DagsterUserCodeUnreachableError", "ConnectionError"}
)


@dataclass(frozen=True)
class StageFailure:
    stage: Stage
    error_class: str
    message: str

    @property
    def transient(self) -> bool:
        return self.error_class in TRANSIENT_ERRORS


def stage_failures(events: Iterable[dg.DagsterEvent]) -> list[StageFailure]:
    failures = []
    for event in events:
        stage = STEP_STAGES.get(event.step_key or "")
        if event.event_type != dg.DagsterEventType.STEP_FAILURE or stage is None:
            continue
        data = event.step_failure_data
        error = data.error if data else None
        if error is None or error.cls_name == GATE_FAILURE:
            continue
        # Dagster's message starts with the exception's dotted class path: the class is
        # `error_class` already, so the message keeps what was said.
        message = re.sub(r"^(?:\w+\.)+\w+: ", "", error.message.strip(), count=1)
        failures.append(
            StageFailure(stage, _error_class(data) or error.cls_name or "Error", message)
        )
    return failures


def _error_class(data: "StepFailureData | None") -> str | None:
    """The class a stage's own `Failure` names in its metadata (e.g. `budget_exhausted`)."""
    user = data.user_failure_data if data else None
    named = user.metadata.get("error_class") if user else None
    return str(named.value) if named is not None else None


def record_failures(
    store: GenesisStore, session_id: str, failures: list[StageFailure], *, run_id: str
) -> None:
    for failure in failures:
        handlers.record_stage_failure(
            store.unit_of_work(),
            session_id,
            failure.stage,
            error_class=failure.error_class,
            message=failure.message,
            run_id=run_id,
        )
