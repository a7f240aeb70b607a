"""Names that drift between stages, and themes padded with copies, through the consistency gate."""

from genesis_pipeline.domain.artifacts import Artifact, Story
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateVerdict
from genesis_pipeline.gates.consistency import consistency_gate
from genesis_pipeline_tests.unit.gates import samples


def check(
    stage: Stage,
    artifact: Artifact,
    *,
    story: Story | None = None,
    spec: SessionSpec | None = None,
) -> GateVerdict:
    upstream = samples.upstream(stage)
    if story is not None:
        upstream[Stage.STORY] = story
    return consistency_gate(
        stage,
        artifact,
        upstream=upstream,
        passed_versions=samples.PASSED_VERSIONS,
        spec=spec,
    )


def found(verdict: GateVerdict) -> list[tuple[str, str]]:
    return [(finding.field, finding.problem) for finding in verdict.findings]


def test_a_story_character_missing_from_the_cast() -> None:
    cast = samples.characters()
    cast.characters[1].name = "Silas Crane"
    assert found(check(Stage.CHARACTERS, cast)) == [
        ("characters", "the story names 'Corin Hale', who is not in the cast")
    ]


def test_a_story_character_renamed_in_the_cast() -> None:
    cast = samples.characters()
    cast.characters[1].name = "Corin Vale"
    assert found(check(Stage.CHARACTERS, cast)) == [
        ("characters[1].name", "the story calls this character 'Corin Hale': keep the story's name")
    ]


def test_the_story_may_use_titles_first_names_and_the_worlds_places() -> None:
    story = samples.story()
    story.synopsis += (
        " Captain Ada Venn rows out past Gull Point Light. Ada rows, and Corin watches from "
        "the Lower Harbor, where the Harbor Guild counts cargo, and Ada rows on."
    )
    assert check(Stage.CHARACTERS, samples.characters(), story=story).passed


def test_words_of_the_premise_are_not_people() -> None:
    story = samples.story()
    story.synopsis += " Everyone in Morrow knows it, and the tide of Morrow never forgets."
    premise = f"{samples.PREMISE} It is set in Morrow."
    assert check(Stage.CHARACTERS, samples.characters(), story=story).findings[0].field == (
        "characters"
    )
    spec = SessionSpec(premise=premise)
    assert check(Stage.CHARACTERS, samples.characters(), story=story, spec=spec).passed


def test_the_blurb_names_someone_outside_the_cast() -> None:
    bible = samples.story_bible()
    bible.blurb += " Inspector Harold Finch arrives from London to close the lighthouse."
    [(field, problem)] = found(check(Stage.STORY_BIBLE, bible))
    assert field == "blurb"
    assert problem.startswith("names 'Harold Finch', who is not in the cast (Ada Venn, Corin Hale")


def test_the_blurb_may_name_titles_places_and_glossary_terms() -> None:
    bible = samples.story_bible()
    bible.blurb = (
        "In The Lamp of Saltmere, the Tide Wardens and the Harbor Guild fight over Gull Point "
        f"Light while Ada Venn keeps the lamp lit. {bible.blurb}"
    )
    assert check(Stage.STORY_BIBLE, bible).passed


def test_themes_padded_with_copies() -> None:
    concept = samples.concept()
    concept.candidates[1].themes = ["Mystery", "mystery", "Mystery"]
    assert [field for field, _ in found(check(Stage.CONCEPT, concept))] == [
        "candidates[1].themes[1]",
        "candidates[1].themes[2]",
    ]
    story = samples.story()
    story.themes = ["memory", "Memory"]
    assert found(check(Stage.STORY, story)) == [
        ("themes[1]", "duplicate theme 'Memory' (also themes[0])")
    ]
