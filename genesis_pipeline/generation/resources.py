"""The generator resource: picks the provider named by GENESIS_LLM_PROVIDER."""

from typing import TYPE_CHECKING

import dagster as dg
from pydantic import PrivateAttr

from genesis_pipeline.generation.port import Generation, Generator, Judged, StageRequest
from genesis_pipeline.settings import GenesisSettings

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
        from genesis_pipeline.generation.token_bucket import SharedTokenBucket
        from genesis_pipeline.store.engine import shared_engine

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
