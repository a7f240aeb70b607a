"""Facts about a whole session, shared by the store and the inbound commands: its creation
(with `session.created`), its exported bible and its completion."""

from collections.abc import Callable

from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import STAGE_INPUTS, Stage
from genesis_pipeline.store.records import VersionRecord
from genesis_pipeline.store.unit_of_work import UnitOfWork

BibleExport = Callable[[BibleDocument], str]


def add_session(
    uow: UnitOfWork,
    session_id: str,
    spec: SessionSpec,
    correlation_id: str,
    causation_id: str | None,
) -> bool:
    """The session row and its `session.created` event; False if the session exists."""
    if not uow.sessions.add(session_id, spec, correlation_id=correlation_id):
        return False
    event = new_event(
        EventType.SESSION_CREATED,
        session_id=session_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        payload={"premise": spec.premise, "review_mode": spec.review_mode.value},
    )
    uow.outbox.add(event, fact_key=f"session.created:{session_id}")
    return True


def bible_document(uow: UnitOfWork, bible: VersionRecord) -> BibleDocument:
    """The exported bible of a `story_bible` version and the versions it was built from."""
    versions = {stage: bible.upstream_versions[stage] for stage in STAGE_INPUTS[Stage.STORY_BIBLE]}
    artifacts: dict[str, object] = {}
    for stage, number in versions.items():
        record = uow.artifacts.by_version(bible.session_id, stage, number)
        assert record is not None
        artifacts[stage.value] = record.content
    session = uow.sessions.get(bible.session_id)
    assert session is not None
    return BibleDocument.model_validate(
        {
            "session_id": bible.session_id,
            "premise": session.spec.premise,
            "versions": {**versions, Stage.STORY_BIBLE: bible.version},
            **artifacts,
            Stage.STORY_BIBLE.value: bible.content,
        }
    )


def complete_session(
    uow: UnitOfWork, bible: VersionRecord, export_bible: BibleExport | None
) -> str | None:
    """Export the approved bible and mark the session completed; returns where it went."""
    location = export_bible(bible_document(uow, bible)) if export_bible is not None else None
    uow.sessions.set_status(bible.session_id, SessionStatus.COMPLETED)
    return location
