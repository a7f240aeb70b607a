import pytest

from genesis_pipeline.domain.artifacts import (
    Act,
    Artifact,
    Beat,
    BibleNarrative,
    Cast,
    Chapter,
    Character,
    Concept,
    ConceptCandidate,
    Faction,
    GlossaryEntry,
    Location,
    PlotOutline,
    Relationship,
    Story,
    StoryBible,
    StoryPart,
    StyleGuide,
    WorldRule,
    Worldview,
)
from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.bible_markdown import render_bible_markdown
from genesis_pipeline.domain.markdown import cell, excerpt, render_artifact_markdown
from genesis_pipeline.domain.stages import Stage

CONCEPT = Concept(
    candidates=[
        ConceptCandidate(
            title="The Salt Clock",
            hook="The sea keeps time.",
            genre="fantasy",
            themes=["time", "duty"],
        ),
        ConceptCandidate(
            title="Lantern Debt", hook="Light is borrowed.", genre="noir", themes=["debt"]
        ),
    ],
    selected=0,
    rationale="The tide gives the story a clock.",
)
STORY = Story(
    title="The Salt Clock",
    logline="A tidewatcher must restart the sea.",
    synopsis="The tides stop and Mara climbs the tower.",
    tone="wistful",
    central_conflict="Mara against the guild.",
    themes=["time"],
    structure=[
        StoryPart(name="Setup", summary="The tides stop."),
        StoryPart(name="Defiance", summary="Mara defies the guild."),
        StoryPart(name="Return", summary="The sea keeps time again."),
    ],
)
WORLD = Worldview(
    setting="A harbour city under a clock tower.",
    rules=[WorldRule(id="tide_law", name="Tide law", description="The tide rings the hours.")],
    locations=[
        Location(id="harbour", name="Harbour", description="Nets | gulls", faction_id="guild"),
        Location(id="tower", name="Clock tower", description="Salt-crusted gears."),
    ],
    factions=[Faction(id="guild", name="Tide Guild", goal="Keep the tides", description="Old.")],
    history=["The tower was built.", "The tides stopped."],
)
CAST = Cast(
    characters=[
        Character(
            id="mara",
            name="Mara",
            role="protagonist",
            goal="Restart | the tides",
            flaw="stubborn",
            arc="learns to ask",
            home_location_id="harbour",
            relationships=[
                Relationship(character_id="oren", kind="rival", description="They share a past.")
            ],
        ),
        Character(
            id="oren",
            name="Oren",
            role="antagonist",
            goal="Sell the stillness",
            flaw="greedy",
            arc="falls",
            home_location_id="tower",
            faction_id="guild",
        ),
    ]
)
PLOT = PlotOutline(
    acts=[
        Act(
            number=1,
            title="Stillness",
            summary="The sea stops.",
            chapters=[
                Chapter(
                    number=1,
                    title="Low water",
                    summary="Mara notices.",
                    beats=[
                        Beat(
                            id="b_stop",
                            summary="The bells fall silent.",
                            character_ids=["mara", "oren"],
                            location_id="harbour",
                        ),
                    ],
                ),
            ],
        ),
    ]
)
NARRATIVE = BibleNarrative(
    title="The Salt Clock",
    blurb="A city that lost its tide.",
    style_guide=StyleGuide(point_of_view="close third", tense="past", voice="Salty and spare."),
    glossary=[GlossaryEntry(term="Tidewatcher", definition="One who | counts waves.")],
)
VERSIONS = {stage: 1 for stage in Stage if stage is not Stage.STORY_BIBLE}
BIBLE = StoryBible(**NARRATIVE.model_dump(), versions=VERSIONS)


def tables(markdown: str) -> list[list[str]]:
    """Every block of consecutive table lines."""
    blocks: list[list[str]] = []
    previous_was_row = False
    for line in markdown.splitlines():
        is_row = line.startswith("|")
        if is_row and not previous_was_row:
            blocks.append([])
        if is_row:
            blocks[-1].append(line)
        previous_was_row = is_row
    return blocks


def unescaped_pipes(line: str) -> int:
    count, escaped = 0, False
    for char in line:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            count += 1
    return count


def assert_well_formed_tables(markdown: str) -> None:
    for block in tables(markdown):
        assert len(block) >= 3, block
        assert set(block[1]) <= {"|", "-"}, block
        assert len({unescaped_pipes(line) for line in block}) == 1, block


@pytest.mark.parametrize(
    ("stage", "artifact", "expected"),
    [
        (Stage.CONCEPT, CONCEPT, ["# Concept", "Selected: The Salt Clock", "Lantern Debt", "✓"]),
        (Stage.STORY, STORY, ["# Story", "The Salt Clock", "Mara against the guild.", "Defiance"]),
        (Stage.WORLDVIEW, WORLD, ["`tide_law`", "Clock tower", "Tide Guild", "Nets \\| gulls"]),
        (
            Stage.CHARACTERS,
            CAST,
            [
                "| Name | Id | Role | Goal | Home |",
                "Restart \\| the tides",
                "`harbour`",
                "**Mara** → Oren (rival)",
            ],
        ),
        (
            Stage.STORY_BIBLE,
            BIBLE,
            ["# Story bible", "close third", "One who \\| counts waves.", "| Plot outline | 1 |"],
        ),
        (Stage.STORY_BIBLE, NARRATIVE, ["A city that lost its tide.", "Tidewatcher"]),
    ],
)
def test_stage_preview_shows_the_key_content(
    stage: Stage, artifact: Artifact, expected: list[str]
) -> None:
    markdown = render_artifact_markdown(stage, artifact)
    for text in expected:
        assert text in markdown
    assert_well_formed_tables(markdown)


def test_plot_preview_nests_acts_chapters_and_beats() -> None:
    markdown = render_artifact_markdown(Stage.PLOT_OUTLINE, PLOT)
    act = markdown.index("## Act 1: Stillness")
    chapter = markdown.index("### Chapter 1: Low water")
    beat = markdown.index("- `b_stop` The bells fall silent.")
    assert act < chapter < beat
    assert "characters: `mara`, `oren`; location: `harbour`" in markdown


def test_cell_escapes_pipes_and_line_breaks() -> None:
    assert cell("a|b\nc") == "a\\|b<br>c"
    assert cell(None) == ""


def test_bible_document_renders_every_part_in_order() -> None:
    document = BibleDocument(
        session_id="salt-clock",
        premise="The sea keeps time.",
        versions={**VERSIONS, Stage.STORY_BIBLE: 2},
        concept=CONCEPT,
        story=STORY,
        worldview=WORLD,
        characters=CAST,
        plot_outline=PLOT,
        story_bible=BIBLE,
    )
    markdown = render_bible_markdown(document)

    assert markdown.startswith("# The Salt Clock\n")
    headings = [
        "## Style guide",
        "## Concept",
        "## Story",
        "## World",
        "## Cast",
        "## Plot",
        "## Glossary",
        "## Versions",
    ]
    positions = [markdown.index(f"\n{h}\n") for h in headings]
    assert positions == sorted(positions)
    for text in [
        "> The sea keeps time.",
        "A city that lost its tide.",
        "`salt-clock`",
        "#### Chapter 1: Low water",
        "| Story bible | 2 |",
        "Nets \\| gulls",
    ]:
        assert text in markdown
    assert_well_formed_tables(markdown)


def test_an_excerpt_stops_at_a_line_and_says_where_the_rest_is() -> None:
    markdown = render_artifact_markdown(Stage.PLOT_OUTLINE, PLOT)
    assert excerpt(markdown, len(markdown), "elsewhere") == markdown
    short = excerpt(markdown, 120, "the rest: elsewhere")
    assert len(short) < 120 + len("\n\n… the rest: elsewhere\n")
    assert markdown.startswith(short.split("\n\n… ")[0])
    assert short.endswith("\n\n… the rest: elsewhere\n")
