"""What a gate says about a draft: pass or fail, a score, and findings that name the field."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from genesis_pipeline.domain.stages import Stage

REASONS_MAX_CHARS = 300
# The `field` of a finding about the artifact as a whole rather than one field.
WHOLE_ARTIFACT = "(all fields)"


class RelevanceJudgement(BaseModel):
    """A model's view of how well a draft fits its premise and the stages before it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    premise_fit: float = Field(ge=0.0, le=1.0, description="0 = unrelated, 1 = clearly about it")
    upstream_fit: float = Field(
        ge=0.0, le=1.0, description="agreement with the earlier stages; 1 when there are none"
    )
    reasons: str = Field(default="", max_length=REASONS_MAX_CHARS)

    def score(self, *, has_upstream: bool) -> float:
        """One score in [0, 1]: the mean of the aspects that apply to the stage."""
        if not has_upstream:
            return self.premise_fit
        return round((self.premise_fit + self.upstream_fit) / 2, 3)


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
