from genesis_pipeline.domain.records import PassedStage
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage
from genesis_pipeline.service.stale_prompts import StaleRun, plan_stale_runs

CURRENT = {stage: f"{stage.value}-v2" for stage in STAGE_ORDER}


def passed(session_id: str, stage: Stage, prompt: str = "v2", approved: bool = True) -> PassedStage:
    return PassedStage(session_id, stage, 1, f"{stage.value}-{prompt}", approved)


def test_a_session_is_refreshed_from_its_earliest_stale_stage_in_the_order_given():
    runs = plan_stale_runs(
        [
            passed("b-1", Stage.PLOT_OUTLINE, "v1"),
            passed("a-1", Stage.CHARACTERS, "v1"),
            passed("b-1", Stage.STORY, "v1"),
        ],
        CURRENT,
    )

    assert runs == [
        StaleRun("b-1", Stage.STORY, "story-v1", "story-v2"),
        StaleRun("a-1", Stage.CHARACTERS, "characters-v1", "characters-v2"),
    ]
    assert runs[0].stages == STAGE_ORDER[1:]
    assert runs[1].stages == (Stage.CHARACTERS, Stage.PLOT_OUTLINE, Stage.STORY_BIBLE)


def test_current_versions_and_unknown_stages_are_not_stale():
    fresh = [passed("a-1", Stage.CONCEPT), passed("a-1", Stage.STORY)]
    assert plan_stale_runs(fresh, CURRENT) == []
    assert plan_stale_runs([passed("a-1", Stage.STORY, "v1")], {Stage.CONCEPT: "x"}) == []


def test_a_session_waiting_for_the_writer_is_left_alone():
    waiting = [passed("a-1", Stage.CONCEPT, "v1"), passed("a-1", Stage.STORY, approved=False)]
    assert plan_stale_runs(waiting, CURRENT) == []


def test_the_run_key_names_session_stage_and_the_new_prompt_version():
    run = StaleRun("a-1", Stage.STORY, "story-v1", "story-v2")
    assert run.run_key == "stale-prompt:a-1:story:story-v2"
    assert run.tags["genesis/session"] == "a-1"
    assert run.tags["genesis/stale_key"] == run.run_key
    assert int(run.tags["dagster/priority"]) < -10
