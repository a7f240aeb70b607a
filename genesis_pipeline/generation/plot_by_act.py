"""The plot outline, asked for act by act.

A whole outline (3 acts × 2-3 chapters × 2-3 beats) is more than a small model writes in one
bounded answer, so it is split: first the acts (number, title, summary), then each act's
chapters and beats with the plan of all acts in view. The parts are assembled into one
`PlotOutline`; the gates judge the whole as they would a single answer.
"""

from typing import Protocol

from pydantic import Field

from genesis_pipeline.domain.artifacts import Act, Artifact, Chapter, PlotOutline, ShortText, Text
from genesis_pipeline.generation.port import ModelT, StageRequest


class ActPlan(Artifact):
    number: int = Field(ge=1)
    title: ShortText
    summary: Text


class PlotPlan(Artifact):
    """The acts of the outline, before their chapters are written."""

    acts: list[ActPlan] = Field(min_length=1)


class ActChapters(Artifact):
    """One act's chapters and beats."""

    chapters: list[Chapter] = Field(min_length=1)


class Ask(Protocol):
    """One bounded answer of `output_model` to the stage's prompt with `user` as its text."""

    def __call__(self, output_model: type[ModelT], *, user: str) -> ModelT: ...


def write_plot_by_act(request: StageRequest, ask: Ask) -> PlotOutline:
    user = request.prompt.user
    plan = ask(
        PlotPlan,
        user=f"{user}\n\nFirst step: give only the acts (number, title, summary); "
        "their chapters come next.",
    )
    outline = "\n".join(f"Act {a.number}: {a.title} - {a.summary}" for a in plan.acts)
    acts: list[Act] = []
    chapter_number = 1
    for index, act in enumerate(plan.acts, start=1):
        part = ask(
            ActChapters,
            user=f"{user}\n\nThe acts:\n{outline}\n\nNow write act {index} only "
            f"({act.title}): its chapters and their beats. Beat ids start with "
            f"`beat_{index}_`.",
        )
        chapters = []
        for chapter in part.chapters:
            # Chapters are numbered through the book, whatever each answer started from.
            chapters.append(chapter.model_copy(update={"number": chapter_number}))
            chapter_number += 1
        acts.append(Act(number=index, title=act.title, summary=act.summary, chapters=chapters))
    return PlotOutline(acts=acts)
