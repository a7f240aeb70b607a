"""A small, complete and valid six-stage set for one premise, written by hand.

Every sample passes both gates at full score; tests mutate copies to break one rule at a time.
Each function returns a fresh object, so a test can never leak a mutation into another.
"""

from genesis_pipeline.domain.artifacts import (
    Artifact,
    Concept,
    ConceptCandidate,
    Faction,
    GlossaryEntry,
    Location,
    Story,
    StoryBible,
    StoryPart,
    StyleGuide,
    WorldRule,
    Worldview,
)
from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import STAGE_INPUTS, Stage
from genesis_pipeline_tests.unit.gates.sample_cast import characters, plot_outline

PREMISE = (
    "A lighthouse keeper in a drowning harbor town discovers that her lamp signals ships "
    "from a forgotten century."
)
TITLE = "The Lamp of Saltmere"
PASSED_VERSIONS: dict[Stage, int] = {
    Stage.CONCEPT: 1,
    Stage.STORY: 1,
    Stage.WORLDVIEW: 2,
    Stage.CHARACTERS: 1,
    Stage.PLOT_OUTLINE: 3,
}


def spec() -> SessionSpec:
    return SessionSpec(premise=PREMISE)


def concept() -> Concept:
    return Concept(
        candidates=[
            ConceptCandidate(
                title=TITLE,
                hook="Ada Venn keeps the last lighthouse of a sinking harbor, and its lamp "
                "starts answering ships that sank in 1791.",
                genre="literary fantasy",
                themes=["memory", "duty", "grief"],
            ),
            ConceptCandidate(
                title="Tidebound",
                hook="A harbor pilot bargains with the drowned crews of Saltmere to keep "
                "the town above water for one more winter.",
                genre="gothic mystery",
                themes=["bargains", "guilt"],
            ),
            ConceptCandidate(
                title="The Keeper's Ledger",
                hook="A keeper finds a logbook in which every ship the lamp ever saved is "
                "still waiting for Saltmere to pay its debt.",
                genre="historical fantasy",
                themes=["debt", "inheritance"],
            ),
        ],
        selected=0,
        rationale="The first candidate ties the lighthouse, the drowning harbor and the "
        "forgotten century together through one keeper, Ada Venn.",
    )


def story() -> Story:
    return Story(
        title=TITLE,
        logline="When the Saltmere lamp begins signaling ships from a forgotten century, "
        "keeper Ada Venn must choose between her drowning town and the sailors it abandoned.",
        synopsis="Saltmere is sinking a hand's width every year, and Ada Venn is the last "
        "keeper of its lighthouse. One storm night the lamp turns green and a brig from 1791 "
        "answers. Ada learns that the harbor guild once let these ships founder to claim "
        "their cargo, and that the sea is now collecting the debt. Corin Hale, master of the "
        "guild, wants the lamp dark for good; Ada wants to bring the lost crews home.",
        tone="melancholy and luminous",
        central_conflict="Ada Venn wants to guide the lost ships home, while Corin Hale "
        "and the Harbor Guild need the lamp dark to keep their old crime buried.",
        themes=["memory", "inheritance"],
        structure=[
            StoryPart(
                name="The Green Light",
                summary="The lamp of Saltmere answers a ghost ship and Ada Venn starts "
                "keeping a second, secret log.",
            ),
            StoryPart(
                name="The Guild's Ledger",
                summary="Ada uncovers the Harbor Guild ledger of 1791 and sees what Corin "
                "Hale's family took from the sea.",
            ),
            StoryPart(
                name="Homecoming",
                summary="On the spring tide Ada lights the lamp one final time and the "
                "forgotten century comes ashore.",
            ),
        ],
    )


def worldview() -> Worldview:
    return Worldview(
        setting="Saltmere is a harbor town on a coast the sea is slowly reclaiming; its lower "
        "streets flood at every spring tide and the old chapel already stands in water. The "
        "lighthouse on Gull Point still burns whale oil and is kept by a single keeper, as "
        "it has been since 1702.",
        rules=[
            WorldRule(
                id="tide_memory",
                name="The Tide Remembers",
                description="Whatever the sea has taken near Saltmere can return on a spring "
                "tide if a light calls it.",
            ),
            WorldRule(
                id="green_lamp",
                name="The Green Lamp",
                description="The lighthouse lamp burns green only when a ship lost within "
                "sight of it answers the signal.",
            ),
        ],
        locations=[
            Location(
                id="gull_point_light",
                name="Gull Point Light",
                description="The lighthouse on Gull Point, 41 meters of salt-bleached stone "
                "with a lamp older than the town charter.",
            ),
            Location(
                id="lower_harbor",
                name="Lower Harbor",
                description="Flooded quays and warehouses where the Harbor Guild still "
                "counts cargo by lantern light.",
                faction_id="harbor_guild",
            ),
            Location(
                id="drowned_chapel",
                name="Drowned Chapel",
                description="A chapel half under water where the Tide Wardens keep the "
                "names of everyone the sea has taken.",
                faction_id="tide_wardens",
            ),
        ],
        factions=[
            Faction(
                id="harbor_guild",
                name="Harbor Guild",
                goal="Keep the harbor trade alive and the guild's part in the 1791 wrecks buried.",
                description="Merchants who have run the Saltmere quays for three centuries "
                "and fear the returning ships.",
            ),
            Faction(
                id="tide_wardens",
                name="Tide Wardens",
                goal="Remember the drowned and see that the sea is repaid what Saltmere owes it.",
                description="A lay order of widows and fishermen who tend the Drowned Chapel "
                "registers.",
            ),
        ],
        history=[
            "In 1791 the Harbor Guild darkened the lighthouse during a storm and looted "
            "four wrecked brigs.",
            "Since 1850 the sea has risen each decade, and the Tide Wardens say the drowned "
            "are coming to collect.",
        ],
    )


def story_bible() -> StoryBible:
    return StoryBible(
        title=TITLE,
        blurb="In the sinking harbor town of Saltmere, lighthouse keeper Ada Venn discovers "
        "that her lamp is calling home ships the Harbor Guild let drown in 1791. To answer "
        "them she must open the town's oldest ledger and face Corin Hale, who would rather "
        "see Saltmere sink than pay.",
        style_guide=StyleGuide(
            point_of_view="close third person",
            tense="past",
            voice="Spare and salt-worn, with long sentences for the sea and short ones for "
            "Ada Venn's fear.",
        ),
        glossary=[
            GlossaryEntry(
                term="green lamp",
                definition="The lighthouse lamp when it burns green: a lost ship has answered "
                "the Saltmere signal.",
            ),
            GlossaryEntry(
                term="spring tide",
                definition="The highest tide of the month, when the Drowned Chapel floods "
                "to its altar.",
            ),
            GlossaryEntry(
                term="the ledger",
                definition="The Harbor Guild account book of 1791, which records the cargo "
                "taken from the wrecks.",
            ),
        ],
        versions=dict(PASSED_VERSIONS),
    )


SAMPLES = {
    Stage.CONCEPT: concept,
    Stage.STORY: story,
    Stage.WORLDVIEW: worldview,
    Stage.CHARACTERS: characters,
    Stage.PLOT_OUTLINE: plot_outline,
    Stage.STORY_BIBLE: story_bible,
}


def artifact(stage: Stage) -> Artifact:
    return SAMPLES[stage]()


def upstream(stage: Stage) -> dict[Stage, Artifact]:
    """Fresh copies of the inputs of `stage`, as the pipeline would hand them to the gates."""
    return {source: artifact(source) for source in STAGE_INPUTS[stage]}


def bible_document() -> BibleDocument:
    return BibleDocument(
        session_id="saltmere-light-01",
        premise=PREMISE,
        versions={**PASSED_VERSIONS, Stage.STORY_BIBLE: 1},
        concept=concept(),
        story=story(),
        worldview=worldview(),
        characters=characters(),
        plot_outline=plot_outline(),
        story_bible=story_bible(),
    )
