"""Names must not drift between stages.

Every person the story names (logline, synopsis, central conflict) is in the cast under the
same name, and the bible's blurb names no one outside the cast. People are found by
capitalization (see `names`), minus the words of the premise, the titles, and the world's
places, factions, rules and setting.
"""

import re
from collections.abc import Mapping

from genesis_pipeline.domain.artifacts import (
    Artifact,
    BibleNarrative,
    Cast,
    Concept,
    PlotOutline,
    Story,
    Worldview,
)
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import Finding
from genesis_pipeline.gates.inputs import upstream_artifact
from genesis_pipeline.gates.names import drifted_names, name_mentions, vocabulary
from genesis_pipeline.gates.rule_findings import missing_upstream


def _world_names(world: Worldview | None) -> list[str]:
    """The names of the world's places, factions and rules."""
    if world is None:
        return []
    places = [place.name for place in world.locations]
    powers = [faction.name for faction in world.factions] + [rule.name for rule in world.rules]
    return [*places, *powers]


def _story_names(story: Story | None) -> list[str]:
    if story is None:
        return []
    return [story.title, *(part.name for part in story.structure)]


def _cast_names(cast: Cast) -> list[str]:
    return [person.name for person in cast.characters]


def _people_in(
    text: str, names: list[str], context: list[str], spec: SessionSpec | None
) -> tuple[list[str], frozenset[str]]:
    """The people `text` names once the known `names` (titles, places, factions, terms) are
    taken out, and the vocabulary a mention must go beyond to count as someone missing:
    those names, the `context` (the world's setting) and the premise."""
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(re.escape(name), ",", text, flags=re.IGNORECASE)
    known = vocabulary([*names, *context, *([spec.premise] if spec else [])])
    return name_mentions(text, spec.language if spec else "en"), known


def story_cast_drift(
    cast: Cast, story: Story, world: Worldview | None, spec: SessionSpec | None
) -> list[Finding]:
    text = "\n".join([story.logline, story.synopsis, story.central_conflict])
    names = [*_story_names(story), *_world_names(world)]
    mentions, known = _people_in(text, names, [world.setting] if world else [], spec)
    findings: list[Finding] = []
    for drift in drifted_names(mentions, _cast_names(cast), known):
        if drift.renamed_from is None:
            problem = f"the story names {drift.mention!r}, who is not in the cast"
            findings.append(Finding(field="characters", problem=problem))
        else:
            problem = f"the story calls this character {drift.mention!r}: keep the story's name"
            findings.append(
                Finding(field=f"characters[{drift.renamed_from}].name", problem=problem)
            )
    return findings


def blurb_drift(
    bible: BibleNarrative, upstream: Mapping[Stage, Artifact], spec: SessionSpec | None
) -> list[Finding]:
    cast = upstream_artifact(upstream, Stage.CHARACTERS, Cast)
    if cast is None:
        return missing_upstream(Stage.CHARACTERS)
    concept = upstream_artifact(upstream, Stage.CONCEPT, Concept)
    world = upstream_artifact(upstream, Stage.WORLDVIEW, Worldview)
    plot = upstream_artifact(upstream, Stage.PLOT_OUTLINE, PlotOutline)
    acts = plot.acts if plot else []
    names = [
        bible.title,
        *(entry.term for entry in bible.glossary),
        *(candidate.title for candidate in (concept.candidates if concept else [])),
        *_story_names(upstream_artifact(upstream, Stage.STORY, Story)),
        *_world_names(world),
        *(act.title for act in acts),
        *(chapter.title for act in acts for chapter in act.chapters),
    ]
    mentions, known = _people_in(bible.blurb, names, [world.setting] if world else [], spec)
    listed = ", ".join(_cast_names(cast))
    return [
        Finding(
            field="blurb", problem=f"names {drift.mention!r}, who is not in the cast ({listed})"
        )
        for drift in drifted_names(mentions, _cast_names(cast), known)
    ]
