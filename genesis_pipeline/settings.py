"""`GENESIS_*` settings (docs/CONTRACT.md §6), read from the environment when a resource is
built."""

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from genesis_pipeline.domain.spending import ModelPrice

# Chosen from measured sessions: see docs/decisions/0008-token-budgets.md.
DEFAULT_SESSION_TOKEN_BUDGET = 400_000


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or "dagster_home").resolve()


class GenesisSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GENESIS_", extra="ignore")

    database_url: str = ""
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    # Production clusters: SASL/TLS. The local broker needs none of it.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: str | None = None
    # Production Kafka supports the idempotent producer; the local Tansu broker does not.
    kafka_idempotence: bool = True
    kafka_timeout_s: float = Field(default=10.0, gt=0)
    # Who reads genesis.commands and genesis.feedback: the daemon's sensors (no extra process)
    # or `genesis consume` (a consumer group, seconds faster); never both at once.
    kafka_entry: Literal["sensors", "consumer"] = "sensors"
    consumer_group: str = "genesis-pipeline"
    # Attempts at an inbound message whose handler raises before it goes to the DLQ
    # (`handler_error`); its partition waits for it meanwhile, the others go on.
    inbound_max_attempts: int = Field(default=5, ge=1, le=100)
    # Where `genesis consume` submits runs: the Dagster webserver's GraphQL endpoint.
    dagster_url: str = "http://127.0.0.1:3000"
    # Prometheus metrics of `genesis relay`, `genesis consume` and `genesis dev` (off unless a
    # port is given); loopback unless the deployment opens it.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    llm_provider: Literal["offline", "openai", "local"] = "offline"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    # How to ask for JSON: `json_schema` (OpenAI, vLLM, llama.cpp's llama-server), `json_object`
    # with a schema (llama-cpp-python's server), or `auto`: the first, falling back to the second.
    llm_structured_output: Literal["auto", "json_schema", "json_object"] = "auto"
    # A model judges each draft's relevance (one more call per attempt) when one is configured.
    llm_judge: bool = True
    # Seconds one chat completion may take: CPU inference of a whole stage is slow.
    llm_timeout_s: float = Field(default=600.0, gt=0)
    # `local`: a GGUF file served by llama.cpp on 127.0.0.1 (default: the packaged SmolLM2).
    local_model: str = ""
    local_context_tokens: int = Field(default=8192, ge=2048)
    local_threads: int | None = Field(default=None, ge=1)
    llm_rpm: int = Field(default=60, gt=0)
    llm_tpm: int = Field(default=100_000, gt=0)
    # Tokens a session may spend unless it asks for its own budget (`budget_tokens`).
    session_token_budget: int = Field(default=DEFAULT_SESSION_TOKEN_BUDGET, ge=1)
    # USD per million input/output tokens by model name, as JSON:
    # {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}. Other models cost 0, and say so.
    model_prices: dict[str, ModelPrice] = Field(default_factory=dict)
    export_uri: str = ""
    offline_flaw_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # Seconds each offline generation call takes, like a model's answer would: load tests
    # and fault drills then see runs that spend their time waiting on the "LLM".
    offline_latency_s: float = Field(default=0.0, ge=0.0, le=600.0)
    quality_threshold: float = Field(default=0.75, ge=0.0, le=1.0)
    # The scheduled backfills (defs/automation/schedules.py).
    stale_backfill_batch: int = Field(default=10, ge=1, le=1000)
    # The most tokens one stale-prompt backfill run may spend, whatever its session has left.
    stale_backfill_run_tokens: int = Field(default=100_000, ge=1)
    outbox_retention_hours: int = Field(default=168, ge=1)
    # Longer than the Kafka topics keep messages: a redelivery always finds its event id.
    inbox_retention_days: int = Field(default=30, ge=1)
    # A completed or cancelled session untouched this long loses its Dagster partition
    # (the store keeps everything; feedback revives it).
    archive_after_days: int = Field(default=30, ge=1)

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{dagster_home() / 'genesis.db'}"

    def resolved_export_uri(self) -> str:
        return self.export_uri or (dagster_home() / "exports").as_uri()
