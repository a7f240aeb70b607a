"""Transient generator faults are retried by the RetryPolicy; malformed output fails clearly."""

import dataclasses

import dagster as dg

from genesis_pipeline.defs.resources import GeneratorResource
from genesis_pipeline.defs.stages.definitions import GENESIS_ASSETS
from genesis_pipeline.defs.stages.partitions import genesis_sessions
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.generation.port import MalformedOutputError, TransientGenerationError
from genesis_pipeline.service import handlers

CALLS: dict[str, int] = {}


class FlakyGenerator(GeneratorResource):
    """Times out on the first call for each stage, then answers."""

    def generate(self, request):  # type: ignore[no-untyped-def]
        CALLS[request.stage] = CALLS.get(request.stage, 0) + 1
        if CALLS[request.stage] == 1:
            raise TransientGenerationError("timeout after 60 s")
        return super().generate(request)


class GarbledGenerator(GeneratorResource):
    def generate(self, request):  # type: ignore[no-untyped-def]
        CALLS[request.stage] = CALLS.get(request.stage, 0) + 1
        raise MalformedOutputError("structure: List should have at least 3 items (after 3 tries)")


def materialize_concept(instance, make_resources, generator):
    resources = make_resources(generator)
    handlers.create_session(
        resources["genesis_store"].store.unit_of_work(),
        "flaky-01",
        SessionSpec(premise="A bell founder hears a bell no one rang"),
        correlation_id="c",
    )
    instance.add_dynamic_partitions(genesis_sessions.name, ["flaky-01"])
    return dg.materialize(
        GENESIS_ASSETS,
        selection=["concept"],
        partition_key="flaky-01",
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )


def test_a_transient_error_is_retried_and_the_stage_succeeds(instance, make_resources):
    CALLS.clear()
    result = materialize_concept(instance, make_resources, FlakyGenerator(provider="offline"))
    assert result.success
    assert CALLS == {"concept": 2}
    retries = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert len(retries) == 1


def test_malformed_output_fails_the_stage_without_retrying(instance, make_resources):
    CALLS.clear()
    result = materialize_concept(instance, make_resources, GarbledGenerator(provider="offline"))
    assert not result.success
    assert CALLS == {"concept": 1}
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "structure: List should have at least 3 items" in str(failure.step_failure_data.error)  # type: ignore[union-attr]


def test_a_permanent_error_fails_the_stage_and_flags_the_session(run):
    CALLS.clear()
    result, resources = run(generator=GarbledGenerator(provider="offline"))
    assert result.status.value == "needs_attention"
    with resources["genesis_store"].store.read() as r:
        failed = [
            e for e in r.outbox.for_session("harbor-01") if e.event_type == "genesis.stage.failed"
        ]
        session = r.sessions.get("harbor-01")
    assert [(e.payload["stage"], e.payload["error_class"]) for e in failed] == [
        ("concept", "Failure")
    ]
    assert "at least 3 items" in failed[0].payload["message"]
    assert failed[0].payload["message"].startswith("concept attempt 1: ")  # no class path
    assert session is not None and "concept failed" in (session.status_reason or "")


def test_the_failure_sensor_records_a_permanent_error_of_a_daemon_run(instance, make_resources):
    from genesis_pipeline.defs.automation.sensors import genesis_stage_failure_sensor

    CALLS.clear()
    result = materialize_concept(instance, make_resources, GarbledGenerator(provider="offline"))
    resources = make_resources()
    context = dg.build_run_status_sensor_context(
        sensor_name="genesis_stage_failure_sensor",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources={"genesis_store": resources["genesis_store"]},
    ).for_run_failure()
    genesis_stage_failure_sensor(context)
    with resources["genesis_store"].store.read() as r:
        failed = [
            e for e in r.outbox.for_session("flaky-01") if e.event_type == "genesis.stage.failed"
        ]
    assert [e.payload["stage"] for e in failed] == ["concept"]


class StuckGenerator(GeneratorResource):
    """Writes the same flawed cast whatever it is told: one character twice, no antagonist."""

    def generate(self, request):  # type: ignore[no-untyped-def]
        from genesis_pipeline.domain.stages import Stage

        generation = super().generate(request)
        if request.stage is not Stage.CHARACTERS:
            return generation
        strategy = "fresh" if request.previous is None and request.attempt > 1 else "revise"
        CALLS[strategy] = CALLS.get(strategy, 0) + 1
        if "cast" not in STUCK:
            first = generation.artifact.characters[0]
            twin = first.model_copy(update={"id": "char_twin"})
            STUCK["cast"] = generation.artifact.model_copy(update={"characters": [first, twin]})
        return dataclasses.replace(generation, artifact=STUCK["cast"])


STUCK: dict[str, object] = {}


def test_a_revision_loop_without_progress_starts_fresh_then_stops_early(run):
    CALLS.clear()
    STUCK.clear()
    result, resources = run(generator=StuckGenerator(provider="offline"), max_attempts=6)

    assert result.status.value == "needs_attention"
    with resources["genesis_store"].store.read() as r:
        events = r.outbox.for_session("harbor-01")
    rewrites = [
        e.payload
        for e in events
        if e.event_type == "genesis.stage.rewrite_requested" and e.payload["stage"] == "characters"
    ]
    assert [(p["next_attempt"], p["strategy"]) for p in rewrites] == [(2, "revise"), (3, "fresh")]
    assert "starting fresh" in rewrites[1]["note"]
    [failed] = [e.payload for e in events if e.event_type == "genesis.stage.failed"]
    assert failed["stage"] == "characters" and failed["attempts"] == 3  # not 6
    assert failed["message"].startswith("stopped early, no progress")
    # The first draft, its revision, then one fresh draft with a new seed.
    assert CALLS == {"revise": 2, "fresh": 1}
