from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage
from genesis_pipeline.domain.verdicts import GateName, GateVerdict
from genesis_pipeline.gates.evaluate import evaluate_gates, lint_bible
from genesis_pipeline.gates.quality_criteria import WHOLE_ARTIFACT
from genesis_pipeline_tests.unit.gates import samples


def failures(verdicts: list[GateVerdict]) -> dict[tuple[Stage, GateName], list[str]]:
    return {
        (verdict.stage, verdict.gate): [finding.field for finding in verdict.findings]
        for verdict in verdicts
        if not verdict.passed
    }


def test_evaluate_gates_returns_quality_then_consistency() -> None:
    quality, consistency = evaluate_gates(
        Stage.STORY,
        samples.story(),
        spec=samples.spec(),
        upstream=samples.upstream(Stage.STORY),
        passed_versions=samples.PASSED_VERSIONS,
        quality_threshold=0.8,
    )
    assert (quality.gate, quality.threshold, quality.passed) == (GateName.QUALITY, 0.8, True)
    assert (consistency.gate, consistency.passed) == (GateName.CONSISTENCY, True)


def test_sample_bible_passes_every_gate_of_every_stage() -> None:
    verdicts = lint_bible(samples.bible_document())
    assert [(v.stage, v.gate) for v in verdicts] == [
        (stage, gate) for stage in STAGE_ORDER for gate in (GateName.QUALITY, GateName.CONSISTENCY)
    ]
    assert failures(verdicts) == {}
    assert {v.score for v in verdicts} == {1.0}


def test_lint_reads_the_exported_json_format() -> None:
    exported = samples.bible_document().model_dump_json()
    assert failures(lint_bible(BibleDocument.model_validate_json(exported))) == {}


def test_bible_is_held_to_the_documents_versions() -> None:
    document = samples.bible_document()
    document.versions[Stage.WORLDVIEW] = 5
    assert failures(lint_bible(document)) == {
        (Stage.STORY_BIBLE, GateName.CONSISTENCY): ["versions.worldview"]
    }


def test_each_stage_is_checked_against_the_documents_upstream() -> None:
    document = samples.bible_document()
    document.concept.candidates[0].title = "The Keeper's Green Lamp"
    document.worldview.locations[1].id = "flooded_quays"
    assert failures(lint_bible(document)) == {
        (Stage.STORY, GateName.CONSISTENCY): ["title"],
        (Stage.CHARACTERS, GateName.CONSISTENCY): [
            "characters[1].home_location_id",
            "characters[3].home_location_id",
        ],
        (Stage.PLOT_OUTLINE, GateName.CONSISTENCY): [
            f"acts[{a}].chapters[{c}].beats[{b}].location_id"
            for a, c, b in [(0, 1, 0), (0, 1, 1), (1, 1, 0), (1, 1, 1), (2, 1, 0), (2, 1, 1)]
        ],
    }


def test_quality_is_judged_against_the_documents_premise() -> None:
    document = samples.bible_document().model_copy(
        update={"premise": "A dragon librarian hoards forbidden poems inside a volcano."}
    )
    failed = failures(lint_bible(document))
    assert set(failed) == {(stage, GateName.QUALITY) for stage in STAGE_ORDER}
    # Each stage is told where its story should have been about the premise.
    told = {
        Stage.CONCEPT: "candidates[0].hook",
        Stage.STORY: "synopsis",
        Stage.WORLDVIEW: "setting",
        Stage.CHARACTERS: WHOLE_ARTIFACT,
        Stage.PLOT_OUTLINE: WHOLE_ARTIFACT,
        Stage.STORY_BIBLE: "blurb",
    }
    assert all(told[stage] in fields for (stage, _), fields in failed.items())


def test_quality_threshold_is_passed_through() -> None:
    document = samples.bible_document()
    # A story that drifts from its concept: relevance is halved, quality drops to 0.857.
    document.story.title = "Green Light"
    document.story.themes = ["homecoming", "debt"]
    document.story.structure[0].summary = "The Saltmere lamp answers a ghost ship at midnight."
    document.story_bible.title = "Green Light"
    drifted = {(Stage.STORY, GateName.CONSISTENCY): ["title", "themes"]}
    assert failures(lint_bible(document)) == drifted
    strict = lint_bible(document, quality_threshold=0.9)
    assert failures(strict) == {**drifted, (Stage.STORY, GateName.QUALITY): [WHOLE_ARTIFACT]}
    assert {v.threshold for v in strict if v.gate is GateName.QUALITY} == {0.9}


def test_the_language_is_judged_only_when_given() -> None:
    document = samples.bible_document()
    assert failures(lint_bible(document)) == {}
    in_spanish = failures(lint_bible(document, language="es"))
    assert set(in_spanish) == {(stage, GateName.QUALITY) for stage in STAGE_ORDER}
