"""The exported bible as one Markdown document, for the UI and for writers who read it."""

from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.markdown import (
    cast_markdown,
    concept_markdown,
    glossary_markdown,
    heading,
    plot_markdown,
    story_markdown,
    style_guide_markdown,
    versions_markdown,
    worldview_markdown,
)


def render_bible_markdown(document: BibleDocument) -> str:
    """Title, blurb, style guide, then every stage's artifact, the glossary and the versions."""
    bible = document.story_bible
    sections = [
        heading(1, bible.title),
        "\n".join(f"> {line}" for line in document.premise.splitlines()),
        bible.blurb,
        f"Session `{document.session_id}`",
        style_guide_markdown(bible.style_guide, 2),
        heading(2, "Concept"),
        concept_markdown(document.concept, 3),
        heading(2, "Story"),
        story_markdown(document.story, 3),
        heading(2, "World"),
        worldview_markdown(document.worldview, 3),
        heading(2, "Cast"),
        cast_markdown(document.characters, 3),
        heading(2, "Plot"),
        plot_markdown(document.plot_outline, 3),
        glossary_markdown(bible.glossary, 2),
        versions_markdown(document.versions, 2),
    ]
    return "\n\n".join(sections) + "\n"
