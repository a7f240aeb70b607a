"""The resources every genesis run uses, built from the GENESIS_* environment at run time:
the generator (the provider GENESIS_LLM_PROVIDER names), the genesis store, Kafka, the bible
exporter and the gates' settings. Each wraps an adapter; none holds a rule of the pipeline."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import PrivateAttr

from genesis_pipeline.defs.checks import GateSettings
from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.markdown import render_artifact_markdown
from genesis_pipeline.domain.outcome import StageResult
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.port import Generation, Generator, Judged, StageRequest
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.service import handlers
from genesis_pipeline.service.planner import TOKEN_CAP_TAG
from genesis_pipeline.settings import GenesisSettings
from genesis_pipeline.store.budgets import SessionBudgets
from genesis_pipeline.store.export import BoundedS3Resource, write_bible
from genesis_pipeline.store.genesis_store import GenesisStore

if TYPE_CHECKING:
    from genesis_pipeline.generation.local_model import LocalModelServer


class GeneratorResource(dg.ConfigurableResource):
    """The LLM behind every stage. Fields left empty fall back to the GENESIS_* settings."""

    provider: str = ""
    offline_flaw_rate: float | None = None
    model: str = ""
    base_url: str = ""
    api_key: str = ""
    rate_limit_database_url: str = ""
    _generator: Generator | None = PrivateAttr(default=None)
    _server: "LocalModelServer | None" = PrivateAttr(default=None)

    def generate(self, request: StageRequest) -> Generation:
        return self.generator.generate(request)

    def judge(self, request: StageRequest, *, system: str, user: str) -> Judged | None:
        """The model's relevance judgement of a draft; None offline or with GENESIS_LLM_JUDGE
        off."""
        if not GenesisSettings().llm_judge:
            return None
        return self.generator.judge(request, system=system, user=user)

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = self._build(GenesisSettings())
        return self._generator

    def _build(self, settings: GenesisSettings) -> Generator:
        provider = self.provider or settings.llm_provider
        if provider == "offline":
            from genesis_pipeline.generation.offline.generator import OfflineGenerator

            rate = self.offline_flaw_rate
            return OfflineGenerator(
                flaw_rate=settings.offline_flaw_rate if rate is None else rate,
                latency_s=settings.offline_latency_s,
            )
        if provider == "openai":
            base_url = self.base_url or settings.llm_base_url
            model = self.model or settings.llm_model
            if not base_url or not model:
                raise dg.Failure(
                    "GENESIS_LLM_PROVIDER=openai needs GENESIS_LLM_BASE_URL and GENESIS_LLM_MODEL",
                    allow_retries=False,
                )
            return self._build_openai(
                settings, base_url, model, structured_output=settings.llm_structured_output
            )
        if provider == "local":
            return self._build_local(settings)
        raise dg.Failure(
            f"unknown LLM provider {provider!r}: use 'offline', 'openai' or 'local'",
            allow_retries=False,
        )

    def _build_local(self, settings: GenesisSettings) -> Generator:
        """The server `genesis run`/`genesis dev` started (base_url given), or one of our own
        for this run, stopped when the run ends."""
        from genesis_pipeline.generation.local_model import (
            LocalModelError,
            start_configured_server,
        )

        base_url = self.base_url or settings.llm_base_url
        model = self.model or settings.llm_model
        if not base_url:
            try:
                server = start_configured_server(settings)
            except LocalModelError as error:
                raise dg.Failure(str(error), allow_retries=False) from None
            self._server = server
            base_url, model = server.base_url, server.model_alias
        # llama-cpp-python's server rejects `json_schema` and honours a schema in json_object.
        # A local model that did not answer in time will not answer faster when asked again.
        return self._build_openai(
            settings,
            base_url,
            model or "local",
            structured_output="json_object",
            timeouts_are_transient=False,
            context_tokens=settings.local_context_tokens,
        )

    def _build_openai(
        self,
        settings: GenesisSettings,
        base_url: str,
        model: str,
        *,
        structured_output: str,
        timeouts_are_transient: bool = True,
        context_tokens: int | None = None,
    ) -> Generator:
        from genesis_pipeline.generation.openai_provider import OpenAIGenerator
        from genesis_pipeline.store.engine import shared_engine
        from genesis_pipeline.store.rate_limits import SharedTokenBucket

        url = self.rate_limit_database_url or settings.resolved_database_url()
        limiter = SharedTokenBucket(shared_engine(url), rpm=settings.llm_rpm, tpm=settings.llm_tpm)
        return OpenAIGenerator(
            base_url=base_url,
            api_key=self.api_key or settings.llm_api_key or "not-needed",
            model=model,
            rate_limiter=limiter,
            timeout_s=settings.llm_timeout_s,
            max_retries=4 if timeouts_are_transient else 0,
            timeouts_are_transient=timeouts_are_transient,
            structured_output=structured_output,
            context_tokens=context_tokens,
        )

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


class GenesisStoreResource(dg.ConfigurableResource):
    """The genesis store. Empty `database_url` means GENESIS_DATABASE_URL or the SQLite default."""

    database_url: str = ""
    _store: GenesisStore | None = PrivateAttr(default=None)
    _budgets: SessionBudgets | None = PrivateAttr(default=None)

    @property
    def store(self) -> GenesisStore:
        if self._store is None:
            url = self.database_url or GenesisSettings().resolved_database_url()
            self._store = GenesisStore(url)
        return self._store

    def budgets(self, run_tags: Mapping[str, str]) -> SessionBudgets:
        """The sessions' token budgets for this run (GENESIS_SESSION_TOKEN_BUDGET for sessions
        without their own, priced by GENESIS_MODEL_PRICES), capped by the run's
        `genesis/token_cap` tag: one object for all the run's stages, which counts their calls."""
        if self._budgets is None:
            settings = GenesisSettings()
            cap = run_tags.get(TOKEN_CAP_TAG)
            self._budgets = SessionBudgets(
                self.store.engine,
                default_budget=settings.session_token_budget,
                prices=settings.model_prices,
                run_cap=int(cap) if cap else None,
            )
        return self._budgets


class KafkaResource(dg.ConfigurableResource):
    """The Kafka cluster. Fields left empty fall back to the GENESIS_KAFKA_* settings."""

    bootstrap: str = ""
    topic_prefix: str | None = None
    idempotence: bool | None = None

    @property
    def config(self) -> KafkaConfig:
        return KafkaConfig.from_settings(
            bootstrap=self.bootstrap or None,
            topic_prefix=self.topic_prefix,
            idempotence=self.idempotence,
        )


class BibleExporter(dg.ConfigurableResource):
    """Where bibles go. Empty `export_uri` means GENESIS_EXPORT_URI or DAGSTER_HOME/exports;
    `s3` configures the S3 client for s3:// locations (default: the AWS_* environment)."""

    export_uri: str = ""
    s3: BoundedS3Resource | None = None

    def write_bible(self, document: BibleDocument) -> str:
        uri = self.export_uri or GenesisSettings().resolved_export_uri()
        return write_bible(document, uri, s3=self.s3)


class GenesisIOManager(dg.ConfigurableIOManager):
    """Stores every stage materialization (the step's `StageResult`) as a new artifact version,
    with its verdicts and events, through the service's `record_outcome`; gives downstream
    stages the current *approved* version of their inputs."""

    genesis_store: GenesisStoreResource

    def handle_output(self, context: dg.OutputContext, obj: StageResult) -> None:
        if not isinstance(obj, StageResult):
            raise dg.Failure(
                f"{context.asset_key.to_user_string()} produced a {type(obj).__name__}; only "
                "genesis stage assets (whose output is a StageResult) can use this IO manager",
                allow_retries=False,
            )
        outcome, artifact = obj.outcome, obj.artifact
        record = handlers.record_outcome(
            self.genesis_store.store.unit_of_work(),
            outcome,
            artifact,
            run_id=context.run_id,
            summary=_summary(outcome.stage, artifact),
        )
        context.add_output_metadata({"stored_version": record.version, "status": record.status})

    def load_input(self, context: dg.InputContext) -> Artifact:
        assert context.upstream_output is not None
        stage = Stage(context.upstream_output.asset_key.path[-1])
        session_id = context.asset_partition_key
        record = self.genesis_store.store.current_approved(session_id, stage)
        if record is None:
            raise dg.Failure(
                f"{stage} of session {session_id} has no version that passed its gates and was "
                f"approved yet; materialize {stage} first, wait for its revision, or (review "
                f"mode human) accept it: genesis feedback {session_id} {stage} accept",
                allow_retries=False,
            )
        return record.artifact()


def _summary(stage: Stage, artifact: Artifact) -> str:
    """First line of the Markdown preview: a title-like summary for `content.generated`."""
    for line in render_artifact_markdown(stage, artifact).splitlines():
        text = line.strip("# ").strip()
        if text:
            return text[:300]
    return stage.value


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
        "genesis_io_manager": GenesisIOManager(genesis_store=store),
        "kafka": kafka or KafkaResource(),
    }
