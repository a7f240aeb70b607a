"""The checked-in JSON Schemas of the contract (docs/schemas/) are exactly what the models say.

A model that changes without its schema file, a file left without a model, and an event type
without a payload model all fail here. To accept a change to the contract, regenerate the files,
review the diff and update docs/CONTRACT.md:

    GENESIS_UPDATE_SCHEMAS=1 pytest genesis_pipeline_tests/unit/domain/test_contract_schemas.py
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.inbound import INBOUND_PAYLOADS
from genesis_pipeline.domain.json_schemas import (
    contract_schemas,
    payload_file,
    render_schema,
)
from genesis_pipeline.domain.outbound import OUTBOUND_PAYLOADS

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "docs" / "schemas"
REGENERATE = (
    "regenerate with `GENESIS_UPDATE_SCHEMAS=1 pytest "
    "genesis_pipeline_tests/unit/domain/test_contract_schemas.py`, review the diff and update "
    "docs/CONTRACT.md"
)


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    """File name → the text its model renders to; with GENESIS_UPDATE_SCHEMAS=1 the folder is
    rewritten from the models first (files without a model are removed)."""
    rendered = {name: render_schema(schema) for name, schema in contract_schemas().items()}
    if os.environ.get("GENESIS_UPDATE_SCHEMAS") == "1":
        SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
        for stale in set(checked_in()) - set(rendered):
            (SCHEMA_DIR / stale).unlink()
        for name, text in rendered.items():
            (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
    return rendered


def checked_in() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in SCHEMA_DIR.glob("*.json")}


def test_every_model_has_its_schema_checked_in(expected: dict[str, str]) -> None:
    files = checked_in()
    missing = sorted(set(expected) - set(files))
    changed = sorted(name for name in set(expected) & set(files) if files[name] != expected[name])
    assert not missing, f"docs/schemas/ lacks {missing}; {REGENERATE}"
    assert not changed, f"docs/schemas/{changed} differ from their models; {REGENERATE}"


def test_every_checked_in_schema_has_a_model(expected: dict[str, str]) -> None:
    orphans = sorted(set(checked_in()) - set(expected))
    assert not orphans, f"docs/schemas/{orphans} match no model; {REGENERATE}"


def test_every_event_type_has_one_payload_schema(expected: dict[str, str]) -> None:
    assert set(INBOUND_PAYLOADS).isdisjoint(OUTBOUND_PAYLOADS)
    without = [t.value for t in EventType if payload_file(t.value) not in expected]
    assert not without, f"event types without a payload model: {without}"


def test_the_schemas_are_made_without_dagster() -> None:
    # The contract must be checkable by a tool that does not load the pipeline.
    script = (
        "import sys; from genesis_pipeline.domain.json_schemas import contract_schemas; "
        "contract_schemas(); sys.exit('dagster' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", script], check=False).returncode == 0
