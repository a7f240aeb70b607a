"""Type-checked access to the artifact under review and to its upstream artifacts."""

from collections.abc import Mapping
from typing import TypeVar

from genesis_pipeline.domain.artifacts import GENERATED_MODELS, Artifact
from genesis_pipeline.domain.stages import Stage

ArtifactT = TypeVar("ArtifactT", bound=Artifact)


def check_artifact(stage: Stage, artifact: Artifact) -> None:
    """Refuse an artifact of the wrong model: that is a wiring bug, not a draft to score."""
    # GENERATED_MODELS, not ARTIFACT_MODELS: StoryBible subclasses BibleNarrative, so a
    # bible is accepted both before and after its `versions` are filled in.
    expected = GENERATED_MODELS[stage]
    if not isinstance(artifact, expected):
        raise TypeError(
            f"{stage.value} gate expects {expected.__name__}, got {type(artifact).__name__}"
        )


def upstream_artifact(
    upstream: Mapping[Stage, Artifact], stage: Stage, model: type[ArtifactT]
) -> ArtifactT | None:
    """The upstream artifact of `stage`, or None when it was not given."""
    value = upstream.get(stage)
    if value is None:
        return None
    if not isinstance(value, model):
        raise TypeError(
            f"upstream {stage.value} should be {model.__name__}, got {type(value).__name__}"
        )
    return value
