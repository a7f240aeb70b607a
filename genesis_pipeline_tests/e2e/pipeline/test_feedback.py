"""genesis.feedback through the real sensor and broker: human review, changes, requests."""

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from genesis_pipeline.defs.checks import APPROVAL_CHECK
from genesis_pipeline.domain.artifacts import Cast, Worldview
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage
from genesis_pipeline_tests.e2e.pipeline.conftest import PREMISE, Pipeline


def stages_with_versions(pipeline: Pipeline, session_id: str) -> list[str]:
    return [row.stage.value for row in pipeline.store.stage_rows(session_id) if row.versions]


def approval_status(pipeline: Pipeline, stage: Stage, session_id: str) -> bool | None:
    """The newest approval_gate evaluation of the stage in this session's partition."""
    key = dg.AssetCheckKey(dg.AssetKey(stage.value), APPROVAL_CHECK)
    storage = pipeline.instance.event_log_storage
    for record in storage.get_asset_check_execution_history(key, limit=50):  # newest first
        if record.partition == session_id:
            return record.status is AssetCheckExecutionRecordStatus.SUCCEEDED
    return None


def accept(pipeline: Pipeline, session_id: str, stage: Stage) -> None:
    pipeline.feedback("feedback.submitted", session_id, stage=stage.value, action="accept")
    pipeline.settle()


def test_human_review_waits_for_each_accept(pipeline: Pipeline) -> None:
    sid = "moon-harbor-20"
    pipeline.command("requested", sid, premise=PREMISE, review_mode="human")
    pipeline.settle()

    # concept passed its gates, but nothing downstream ran: the approval gate holds it.
    assert stages_with_versions(pipeline, sid) == ["concept"]
    assert approval_status(pipeline, Stage.CONCEPT, sid) is False
    types = pipeline.event_types(sid)
    assert "stage.completed" in types and "content.approved" not in types

    for number, stage in enumerate(STAGE_ORDER, start=1):
        assert stages_with_versions(pipeline, sid) == [s.value for s in STAGE_ORDER[:number]]
        accept(pipeline, sid, stage)
        assert approval_status(pipeline, stage, sid) is True

    session = pipeline.store.session(sid)
    assert session.status is SessionStatus.COMPLETED
    approvals = [e for e in pipeline.events(sid) if e.event_type == "genesis.content.approved"]
    assert [e.payload["stage"] for e in approvals] == [s.value for s in STAGE_ORDER]
    assert {e.payload["approved_by"] for e in approvals} == {"writer"}
    assert pipeline.event_types(sid)[-1] == "session.completed"
    assert pipeline.store.bible_document(sid).versions[Stage.CHARACTERS] == 1


def test_modify_yields_a_new_version_that_honours_the_instructions(pipeline: Pipeline) -> None:
    sid = "moon-harbor-21"
    pipeline.command("requested", sid, premise=PREMISE, review_mode="human")
    pipeline.settle()
    for stage in STAGE_ORDER[:3]:
        accept(pipeline, sid, stage)
    before = pipeline.store.current_approved(sid, Stage.WORLDVIEW)
    assert before is not None

    pipeline.feedback(
        "feedback.submitted",
        sid,
        stage="worldview",
        action="modify",
        instructions="Add a location named the Drowned Chapel where the tide bells still ring",
    )
    pipeline.settle()

    rows = {row.stage: row for row in pipeline.store.stage_rows(sid)}
    latest = rows[Stage.WORLDVIEW].latest
    assert latest is not None and latest.version == 2 and latest.status == "passed"
    world = Worldview.model_validate(latest.content)
    assert "Drowned Chapel" in [location.name for location in world.locations]
    # Downstream still builds on the accepted v1 until the writer accepts v2.
    assert pipeline.store.current_approved(sid, Stage.WORLDVIEW) == before
    rewrite = [e for e in pipeline.events(sid) if e.event_type == "genesis.stage.rewrite_requested"]
    assert rewrite[-1].payload["reason"] == "feedback"


def test_a_character_request_adds_the_character_and_revises_downstream(
    pipeline: Pipeline,
) -> None:
    sid = "moon-harbor-22"
    pipeline.command("requested", sid, premise=PREMISE)
    pipeline.settle()
    bible_before = pipeline.store.bible_document(sid)

    pipeline.feedback(
        "character.requested",
        sid,
        role="mentor",
        name="Ilse Varga",
        description="a retired cartographer who once drew the coast before it drowned",
    )
    pipeline.settle()

    cast = Cast.model_validate(pipeline.store.current_approved(sid, Stage.CHARACTERS).content)
    assert "Ilse Varga" in [c.name for c in cast.characters]
    bible = pipeline.store.bible_document(sid)
    assert bible.versions[Stage.CHARACTERS] == bible_before.versions[Stage.CHARACTERS] + 1
    assert bible.versions[Stage.PLOT_OUTLINE] == bible_before.versions[Stage.PLOT_OUTLINE] + 1
    assert bible.versions[Stage.WORLDVIEW] == bible_before.versions[Stage.WORLDVIEW]
    assert pipeline.store.session(sid).status is SessionStatus.COMPLETED
    request_run = pipeline.runs[-1][1]
    assert [k.path[-1] for k in request_run.asset_selection or []] == [
        "characters",
        "plot_outline",
        "story_bible",
        "bible_export",
    ]


def test_change_requests_that_arrive_together_become_one_run(pipeline: Pipeline) -> None:
    sid = "moon-harbor-23"
    pipeline.command("requested", sid, premise=PREMISE)
    pipeline.settle()
    runs_before = len(pipeline.runs)

    pipeline.feedback("worldview.element.requested", sid, kind="faction", description="salt monks")
    pipeline.feedback(
        "worldview.element.requested", sid, kind="location", description="a tidal archive"
    )
    pipeline.feedback("character.requested", sid, role="rival", description="a harbor pilot")
    pipeline.settle()

    assert len(pipeline.runs) == runs_before + 1
    _, request, outcome = pipeline.runs[-1]
    assert outcome.success
    assert [k.path[-1] for k in request.asset_selection or []] == [
        *(s.value for s in STAGE_ORDER[2:]),
        "bible_export",
    ]
    world = pipeline.store.current_approved(sid, Stage.WORLDVIEW)
    assert world is not None and world.revision_request_id is not None
    content = str(world.content).lower()
    assert "salt monks" in content and "tidal archive" in content


def test_regenerate_starts_over_with_a_new_seed(pipeline: Pipeline) -> None:
    sid = "moon-harbor-24"
    pipeline.command("requested", sid, premise=PREMISE)
    pipeline.settle()
    first = pipeline.store.current_approved(sid, Stage.STORY)

    pipeline.feedback("feedback.submitted", sid, stage="story", action="regenerate")
    pipeline.settle()

    second = pipeline.store.current_approved(sid, Stage.STORY)
    assert first is not None and second is not None
    assert second.version == first.version + 1 and second.seed != first.seed
    assert pipeline.store.session(sid).status is SessionStatus.COMPLETED
