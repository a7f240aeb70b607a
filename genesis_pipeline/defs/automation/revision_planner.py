"""Turning stored revision requests into runs: pure, shared by the sensor and `genesis run`."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from genesis_pipeline.domain.records import RevisionRequestRecord, SessionRecord, VersionRecord
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage, stage_and_downstream


@dataclass(frozen=True)
class RevisionRun:
    """One run that answers every pending request of a session: the earliest stage asked for
    and everything downstream of it."""

    session_id: str
    stages: tuple[Stage, ...]
    request_ids: tuple[int, ...]
    priority: int

    @property
    def run_key(self) -> str:
        # Keyed by the oldest pending request: requests that arrive while this run is queued
        # join it instead of starting another; whatever it leaves pending gets a new key.
        return f"revision:{self.session_id}:{self.request_ids[0]}"

    @property
    def tags(self) -> dict[str, str]:
        return {
            **session_tags(self.session_id, self.priority),
            # Both the feedback and the revision sensor plan revision runs; a run's key is
            # only unique per sensor, so this tag tells either one the run exists already.
            REVISION_KEY_TAG: self.run_key,
            "genesis/revision_requests": ",".join(map(str, self.request_ids)),
        }


REVISION_KEY_TAG = "genesis/revision_key"
# Every run of a session carries it: the per-session run limit (dagster.yaml) is keyed on it.
SESSION_TAG = "genesis/session"


def session_tags(session_id: str, priority: int) -> dict[str, str]:
    """Every run of a session: one at a time per session (dagster.yaml), queued by priority."""
    return {SESSION_TAG: session_id, "dagster/priority": str(priority)}


def plan_revision_runs(
    requests: Iterable[RevisionRequestRecord],
    sessions: Mapping[str, SessionRecord],
    unfinished: Mapping[str, Stage] | None = None,
) -> list[RevisionRun]:
    """One run per active session with pending requests; paused, cancelled or unknown
    sessions are held back (their requests stay pending). A run starts at the earliest stage
    asked for, or earlier at `unfinished[session]` when a stage before it has no usable version
    yet (a session resumed before its first run got that far)."""
    by_session: dict[str, list[RevisionRequestRecord]] = {}
    for request in requests:
        by_session.setdefault(request.session_id, []).append(request)
    runs = []
    for session_id, pending in by_session.items():
        session = sessions.get(session_id)
        if session is None or session.status not in (
            SessionStatus.ACTIVE,
            SessionStatus.NEEDS_ATTENTION,
        ):
            continue
        asked = [r.stage for r in pending]
        if unfinished and session_id in unfinished:
            asked.append(unfinished[session_id])
        earliest = min(asked, key=STAGE_ORDER.index)
        runs.append(
            RevisionRun(
                session_id=session_id,
                stages=stage_and_downstream(earliest),
                request_ids=tuple(sorted(r.id for r in pending)),
                priority=session.spec.priority,
            )
        )
    return sorted(runs, key=lambda run: (-run.priority, run.request_ids[0]))


def stages_to_resume(
    passed: Mapping[Stage, VersionRecord | None], approved: Mapping[Stage, VersionRecord | None]
) -> tuple[Stage, ...]:
    """What a resumed session still has to run: from the first stage whose passed version is
    missing or was built on inputs that are no longer the approved ones, to the end. Nothing
    when a stage waits for the writer's approval, or when everything is done."""
    for stage in STAGE_ORDER:
        current = passed.get(stage)
        inputs = {dep: approved[dep] for dep in STAGE_INPUTS[stage]}
        expected = {dep: v.version for dep, v in inputs.items() if v is not None}
        if current is None or current.upstream_versions != expected:
            return stage_and_downstream(stage)
        accepted = approved.get(stage)
        if accepted is None or accepted.id != current.id:
            return ()
    return ()
