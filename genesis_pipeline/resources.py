"""The resources every genesis run uses, built from the GENESIS_* environment at run time."""

from typing import Any

from genesis_pipeline.gates.checks import GateSettings
from genesis_pipeline.generation.resources import GeneratorResource
from genesis_pipeline.messaging.kafka import KafkaResource
from genesis_pipeline.store.export import BibleExporter
from genesis_pipeline.store.resources import GenesisIOManager, GenesisStoreResource


def genesis_resources(
    *,
    database_url: str = "",
    export_uri: str = "",
    generator: GeneratorResource | None = None,
    quality_threshold: float | None = None,
    kafka: KafkaResource | None = None,
) -> dict[str, Any]:
    store = GenesisStoreResource(database_url=database_url)
    exporter = BibleExporter(export_uri=export_uri)
    return {
        "genesis_store": store,
        "generator": generator or GeneratorResource(),
        "gates": GateSettings(quality_threshold=quality_threshold),
        "exporter": exporter,
        "genesis_io_manager": GenesisIOManager(genesis_store=store, exporter=exporter),
        "kafka": kafka or KafkaResource(),
    }
