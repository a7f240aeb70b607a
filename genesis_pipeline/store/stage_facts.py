"""The events that announce one stored stage outcome, in the order they happened."""

from datetime import datetime

from genesis_pipeline.domain.events import Envelope, EventType, new_event
from genesis_pipeline.domain.outcome import NextStep, StageOutcome
from genesis_pipeline.domain.session import ReviewMode
from genesis_pipeline.store.records import SessionRecord


def outcome_events(
    outcome: StageOutcome,
    session: SessionRecord,
    *,
    version_id: int,
    run_id: str | None,
    summary: str,
    bible_location: str | None = None,
) -> list[tuple[str, Envelope]]:
    """(fact key, event) pairs; the fact key makes a re-recorded fact a no-op, not a duplicate."""
    stage = outcome.stage.value
    base = {"stage": stage, "version": outcome.version}
    chain: list[tuple[str, Envelope]] = []

    def emit(
        event_type: EventType,
        payload: dict[str, object],
        *,
        fact: str,
        at: datetime | None = None,
    ) -> None:
        cause = chain[-1][1].event_id if chain else None
        event = new_event(
            event_type,
            session_id=session.session_id,
            correlation_id=session.correlation_id,
            causation_id=cause,
            payload=payload,
            occurred_at=at,
        )
        chain.append((fact, event))

    key = f"{version_id}"
    generation = {"stage": stage, "model": outcome.model, "prompt_version": outcome.prompt_version}
    emit(
        EventType.STAGE_STARTED,
        {"stage": stage, "attempt": outcome.attempt, "run_id": run_id},
        fact=f"stage.started:{key}",
        at=outcome.started_at,
    )
    emit(
        EventType.AGENT_TASK_REQUESTED,
        {**generation, "attempt": outcome.attempt},
        fact=f"agent.task.requested:{key}",
        at=outcome.started_at,
    )
    emit(
        EventType.AGENT_TASK_COMPLETED,
        {
            **generation,
            "tokens_in": outcome.tokens_in,
            "tokens_out": outcome.tokens_out,
            "latency_ms": round(outcome.latency_ms, 1),
            "calls": list(outcome.calls),
        },
        fact=f"agent.task.completed:{key}",
    )
    emit(
        EventType.CONTENT_GENERATED,
        {**base, "attempt": outcome.attempt, "summary": summary},
        fact=f"content.generated:{key}",
    )
    for verdict in outcome.verdicts:
        findings = [f.model_dump() for f in verdict.findings]
        verdict_payload = {
            **base,
            "score": verdict.score,
            "passed": verdict.passed,
            "findings": findings,
        }
        if verdict.gate == "quality":
            emit(
                EventType.QUALITY_CHECK_COMPLETED,
                {**verdict_payload, "threshold": verdict.threshold},
                fact=f"quality.check.completed:{key}",
            )
        else:
            emit(
                EventType.CONSISTENCY_CHECK_REQUESTED,
                base,
                fact=f"consistency.check.requested:{key}",
            )
            emit(
                EventType.CONSISTENCY_CHECK_COMPLETED,
                verdict_payload,
                fact=f"consistency.check.completed:{key}",
            )

    decision = outcome.decision
    if decision.step is NextStep.COMPLETE:
        emit(
            EventType.STAGE_COMPLETED,
            {**base, "quality_score": outcome.quality_score},
            fact=f"stage.completed:{key}",
        )
        if session.review_mode is ReviewMode.AUTO:
            emit(
                EventType.CONTENT_APPROVED,
                {**base, "approved_by": "auto"},
                fact=f"content.approved:{key}",
            )
        if bible_location is not None:
            emit(
                EventType.SESSION_COMPLETED,
                {"bible_location": bible_location, "bible_version": outcome.version},
                fact=f"session.completed:{key}",
            )
    elif decision.step is NextStep.REWRITE:
        emit(
            EventType.STAGE_REWRITE_REQUESTED,
            {
                "stage": stage,
                "reason": decision.reason,
                "next_attempt": decision.next_attempt,
                "instructions": list(decision.instructions),
                "strategy": decision.strategy.value,
                **({"note": decision.note} if decision.note else {}),
            },
            fact=f"stage.rewrite_requested:{key}",
        )
    else:
        emit(
            EventType.STAGE_FAILED,
            {
                "stage": stage,
                "attempts": outcome.attempt,
                "error_class": f"{decision.reason}_gate_failed",
                "message": "; ".join(
                    ([decision.note] if decision.note else []) + list(decision.instructions)
                )[:2000],
            },
            fact=f"stage.failed:{key}",
        )
    return chain
