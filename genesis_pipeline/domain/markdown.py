"""Markdown previews of stage artifacts, shown as asset metadata in the Dagster UI.

Each section renderer takes the heading level it starts at, so that the same text serves
as a stage preview (sections under `#`) and as a chapter of the whole bible (under `##`).
"""

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from genesis_pipeline.domain.artifacts import (
    Artifact,
    BibleNarrative,
    Cast,
    Concept,
    GlossaryEntry,
    PlotOutline,
    Story,
    StoryBible,
    StyleGuide,
    Worldview,
)
from genesis_pipeline.domain.stages import Stage


def cell(value: object) -> str:
    """Text safe inside one table cell: a `|` or a line break would split the row."""
    text = "" if value is None else str(value)
    return (
        text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = [
        "| " + " | ".join(cell(header) for header in headers) + " |",
        "|" + "---|" * len(headers),
    ]
    lines.extend("| " + " | ".join(cell(value) for value in row) + " |" for row in rows)
    return "\n".join(lines)


def heading(level: int, text: str) -> str:
    return f"{'#' * min(level, 6)} {text}"


def code(entity_id: str | None) -> str:
    return f"`{entity_id}`" if entity_id else "—"


def stage_title(stage: Stage) -> str:
    return stage.value.replace("_", " ").capitalize()


def concept_markdown(concept: Concept, level: int) -> str:
    chosen = concept.chosen
    rows = [
        ("✓" if index == concept.selected else "", c.title, c.genre, c.hook, ", ".join(c.themes))
        for index, c in enumerate(concept.candidates)
    ]
    return "\n\n".join(
        [
            heading(level, f"Selected: {chosen.title}"),
            f"*{chosen.genre}* — {chosen.hook}",
            f"**Why:** {concept.rationale}",
            heading(level, "Candidates"),
            table(["", "Title", "Genre", "Hook", "Themes"], rows),
        ]
    )


def story_markdown(story: Story, level: int) -> str:
    parts = "\n".join(
        f"{number}. **{part.name}** — {part.summary}"
        for number, part in enumerate(story.structure, start=1)
    )
    return "\n\n".join(
        [
            heading(level, story.title),
            f"*{story.logline}*",
            f"**Tone:** {story.tone} · **Themes:** {', '.join(story.themes)}",
            heading(level + 1, "Synopsis"),
            story.synopsis,
            heading(level + 1, "Central conflict"),
            story.central_conflict,
            heading(level + 1, "Structure"),
            parts,
        ]
    )


def worldview_markdown(world: Worldview, level: int) -> str:
    rules = "\n".join(f"- **{r.name}** ({code(r.id)}): {r.description}" for r in world.rules)
    locations = table(
        ["Id", "Name", "Faction", "Description"],
        ((code(p.id), p.name, code(p.faction_id), p.description) for p in world.locations),
    )
    factions = table(
        ["Id", "Name", "Goal", "Description"],
        ((code(f.id), f.name, f.goal, f.description) for f in world.factions),
    )
    history = "\n".join(f"{number}. {event}" for number, event in enumerate(world.history, 1))
    return "\n\n".join(
        [
            heading(level, "Setting"),
            world.setting,
            heading(level, "Rules"),
            rules,
            heading(level, "Locations"),
            locations,
            heading(level, "Factions"),
            factions,
            heading(level, "History"),
            history,
        ]
    )


def cast_markdown(cast: Cast, level: int) -> str:
    names = {c.id: c.name for c in cast.characters}
    overview = table(
        ["Name", "Id", "Role", "Goal", "Home", "Faction"],
        (
            (c.name, code(c.id), c.role, c.goal, code(c.home_location_id), code(c.faction_id))
            for c in cast.characters
        ),
    )
    arcs = "\n".join(f"- **{c.name}** — flaw: {c.flaw}; arc: {c.arc}" for c in cast.characters)
    relationships = "\n".join(
        f"- **{c.name}** → {names.get(r.character_id, code(r.character_id))} "
        f"({r.kind}): {r.description}"
        for c in cast.characters
        for r in c.relationships
    )
    sections = [heading(level, "Characters"), overview, heading(level, "Arcs"), arcs]
    if relationships:
        sections += [heading(level, "Relationships"), relationships]
    return "\n\n".join(sections)


def plot_markdown(plot: PlotOutline, level: int) -> str:
    sections: list[str] = []
    for act in plot.acts:
        sections += [heading(level, f"Act {act.number}: {act.title}"), act.summary]
        for chapter in act.chapters:
            beats = "\n".join(
                f"- {code(beat.id)} {beat.summary} — characters: "
                f"{', '.join(code(c) for c in beat.character_ids)}; "
                f"location: {code(beat.location_id)}"
                for beat in chapter.beats
            )
            sections += [
                heading(level + 1, f"Chapter {chapter.number}: {chapter.title}"),
                chapter.summary,
                beats,
            ]
    return "\n\n".join(sections)


def style_guide_markdown(style: StyleGuide, level: int) -> str:
    return "\n\n".join(
        [
            heading(level, "Style guide"),
            table(["Point of view", "Tense"], [(style.point_of_view, style.tense)]),
            f"**Voice:** {style.voice}",
        ]
    )


def glossary_markdown(entries: Sequence[GlossaryEntry], level: int) -> str:
    rows = ((entry.term, entry.definition) for entry in entries)
    return "\n\n".join([heading(level, "Glossary"), table(["Term", "Definition"], rows)])


def versions_markdown(versions: dict[Stage, int], level: int) -> str:
    ordered = sorted(versions.items(), key=lambda item: list(Stage).index(item[0]))
    rows = ((stage_title(stage), version) for stage, version in ordered)
    return "\n\n".join([heading(level, "Versions"), table(["Stage", "Version"], rows)])


def bible_narrative_markdown(narrative: BibleNarrative, level: int) -> str:
    sections = [
        heading(level, narrative.title),
        narrative.blurb,
        style_guide_markdown(narrative.style_guide, level + 1),
        glossary_markdown(narrative.glossary, level + 1),
    ]
    if isinstance(narrative, StoryBible):
        sections.append(versions_markdown(narrative.versions, level + 1))
    return "\n\n".join(sections)


_RENDERERS: dict[type[Artifact], Callable[[Any, int], str]] = {
    Concept: concept_markdown,
    Story: story_markdown,
    Worldview: worldview_markdown,
    Cast: cast_markdown,
    PlotOutline: plot_markdown,
    BibleNarrative: bible_narrative_markdown,
}


def render_artifact_markdown(stage: Stage, artifact: Artifact) -> str:
    """A readable preview of one stage's artifact, headed by the stage's name."""
    renderer = next(
        (_RENDERERS[kind] for kind in type(artifact).__mro__ if kind in _RENDERERS), None
    )
    if renderer is None:
        # A preview must never fail a materialization; show the raw artifact instead.
        body = f"```json\n{json.dumps(artifact.model_dump(mode='json'), indent=2)}\n```"
    else:
        body = renderer(artifact, 2)
    return f"{heading(1, stage_title(stage))}\n\n{body}\n"


def excerpt(markdown: str, limit: int, rest: str) -> str:
    """The start of `markdown` up to `limit` characters, cut at a line, then `rest` (where the
    whole text is) when something was left out."""
    if len(markdown) <= limit:
        return markdown
    cut = markdown.rfind("\n", 0, limit)
    return f"{markdown[: cut if cut > 0 else limit].rstrip()}\n\n… {rest}\n"
