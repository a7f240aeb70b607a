"""The generator resource: picks the provider named by GENESIS_LLM_PROVIDER."""

import dagster as dg
from pydantic import PrivateAttr

from genesis_pipeline.generation.port import Generation, Generator, StageRequest
from genesis_pipeline.settings import GenesisSettings


class GeneratorResource(dg.ConfigurableResource):
    """The LLM behind every stage. Fields left empty fall back to the GENESIS_* settings."""

    provider: str = ""
    offline_flaw_rate: float | None = None
    model: str = ""
    base_url: str = ""
    api_key: str = ""
    rate_limit_database_url: str = ""
    _generator: Generator | None = PrivateAttr(default=None)

    def generate(self, request: StageRequest) -> Generation:
        return self.generator.generate(request)

    @property
    def model_name(self) -> str:
        settings = GenesisSettings()
        if (self.provider or settings.llm_provider) == "offline":
            return "offline-v1"
        return self.model or settings.llm_model or "unknown"

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
            return self._build_openai(settings)
        raise dg.Failure(
            f"unknown LLM provider {provider!r}: use 'offline' or 'openai'", allow_retries=False
        )

    def _build_openai(self, settings: GenesisSettings) -> Generator:
        from genesis_pipeline.generation.openai_provider import OpenAIGenerator
        from genesis_pipeline.generation.token_bucket import SharedTokenBucket
        from genesis_pipeline.store.engine import shared_engine

        base_url = self.base_url or settings.llm_base_url
        model = self.model or settings.llm_model
        if not base_url or not model:
            raise dg.Failure(
                "GENESIS_LLM_PROVIDER=openai needs GENESIS_LLM_BASE_URL and GENESIS_LLM_MODEL",
                allow_retries=False,
            )
        url = self.rate_limit_database_url or settings.resolved_database_url()
        limiter = SharedTokenBucket(shared_engine(url), rpm=settings.llm_rpm, tpm=settings.llm_tpm)
        return OpenAIGenerator(
            base_url=base_url,
            api_key=self.api_key or settings.llm_api_key or "not-needed",
            model=model,
            rate_limiter=limiter,
        )
