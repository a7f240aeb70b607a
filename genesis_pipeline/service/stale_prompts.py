"""Sessions that a changed prompt left stale, and the run that refreshes each one: pure."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from genesis_pipeline.domain.records import PassedStage
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage, stage_and_downstream
from genesis_pipeline.service.planner import (
    BACKFILL_TAG,
    STALE_KEY_TAG,
    STALE_PROMPT_TAG,
    session_tags,
)

STALE_PROMPT_BACKFILL = "stale_prompt"
# Below every session's own priority (SessionSpec allows -10…10): a backfill run waits in the
# queue behind every writer's run, whatever that session's priority.
BACKFILL_PRIORITY = -11


@dataclass(frozen=True)
class StaleRun:
    """A run of a session's first stale stage and everything downstream of it."""

    session_id: str
    stage: Stage
    stored_prompt_version: str
    prompt_version: str

    @property
    def stages(self) -> tuple[Stage, ...]:
        return stage_and_downstream(self.stage)

    @property
    def run_key(self) -> str:
        # One request per (session, stage, prompt version): a refresh that failed is left to
        # a person rather than retried every tick, and the next prompt change asks again.
        return f"stale-prompt:{self.session_id}:{self.stage.value}:{self.prompt_version}"

    @property
    def tags(self) -> dict[str, str]:
        return {
            **session_tags(self.session_id, BACKFILL_PRIORITY),
            BACKFILL_TAG: STALE_PROMPT_BACKFILL,
            STALE_KEY_TAG: self.run_key,
            STALE_PROMPT_TAG: f"{self.stored_prompt_version} -> {self.prompt_version}",
        }


def plan_stale_runs(
    newest_passed: Iterable[PassedStage], prompt_versions: Mapping[Stage, str]
) -> list[StaleRun]:
    """One run per session whose newest passed version of some stage was generated with a
    prompt version other than the stage's current one, from the earliest such stage; in the
    order the sessions first appear.

    A session with a passed version that waits for the writer's approval is left alone: the
    stages after it wait for the writer too, and regenerating them from the version the writer
    has not accepted yet would be thrown away when they do.
    """
    by_session: dict[str, list[PassedStage]] = {}
    for passed in newest_passed:
        by_session.setdefault(passed.session_id, []).append(passed)
    runs = []
    for session_id, stages in by_session.items():
        if not all(passed.approved for passed in stages):
            continue
        stale = [
            passed
            for passed in stages
            if passed.stage in prompt_versions
            and passed.prompt_version != prompt_versions[passed.stage]
        ]
        if not stale:
            continue
        first = min(stale, key=lambda passed: STAGE_ORDER.index(passed.stage))
        runs.append(
            StaleRun(
                session_id=session_id,
                stage=first.stage,
                stored_prompt_version=first.prompt_version,
                prompt_version=prompt_versions[first.stage],
            )
        )
    return runs
