"""What runs next for a session: one pure function, `next_runs(state, trigger)`, used by the
sensors, by `genesis run` and by the test driver alike.

A run is a stage and everything downstream of it, for one session, with a run key that makes a
redelivered trigger plan the same run (Dagster starts a run key once) and the tags every run of
a session carries. The run tags the pipeline reads back are all named here.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from genesis_pipeline.domain.records import RevisionRequestRecord, SessionRecord, VersionRecord
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage, stage_and_downstream

# Every run of a session carries it: the per-session run limit (dagster.yaml) is keyed on it.
SESSION_TAG = "genesis/session"
PRIORITY_TAG = "dagster/priority"
PARTITION_TAG = "dagster/partition"
# Both the feedback and the revision sensor plan revision runs; a run's key is only unique per
# sensor, so this tag tells either one that the run exists already.
REVISION_KEY_TAG = "genesis/revision_key"
REVISION_REQUESTS_TAG = "genesis/revision_requests"
TRANSIENT_RETRY_TAG = "genesis/transient_retry"
# Runs that are not the writer's: stale-prompt backfills, maintenance jobs.
BACKFILL_TAG = "genesis/backfill"
MAINTENANCE_TAG = "genesis/maintenance"
# Schedules dedupe a run_key per tick only; this tag is what says "requested before".
STALE_KEY_TAG = "genesis/stale_key"
STALE_PROMPT_TAG = "genesis/stale_prompt"  # stored prompt version -> current one
# The most tokens a run's model calls may spend, besides its session's budget (backfills).
TOKEN_CAP_TAG = "genesis/token_cap"


def session_tags(session_id: str, priority: int) -> dict[str, str]:
    """Every run of a session: one at a time per session (dagster.yaml), queued by priority."""
    return {SESSION_TAG: session_id, PRIORITY_TAG: str(priority)}


# --- what a session looks like to the planner -----------------------------------------------
@dataclass(frozen=True)
class SessionState:
    """A session as the planner sees it: its record, its pending revision requests, and per
    stage the newest version that passed its gates and the one approved (what later stages
    build on)."""

    session: SessionRecord
    pending: tuple[RevisionRequestRecord, ...] = ()
    passed: Mapping[Stage, VersionRecord | None] | None = None
    approved: Mapping[Stage, VersionRecord | None] | None = None

    @property
    def session_id(self) -> str:
        return self.session.session_id

    @property
    def stages_left(self) -> tuple[Stage, ...]:
        """From the first stage whose passed version is missing or was built on inputs that are
        no longer the approved ones, to the end. Nothing when a stage waits for the writer's
        approval, or when everything is done."""
        passed, approved = self.passed or {}, self.approved or {}
        for stage in STAGE_ORDER:
            current = passed.get(stage)
            inputs = {dep: approved.get(dep) for dep in STAGE_INPUTS[stage]}
            expected = {dep: v.version for dep, v in inputs.items() if v is not None}
            if current is None or current.upstream_versions != expected:
                return stage_and_downstream(stage)
            accepted = approved.get(stage)
            if accepted is None or accepted.id != current.id:
                return ()
        return ()


# --- what happened ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Requested:
    """The session was created (`genesis.session.requested`, or `genesis run`)."""

    event_id: str


@dataclass(frozen=True)
class Resumed:
    event_id: str


@dataclass(frozen=True)
class Accepted:
    """The writer accepted a stage's version (review mode human)."""

    event_id: str
    stage: Stage


@dataclass(frozen=True)
class Revisions:
    """Revision requests are pending (a failed gate, the writer's changes)."""


@dataclass(frozen=True)
class TransientRetry:
    """A run failed for a passing reason (the database or code server went away)."""

    run_id: str
    attempt: int


Trigger = Requested | Resumed | Accepted | Revisions | TransientRetry


@dataclass(frozen=True)
class PlannedRun:
    session_id: str
    stages: tuple[Stage, ...]
    run_key: str
    priority: int
    # The revision requests this run answers (it answers every pending one of the session).
    request_ids: tuple[int, ...] = ()
    transient_retry: int = 0
    # Export the bible even if `stages` do not write it (the writer accepted it).
    export: bool = False
    # The key of the pending requests' revision run, when it differs from `run_key` (a resume
    # runs them again under its own key after a run of theirs stopped).
    revision_key: str | None = None

    @property
    def tags(self) -> dict[str, str]:
        tags = session_tags(self.session_id, self.priority)
        if self.request_ids:
            tags[REVISION_KEY_TAG] = self.revision_key or self.run_key
            tags[REVISION_REQUESTS_TAG] = ",".join(map(str, self.request_ids))
        if self.transient_retry:
            tags[TRANSIENT_RETRY_TAG] = str(self.transient_retry)
        return tags


def next_runs(state: SessionState, trigger: Trigger) -> list[PlannedRun]:
    """The runs `trigger` asks for, given where the session stands (none, or one)."""
    session, status = state.session, state.session.status

    def run(
        stages: tuple[Stage, ...],
        key: str,
        request_ids: tuple[int, ...] = (),
        retry: int = 0,
        export: bool = False,
        revision_key: str | None = None,
    ) -> list[PlannedRun]:
        if not stages and not export:
            return []
        priority = session.spec.priority
        return [
            PlannedRun(
                state.session_id, stages, key, priority, request_ids, retry, export, revision_key
            )
        ]

    def revision_run(key: str | None = None) -> list[PlannedRun]:
        # From the earliest stage asked for, or earlier when a stage before it has no usable
        # version yet (a session resumed before its first run got that far).
        asked = [request.stage for request in state.pending] + list(state.stages_left[:1])
        ids = tuple(sorted(request.id for request in state.pending))
        # Keyed by the oldest pending request: requests that arrive while this run is queued
        # join it instead of starting another; what it leaves pending gets a new key.
        revision_key = f"revision:{state.session_id}:{ids[0]}"
        earliest = min(asked, key=STAGE_ORDER.index)
        stages = stage_and_downstream(earliest)
        return run(stages, key or revision_key, request_ids=ids, revision_key=revision_key)

    match trigger:
        case Requested(event_id):
            return run(STAGE_ORDER, f"session:{event_id}")
        case Resumed(event_id) if status is SessionStatus.ACTIVE:
            # Pending requests run under the resume's own key: a run of theirs may have been
            # cancelled by the pause, or stopped by the budget the resume raised.
            if state.pending:
                return revision_run(f"resume:{event_id}")
            return run(state.stages_left, f"resume:{event_id}")
        case Accepted(event_id, stage) if status is SessionStatus.ACTIVE:
            # The accepted bible is exported; any other stage's downstream stages are built.
            downstream, export = stage_and_downstream(stage)[1:], stage is Stage.STORY_BIBLE
            return run(downstream, f"accept:{event_id}", export=export)
        case Revisions() if state.pending and status in _REVISABLE:
            return revision_run()
        case TransientRetry(run_id, attempt) if status is SessionStatus.ACTIVE:
            return run(state.stages_left, f"transient-retry:{run_id}", retry=attempt)
    return []


# Paused, cancelled and completed sessions keep their requests pending until they may run.
_REVISABLE = frozenset({SessionStatus.ACTIVE, SessionStatus.NEEDS_ATTENTION})


def by_priority(run: PlannedRun) -> tuple[int, int]:
    """Higher priority first, then the oldest request: the order to submit runs in."""
    return (-run.priority, run.request_ids[0] if run.request_ids else 0)
