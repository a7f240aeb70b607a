"""A model's relevance judgement reaches the quality gate, its check metadata and the costs."""

import dagster as dg

from genesis_pipeline.defs.resources import GeneratorResource
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import RelevanceJudgement
from genesis_pipeline.generation.port import Judged

JUDGED_STAGES: list[str] = []


class ScepticalJudge(GeneratorResource):
    """Offline drafts, judged off-premise for the story and on-premise for everything else."""

    def judge(self, request, *, system, user):  # type: ignore[no-untyped-def]
        JUDGED_STAGES.append(request.stage.value)
        assert "Premise:" in user
        off = request.stage is Stage.STORY
        return Judged(
            judgement=RelevanceJudgement(
                premise_fit=0.0 if off else 1.0,
                upstream_fit=0.0 if off else 1.0,
                reasons="An English village, nothing of the premise." if off else "On premise.",
            ),
            model="judge-model",
            tokens_in=70,
            tokens_out=20,
            latency_ms=5.0,
            calls=({"tokens_in": 70, "tokens_out": 20, "latency_ms": 5.0, "purpose": "judge"},),
        )


def test_the_judges_verdict_fails_the_draft_it_finds_off_premise(run, instance):
    JUDGED_STAGES.clear()
    result, resources = run(generator=ScepticalJudge(provider="offline"), max_attempts=1)

    assert result.status.value == "needs_attention"
    assert JUDGED_STAGES == ["concept", "story"]
    with resources["genesis_store"].store.read() as r:
        events = r.outbox.for_session("harbor-01")
    [failed] = [e.payload for e in events if e.event_type == "genesis.stage.failed"]
    assert failed["stage"] == "story" and failed["error_class"] == "quality_gate_failed"
    assert "An English village" in failed["message"]
    story_costs = [
        e.payload
        for e in events
        if e.event_type == "genesis.agent.task.completed" and e.payload["stage"] == "story"
    ]
    [costs] = story_costs
    assert [call["purpose"] for call in costs["calls"]] == ["draft", "judge"]
    assert costs["tokens_in"] == costs["calls"][0]["tokens_in"] + 70

    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("story"), "quality_gate")]
    )
    evaluation = check[dg.AssetCheckKey(dg.AssetKey("story"), "quality_gate")].event
    metadata = evaluation.dagster_event.event_specific_data.metadata  # type: ignore[union-attr]
    assert metadata["judge_premise_fit"].value == 0.0
    assert "English village" in metadata["judge_reasons"].value
