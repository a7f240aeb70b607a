"""Whole sessions with `materialize` on an ephemeral instance and the offline generator."""

import hashlib
import json
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg

from genesis_pipeline.defs.resources import GeneratorResource
from genesis_pipeline.defs.stages.runner import PREVIEW_CHARS
from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage
from genesis_pipeline.gates.evaluate import lint_bible


def events(resources, session_id):
    with resources["genesis_store"].store.read() as r:
        return r.outbox.for_session(session_id)


def test_a_session_runs_all_six_gated_stages_and_exports_its_bible(run, instance):
    result, resources = run()
    assert result.status is SessionStatus.COMPLETED
    assert len(result.run_ids) == 1

    store = resources["genesis_store"].store
    rows = store.stage_rows("harbor-01")
    assert [(r.stage, r.versions, r.latest.status) for r in rows] == [  # type: ignore[union-attr]
        (stage, 1, "passed") for stage in STAGE_ORDER
    ]
    assert all(g.passed for r in rows for g in r.gates)

    path = Path(urlparse(result.bible_location or "").path)
    document = BibleDocument.model_validate_json(path.read_text())
    assert document.versions == {stage: 1 for stage in STAGE_ORDER}
    assert path.with_suffix(".md").read_text().startswith("#")
    assert all(v.passed for v in lint_bible(document))

    types = [e.event_type for e in events(resources, "harbor-01")]
    assert types[0] == "genesis.session.created"
    assert types[-1] == "genesis.session.completed"
    assert types.count("genesis.stage.completed") == 6
    assert len({e.event_id for e in events(resources, "harbor-01")}) == len(types)


def test_assets_report_store_versions_as_data_versions_with_their_inputs(run, instance):
    _, resources = run()
    record = instance.get_latest_data_version_record(
        dg.AssetKey("plot_outline"), partition_key="harbor-01"
    )  # type: ignore[attr-defined]
    assert record is not None
    tags = record.asset_materialization.tags  # type: ignore[union-attr]
    assert tags["dagster/data_version"] == "v1"
    # Dagster hashes a partitioned input's data versions (here the single partition's "v1").
    assert tags["dagster/input_data_version/characters"] == hashlib.sha256(b"v1").hexdigest()
    metadata = record.asset_materialization.metadata  # type: ignore[union-attr]
    assert metadata["built_from"].value == "story v1, worldview v1, characters v1"
    assert metadata["attempt"].value == 1
    assert metadata["next"].value == "every gate passed"
    verdicts = metadata["verdicts"].value
    assert "- quality: passed, score" in verdicts and "- consistency: passed" in verdicts
    # The attempt's tokens, and the session's so far: the plot outline and the stages before.
    rows = resources["genesis_store"].store.stage_rows("harbor-01")
    assert metadata["tokens"].value == rows[4].spending.tokens > 0
    assert metadata["model_calls"].value == rows[4].spending.calls == 1
    so_far = sum(row.spending.tokens for row in rows[:5])
    assert metadata["session_tokens"].value == f"{so_far:,} of a 400,000-token budget"
    # The offline model has no price: it costs 0 and says so.
    assert metadata["cost_usd"].value == 0.0
    assert "no price for offline-v1" in metadata["price"].value
    for key in ("quality_score", "model", "prompt_version", "latency_ms", "gates", "preview"):
        assert key in metadata, key
    preview = metadata["preview"].value
    assert preview.startswith("# Plot outline") and len(preview) < PREVIEW_CHARS + 100
    assert preview.endswith("the whole version: `genesis export harbor-01 --to DIR`\n")


def test_first_drafts_with_flaws_are_rewritten_until_their_gates_pass(run):
    flawed = GeneratorResource(provider="offline", offline_flaw_rate=1.0)
    result, resources = run(generator=flawed)
    assert result.status is SessionStatus.COMPLETED

    store = resources["genesis_store"].store
    for row in store.stage_rows("harbor-01"):
        assert row.versions == 2, row.stage
        assert (row.latest.attempt, row.latest.status) == (2, "passed")  # type: ignore[union-attr]

    # Downstream stages were built on the passed version, never on the failed first draft.
    story = store.current_approved("harbor-01", Stage.STORY)
    assert story is not None and story.upstream_versions == {Stage.CONCEPT: 2}

    rewrites = [
        e
        for e in events(resources, "harbor-01")
        if e.event_type == "genesis.stage.rewrite_requested"
    ]
    assert [e.payload["stage"] for e in rewrites] == [s.value for s in STAGE_ORDER]
    assert all(e.payload["next_attempt"] == 2 and e.payload["instructions"] for e in rewrites)


def test_a_stage_that_never_passes_fails_after_max_attempts(run, instance):
    stubborn = StubbornGenerator(provider="offline")
    result, resources = run(generator=stubborn, max_attempts=2)
    assert result.status is SessionStatus.NEEDS_ATTENTION
    assert len(result.run_ids) == 2

    rows = {r.stage: r for r in resources["genesis_store"].store.stage_rows("harbor-01")}
    assert rows[Stage.CONCEPT].versions == 2
    assert rows[Stage.STORY].versions == 0  # nothing downstream of a failed gate
    failed = [e for e in events(resources, "harbor-01") if e.event_type == "genesis.stage.failed"]
    assert [(e.payload["stage"], e.payload["attempts"]) for e in failed] == [("concept", 2)]
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(  # type: ignore[attr-defined]
        [dg.AssetCheckKey(dg.AssetKey("concept"), "quality_gate")]
    )
    assert check


class StubbornGenerator(GeneratorResource):
    """Always answers with a placeholder hook, whatever the findings say."""

    def generate(self, request):  # type: ignore[no-untyped-def]
        generation = super().generate(request)
        concept = generation.artifact
        candidates = [c.model_copy(update={"hook": "TBD"}) for c in concept.candidates]  # type: ignore[attr-defined]
        artifact = concept.model_copy(update={"candidates": candidates})
        return type(generation)(artifact, generation.model, 1, 1, 1.0)


def test_the_exported_bible_is_the_contract_format(run):
    result, _ = run()
    data = json.loads(Path(urlparse(result.bible_location or "").path).read_text())
    assert set(data) == {"session_id", "premise", "versions", *(s.value for s in STAGE_ORDER)}
    assert data["story_bible"]["versions"] == {s.value: 1 for s in STAGE_ORDER[:-1]}
