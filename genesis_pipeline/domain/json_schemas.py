"""The JSON Schemas of the public contract (docs/CONTRACT.md), generated from its models.

`docs/schemas/` holds them as checked in, one file per name below: `envelope.json`, one
`<event_type>.json` per event type with the schema of its payload (inbound and outbound), and
`bible.json`, the exported bible. `genesis_pipeline_tests/unit/domain/test_contract_schemas.py`
fails when a model and its file differ; `GENESIS_UPDATE_SCHEMAS=1 pytest
genesis_pipeline_tests/unit/domain/test_contract_schemas.py` rewrites the files from the models.

Pure: domain models only, no Dagster, so the schemas can be produced and checked without
loading the pipeline.
"""

import json
from typing import Any

from pydantic import BaseModel

from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.domain.inbound import INBOUND_PAYLOADS
from genesis_pipeline.domain.outbound import OUTBOUND_PAYLOADS

JsonSchema = dict[str, Any]

ENVELOPE_FILE = "envelope.json"
BIBLE_FILE = "bible.json"


def payload_file(event_type: str) -> str:
    """The schema file of an event type's payload, e.g. `genesis.stage.failed.json`."""
    return f"{event_type}.json"


def contract_models() -> dict[str, type[BaseModel]]:
    """File name → the model whose JSON Schema the file holds, sorted by file name."""
    payloads = {**INBOUND_PAYLOADS, **OUTBOUND_PAYLOADS}
    models: dict[str, type[BaseModel]] = {
        ENVELOPE_FILE: Envelope,
        BIBLE_FILE: BibleDocument,
        **{payload_file(event_type.value): model for event_type, model in payloads.items()},
    }
    return dict(sorted(models.items()))


def contract_schemas() -> dict[str, JsonSchema]:
    """File name → JSON Schema, as `docs/schemas/` holds them."""
    return {name: model.model_json_schema() for name, model in contract_models().items()}


def render_schema(schema: JsonSchema) -> str:
    """A schema as its file holds it: sorted keys and a fixed indent, so a diff shows only
    what changed in the model."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
