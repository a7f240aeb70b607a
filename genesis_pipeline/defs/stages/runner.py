"""What every stage asset does: brief → prompt → generate → gates → one output + check results.

Pure in the sense of docs/ARCHITECTURE.md principle 1: it reads its brief, calls the generator and
returns values. Storing the version, the verdicts and their events is the IO manager's job.
"""

import warnings
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from genesis_pipeline.defs.checks import GateSettings, approval_result, check_result
from genesis_pipeline.defs.resources import (
    GeneratorResource,
    GenesisStoreResource,
)
from genesis_pipeline.defs.stages.prompting import StagePrompt
from genesis_pipeline.domain.artifacts import GENERATED_MODELS, Artifact, StoryBible
from genesis_pipeline.domain.markdown import excerpt, render_artifact_markdown
from genesis_pipeline.domain.outcome import (
    NextStep,
    StageOutcome,
    StageResult,
    decide,
    no_progress,
)
from genesis_pipeline.domain.records import StageBrief
from genesis_pipeline.domain.session import ReviewMode, SessionStatus
from genesis_pipeline.domain.spending import BudgetExhausted, Cost, Spending, call_cost
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateVerdict
from genesis_pipeline.gates.evaluate import evaluate_gates
from genesis_pipeline.gates.judge import judge_prompt
from genesis_pipeline.gates.text import artifact_text
from genesis_pipeline.generation.port import (
    CallRecord,
    Generation,
    GenerationError,
    Judged,
    StageRequest,
    TokenBudget,
)
from genesis_pipeline.store.budgets import SessionBudgets

# Transient generator faults (timeouts, 429, 5xx) are retried by Dagster with backoff and
# jitter; permanent ones raise Failure(allow_retries=False) and are not.
GENERATION_RETRY = dg.RetryPolicy(
    max_retries=4, delay=2.0, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

PREVIEW_CHARS = 1_500


def run_stage(
    context: dg.AssetExecutionContext,
    stage: Stage,
    prompt: StagePrompt,
    upstream: Mapping[Stage, Artifact],
    genesis_store: GenesisStoreResource,
    generator: GeneratorResource,
    gates: GateSettings,
) -> Iterator[dg.Output[StageResult] | dg.AssetCheckResult]:
    brief = genesis_store.store.brief(context.partition_key, stage)
    if brief.session.status in (SessionStatus.CANCELLED, SessionStatus.PAUSED):
        raise dg.Failure(
            f"session {brief.session.session_id} is {brief.session.status}; not generating {stage}",
            allow_retries=False,
        )
    budgets = genesis_store.budgets(context.run.tags)
    request = _request(brief, prompt, upstream, budgets)
    started_at = datetime.now(UTC)
    try:
        generation = _generate(generator, request)
        artifact = _finish(stage, generation.artifact, brief)
        judged = _judge(context, generator, request, artifact)
    except BudgetExhausted as error:
        # No call was made, nothing is stored: the session waits for a larger budget.
        raise dg.Failure(
            f"{stage} attempt {brief.attempt}: {error}",
            metadata={"error_class": error.error_class, "spent": error.spent, "limit": error.limit},
            allow_retries=False,
        ) from None
    verdicts = evaluate_gates(
        stage,
        artifact,
        spec=brief.session.spec,
        upstream=upstream,
        passed_versions=brief.passed_versions,
        quality_threshold=gates.threshold(),
        judgement=judged.judgement if judged else None,
    )
    outcome = _outcome(brief, prompt, generation, judged, artifact, verdicts, started_at)
    session_spent = genesis_store.store.spending(brief.session.session_id)
    with warnings.catch_warnings():
        # Reporting our own data version is deliberate; Dagster flags the parameter as beta.
        warnings.simplefilter("ignore", dg.BetaWarning)
        output = dg.Output(
            StageResult(artifact, outcome),
            data_version=dg.DataVersion(f"v{brief.version}"),
            metadata=_metadata(stage, artifact, outcome, brief, budgets, session_spent),
        )
    yield output
    for verdict in verdicts:
        yield check_result(verdict, attempt=brief.attempt, version=brief.version)
    yield approval_result(
        stage,
        session_id=brief.session.session_id,
        version=brief.version,
        gates_passed=outcome.decision.step is NextStep.COMPLETE,
        human=brief.session.review_mode is ReviewMode.HUMAN,
    )


def _generate(generator: GeneratorResource, request: StageRequest) -> Generation:
    try:
        return generator.generate(request)
    except GenerationError as error:
        if error.retryable:
            raise  # the asset's RetryPolicy takes it from here
        raise dg.Failure(
            f"{request.stage} attempt {request.attempt}: {error}", allow_retries=False
        ) from error


def _request(
    brief: StageBrief,
    prompt: StagePrompt,
    upstream: Mapping[Stage, Artifact],
    budget: TokenBudget,
) -> StageRequest:
    stage = brief.stage
    previous = _as_generated(stage, brief.previous.artifact()) if brief.previous else None
    return StageRequest(
        session_id=brief.session.session_id,
        stage=stage,
        attempt=brief.attempt,
        spec=brief.session.spec,
        upstream=upstream,
        prompt=prompt.render(brief.session.spec, upstream, brief.instructions, previous),
        output_model=GENERATED_MODELS[stage],
        instructions=brief.instructions,
        previous=previous,
        seed=brief.seed,
        budget=budget,
    )


def _outcome(
    brief: StageBrief,
    prompt: StagePrompt,
    generation: Generation,
    judged: Judged | None,
    artifact: Artifact,
    verdicts: tuple[GateVerdict, ...],
    started_at: datetime,
) -> StageOutcome:
    """The attempt as one fact: its identity, every call's cost (the judge's too), the
    verdicts and what they decide."""
    calls = _calls(generation) + (judged.calls if judged else ())
    return StageOutcome(
        session_id=brief.session.session_id,
        stage=brief.stage,
        version=brief.version,
        attempt=brief.attempt,
        seed=brief.seed,
        basis_key=brief.basis_key,
        upstream_versions=brief.passed_versions,
        revision_request_id=brief.revision_request_id,
        model=generation.model,
        prompt_version=prompt.version,
        tokens_in=sum(int(call["tokens_in"]) for call in calls),
        tokens_out=sum(int(call["tokens_out"]) for call in calls),
        latency_ms=sum(float(call["latency_ms"]) for call in calls),
        calls=calls,
        started_at=started_at,
        verdicts=verdicts,
        decision=decide(
            verdicts,
            attempt=brief.attempt,
            max_attempts=brief.session.spec.max_attempts,
            strategy=brief.strategy,
            stalled=_stalled(brief, artifact, verdicts),
        ),
        strategy=brief.strategy,
        flaw=str(generation.extra["flaw"]) if generation.extra.get("flaw") else None,
    )


def _calls(generation: Generation) -> tuple[CallRecord, ...]:
    """The provider's log of its calls, or the attempt as one call for a provider without one."""
    if generation.calls:
        return generation.calls
    whole: CallRecord = {"tokens_in": generation.tokens_in, "tokens_out": generation.tokens_out}
    return ({**whole, "latency_ms": round(generation.latency_ms, 1), "purpose": "draft"},)


def _stalled(
    brief: StageBrief, artifact: Artifact, verdicts: tuple[GateVerdict, ...]
) -> str | None:
    if brief.previous_attempt is None:
        return None
    findings = frozenset(f for verdict in verdicts if not verdict.passed for f in verdict.findings)
    return no_progress(brief.previous_attempt, artifact_text(artifact), findings)


def _judge(
    context: dg.AssetExecutionContext,
    generator: GeneratorResource,
    request: StageRequest,
    artifact: Artifact,
) -> Judged | None:
    """The model's relevance judgement, when the provider has one. A judge that fails leaves
    relevance to the gates' own check: it must not fail a draft the gates would pass."""
    system, user = judge_prompt(request.stage, artifact, request.spec, request.upstream)
    try:
        return generator.judge(request, system=system, user=user)
    except GenerationError as error:
        context.log.warning(f"no relevance judgement for {request.stage}: {error}")
        return None


def _as_generated(stage: Stage, artifact: Artifact) -> Artifact:
    """A stored artifact as the generator writes it (the bible without its version table)."""
    model = GENERATED_MODELS[stage]
    return model.model_validate(artifact.model_dump(include=set(model.model_fields)))


def _finish(stage: Stage, generated: Artifact, brief: StageBrief) -> Artifact:
    """The bible's version table comes from the store, never from a model."""
    if stage is Stage.STORY_BIBLE:
        return StoryBible(**generated.model_dump(), versions=brief.passed_versions)
    return generated


def _metadata(
    stage: Stage,
    artifact: Artifact,
    outcome: StageOutcome,
    brief: StageBrief,
    budgets: SessionBudgets,
    session_spent: Spending,
) -> dict[str, Any]:
    """What a person looking at the materialization wants to read, in that order."""
    calls = [
        call_cost(budgets.prices, outcome.model, int(c["tokens_in"]), int(c["tokens_out"]))
        for c in outcome.calls
    ]
    cost = Cost(sum(c.usd for c in calls), priced=all(c.priced for c in calls))
    limit = brief.session.spec.budget_tokens or budgets.default_budget
    metadata: dict[str, Any] = {
        "attempt": outcome.attempt,
        "version": outcome.version,
        "verdicts": dg.MetadataValue.md(_verdicts(outcome)),
        "next": _next_step(outcome, brief.session.spec.max_attempts),
        # Dagster records a partitioned input's data version as a hash; this says it plainly.
        "built_from": ", ".join(f"{s.value} v{n}" for s, n in outcome.upstream_versions.items())
        or "the premise",
        # Numbers, so that the asset's plots show them over attempts and sessions.
        "quality_score": outcome.quality_score,
        "tokens": outcome.tokens_in + outcome.tokens_out,
        "cost_usd": dg.MetadataValue.float(round(cost.usd, 6)),
        "tokens_in": outcome.tokens_in,
        "tokens_out": outcome.tokens_out,
        "model_calls": len(outcome.calls),
        "latency_ms": round(outcome.latency_ms, 2),
        "model": outcome.model,
        "prompt_version": outcome.prompt_version,
        "gates": outcome.decision.step.value,
        "session_tokens": f"{session_spent.tokens:,} of a {limit:,}-token budget",
        "session_cost_usd": dg.MetadataValue.float(round(session_spent.cost_usd, 6)),
        # What a person reads in the UI; every materialization keeps it in Dagster's event log,
        # so it is bounded (the whole version lives in the genesis store).
        "preview": dg.MetadataValue.md(
            excerpt(
                render_artifact_markdown(stage, artifact),
                PREVIEW_CHARS,
                f"the whole version: `genesis export {brief.session.session_id} --to DIR`",
            )
        ),
    }
    if not cost.priced:
        metadata["price"] = f"no price for {outcome.model}: counted as $0 (GENESIS_MODEL_PRICES)"
    if brief.instructions:
        metadata["instructions"] = dg.MetadataValue.md(
            "\n".join(f"- {line}" for line in brief.instructions)
        )
    if outcome.flaw:
        metadata["injected_flaw"] = outcome.flaw
    return metadata


def _verdicts(outcome: StageOutcome) -> str:
    """One line per gate: passed or failed, the score, and the findings of a failed one."""
    lines = []
    for verdict in outcome.verdicts:
        mark = "passed" if verdict.passed else "**failed**"
        line = f"- {verdict.gate.value}: {mark}, score {verdict.score:.2f}"
        if verdict.threshold is not None:
            line += f" (threshold {verdict.threshold:.2f})"
        lines.append(line)
        lines += [f"  - `{f.field}`: {f.problem}" for f in verdict.findings[:10]]
    return "\n".join(lines) or "no gates"


def _next_step(outcome: StageOutcome, max_attempts: int) -> str:
    """What the gates' decision means for the session, in words (`gates` has its code)."""
    decision = outcome.decision
    if decision.step is NextStep.COMPLETE:
        return "every gate passed"
    if decision.step is NextStep.REWRITE:
        return (
            f"{decision.reason} gate failed: attempt {decision.next_attempt} of {max_attempts} "
            f"follows ({decision.strategy.value})"
        )
    return f"{decision.reason} gate failed, no attempt left: the session needs attention"
