"""The metrics endpoint as an operator scrapes it: after real sessions (`genesis run`, the
offline generator, one session stopped by its budget), `genesis relay --metrics-port` reports
what the store recorded, call for call, verdict for verdict and event for event."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from genesis_pipeline.cli import main
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.local_broker import free_port
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import artifact_versions, gate_results, generation_calls, outbox
from genesis_pipeline_tests.support.metrics import scrape, summed
from genesis_pipeline_tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

PREMISE = "A glassblower in a desert city learns that her lamps trap the voices of the dead"


def test_the_relay_serves_what_real_sessions_recorded(
    tmp_path: Path, kafka: KafkaConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for name in ("GENESIS_DATABASE_URL", "GENESIS_EXPORT_URI", "GENESIS_OFFLINE_FLAW_RATE"):
        monkeypatch.delenv(name, raising=False)
    genesis = CliRunner()
    whole = genesis.invoke(main, ["run", "--premise", PREMISE, "--session-id", "glass-01",
                                  "--flaw-rate", "0.5"])  # fmt: skip
    assert whole.exit_code == 0, whole.output
    stopped = genesis.invoke(main, ["run", "--premise", PREMISE, "--session-id", "glass-02",
                                    "--budget-tokens", "800"])  # fmt: skip
    assert stopped.exit_code == 1 and "budget_exhausted" in stopped.output

    port = free_port()
    relay = subprocess.Popen(
        [sys.executable, "-m", "genesis_pipeline.cli", "relay", "--metrics-port", str(port)],
        env={**os.environ, "COLUMNS": "400"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_for("the relay to publish the outbox", lambda: _drained(url), 60, watched=relay)
        samples = scrape(url)
    finally:
        relay.terminate()
        out, _ = relay.communicate(timeout=30)
    assert f"metrics at {url}" in out

    store = GenesisStore(f"sqlite:///{tmp_path / 'home' / 'genesis.db'}")
    with store.engine.connect() as conn:
        calls = conn.execute(
            sa.select(
                generation_calls.c.stage,
                generation_calls.c.model,
                generation_calls.c.purpose,
                generation_calls.c.tokens_in,
                generation_calls.c.tokens_out,
            )
        ).all()
        verdicts = conn.execute(
            sa.select(artifact_versions.c.stage, gate_results.c.gate, gate_results.c.passed).join(
                artifact_versions, gate_results.c.artifact_version_id == artifact_versions.c.id
            )
        ).all()
        events = conn.execute(sa.select(outbox.c.event_type)).scalars().all()

    assert summed(
        samples["genesis_generation_calls_total"], "stage", "model", "purpose"
    ) == Counter((c.stage, c.model, c.purpose) for c in calls)
    tokens = samples["genesis_generation_tokens_total"]
    assert summed(tokens, "direction") == {
        ("in",): sum(c.tokens_in for c in calls),
        ("out",): sum(c.tokens_out for c in calls),
    }
    assert {stage for (stage,) in summed(tokens, "stage")} >= {"concept", "story", "story_bible"}
    assert set(summed(samples["genesis_generation_cost_usd_total"], "model").values()) == {0.0}
    assert summed(samples["genesis_gate_verdicts_total"], "stage", "gate", "verdict") == Counter(
        (v.stage, v.gate, "passed" if v.passed else "failed") for v in verdicts
    )
    assert samples["genesis_budget_exhaustions_total"] == {(("limit", "session"),): 1}
    assert summed(samples["genesis_events_published_total"], "event_type") == Counter(
        (event_type,) for event_type in events
    )
    assert samples["genesis_outbox_backlog"] == {(): 0}
    assert samples["genesis_outbox_oldest_unsent_age_seconds"] == {(): 0}
    assert samples["process_resident_memory_bytes"][()] > 0


def _drained(url: str) -> bool:
    try:
        return scrape(url)["genesis_outbox_backlog"] == {(): 0}
    except OSError:  # not serving yet
        return False
