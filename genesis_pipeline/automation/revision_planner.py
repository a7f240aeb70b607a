"""Turning stored revision requests into runs: pure, shared by the sensor and `genesis run`."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage, stage_and_downstream
from genesis_pipeline.store.records import RevisionRequestRecord, SessionRecord


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
            "genesis/session": self.session_id,
            "genesis/revision_requests": ",".join(map(str, self.request_ids)),
            "dagster/priority": str(self.priority),
        }


def plan_revision_runs(
    requests: Iterable[RevisionRequestRecord], sessions: Mapping[str, SessionRecord]
) -> list[RevisionRun]:
    """One run per active session with pending requests; paused, cancelled or unknown
    sessions are held back (their requests stay pending)."""
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
        earliest = min((r.stage for r in pending), key=STAGE_ORDER.index)
        runs.append(
            RevisionRun(
                session_id=session_id,
                stages=stage_and_downstream(earliest),
                request_ids=tuple(sorted(r.id for r in pending)),
                priority=session.spec.priority,
            )
        )
    return sorted(runs, key=lambda run: (-run.priority, run.request_ids[0]))
