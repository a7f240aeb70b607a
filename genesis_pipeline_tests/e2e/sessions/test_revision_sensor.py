import dagster as dg

from genesis_pipeline.defs.automation.sensors import genesis_revision_sensor
from genesis_pipeline.defs.resources import GeneratorResource
from genesis_pipeline.defs.stages.definitions import GENESIS_ASSETS
from genesis_pipeline.defs.stages.partitions import genesis_sessions
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.service import handlers


def test_a_failed_gate_becomes_a_run_of_the_stage_and_its_downstream(instance, make_resources):
    resources = make_resources(GeneratorResource(provider="offline", offline_flaw_rate=1.0))
    store = resources["genesis_store"].store
    handlers.create_session(
        store.unit_of_work(),
        "bells-01",
        SessionSpec(premise="A bell founder hears a bell"),
        correlation_id="c",
    )
    instance.add_dynamic_partitions(genesis_sessions.name, ["bells-01"])
    first = dg.materialize(
        GENESIS_ASSETS,
        partition_key="bells-01",
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not first.success  # the concept's first draft carries a flaw

    context = dg.build_sensor_context(
        instance=instance, resources={"genesis_store": resources["genesis_store"]}
    )
    result = genesis_revision_sensor(context)
    assert isinstance(result, dg.SensorResult)
    [request] = result.run_requests or []
    assert request.partition_key == "bells-01"
    assert request.asset_selection == [
        dg.AssetKey(s)
        for s in (
            "concept", "story", "worldview", "characters", "plot_outline", "story_bible",
            "bible_export",
        )
    ]  # fmt: skip
    assert request.run_key and request.run_key.startswith("revision:bells-01:")
    assert request.tags["genesis/session"] == "bells-01"

    # Once the revision is stored, nothing is pending and the sensor skips.
    dg.materialize(
        GENESIS_ASSETS,
        selection=["concept"],
        partition_key="bells-01",
        instance=instance,
        resources=resources,
    )
    assert isinstance(genesis_revision_sensor(context), dg.SkipReason)
