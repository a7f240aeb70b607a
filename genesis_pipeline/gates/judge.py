"""The semantic relevance judgement: a model's scores, and the rubric prompt that asks for them.

The gates stay pure: the caller renders `judge_prompt`, sends it to a model as one more
generation call (its tokens, latency and rate limit are the caller's to record), parses the
answer into `RelevanceJudgement` and passes it to `evaluate_gates(..., judgement=...)`. The
relevance criterion then blends it with the offline check (see `quality_criteria.relevance`).

The prompt is kept short enough for a 135M-parameter model: a three-line rubric, the premise,
a digest of the upstream (titles, names and one line of story, never whole artifacts) and a
clipped view of the draft.
"""

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
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage

UPSTREAM_DIGEST_CHARS = 320
DRAFT_DIGEST_CHARS = 1200


_SYSTEM = (
    "You check drafts for a novel-planning tool. Score how well the draft fits the premise "
    "and the earlier stages. Reply with JSON only: "
    '{"premise_fit": number from 0 to 1, "upstream_fit": number from 0 to 1, '
    '"reasons": "one short sentence"}.'
)
_RUBRIC = (
    "premise_fit: 1 if the draft is about the premise (its people, place, time and events), "
    "0.5 if only partly, 0 if it is about something else.\n"
    "upstream_fit: 1 if it keeps the names, places and story of the earlier stages, 0.5 if "
    "it changes some, 0 if it ignores them. With no earlier stages, answer 1."
)


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def digest(artifact: Artifact, *, draft: bool = False) -> str:
    """What a stage decided in a few lines; `draft` adds the prose that is being judged."""
    if isinstance(artifact, Concept):
        if draft:
            return " ".join(f"{c.title}: {c.hook}" for c in artifact.candidates)
        chosen = artifact.chosen
        return f"title {chosen.title!r}; {chosen.hook} Themes: {', '.join(chosen.themes)}."
    if isinstance(artifact, Story):
        story = artifact.synopsis if draft else f"Conflict: {artifact.central_conflict}"
        return f"title {artifact.title!r}; {artifact.logline} {story}"
    if isinstance(artifact, Worldview):
        places = ", ".join(place.name for place in artifact.locations)
        factions = ", ".join(faction.name for faction in artifact.factions)
        return f"Places: {places}. Factions: {factions}. {artifact.setting}"
    if isinstance(artifact, Cast):
        return " ".join(f"{c.name} ({c.role}): {c.goal}" for c in artifact.characters)
    if isinstance(artifact, PlotOutline):
        parts = [f"Act {act.number}: {act.summary}" for act in artifact.acts]
        if draft:
            parts += [chapter.summary for act in artifact.acts for chapter in act.chapters]
        return " ".join(parts)
    if isinstance(artifact, BibleNarrative):
        return f"title {artifact.title!r}; {artifact.blurb}"
    raise TypeError(f"no digest for {type(artifact).__name__}")


def judge_prompt(
    stage: Stage, artifact: Artifact, spec: SessionSpec, upstream: Mapping[Stage, Artifact]
) -> tuple[str, str]:
    """The (system, user) text asking a model for a `RelevanceJudgement` of one draft."""
    earlier = [
        f"- {source.value}: {_clip(digest(upstream[source]), UPSTREAM_DIGEST_CHARS)}"
        for source in STAGE_ORDER
        if source in upstream
    ]
    user = "\n".join(
        [
            f"Premise: {spec.premise}",
            f"Language: {spec.language}",
            "Earlier stages:",
            *(earlier or ["- none"]),
            f"Draft ({stage.value}): {_clip(digest(artifact, draft=True), DRAFT_DIGEST_CHARS)}",
            "",
            _RUBRIC,
        ]
    )
    return _SYSTEM, user
