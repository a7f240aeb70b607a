"""What a gate says about a draft: pass or fail, a score, and findings that name the field."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.gates.judge import RelevanceJudgement

# The `field` of a finding about the artifact as a whole rather than one field.
WHOLE_ARTIFACT = "(all fields)"


class GateName(StrEnum):
    QUALITY = "quality"
    CONSISTENCY = "consistency"


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str = Field(description="dotted path of the field, e.g. characters[2].home_location_id")
    problem: str

    def as_instruction(self) -> str:
        """The finding phrased as a revision instruction for the next attempt."""
        return f"Fix {self.field}: {self.problem}"


class GateVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    gate: GateName
    stage: Stage
    passed: bool
    score: float = Field(ge=0.0, le=1.0)
    threshold: float | None = None
    findings: tuple[Finding, ...] = ()
    # The model's relevance judgement the quality verdict was given, shown as check metadata.
    judgement: RelevanceJudgement | None = None
