"""Dagster resources over the genesis store: the store itself and the stage IO manager."""

from typing import Any

import dagster as dg
from pydantic import PrivateAttr

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.markdown import render_artifact_markdown
from genesis_pipeline.domain.outcome import StageOutcome
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.settings import GenesisSettings
from genesis_pipeline.store.export import BibleExporter
from genesis_pipeline.store.genesis_store import GenesisStore

OUTCOME_METADATA_KEY = "genesis/outcome"


class GenesisStoreResource(dg.ConfigurableResource):
    """The genesis store. Empty `database_url` means GENESIS_DATABASE_URL or the SQLite default."""

    database_url: str = ""
    _store: GenesisStore | None = PrivateAttr(default=None)

    @property
    def store(self) -> GenesisStore:
        if self._store is None:
            url = self.database_url or GenesisSettings().resolved_database_url()
            self._store = GenesisStore(url)
        return self._store


class GenesisIOManager(dg.ConfigurableIOManager):
    """Stores every stage materialization as a new artifact version, with its events and verdicts,
    in one transaction; gives downstream stages the current *passed* version of their inputs."""

    genesis_store: GenesisStoreResource
    exporter: BibleExporter

    def handle_output(self, context: dg.OutputContext, obj: Artifact) -> None:
        entry = context.output_metadata.get(OUTCOME_METADATA_KEY)
        if entry is None:
            raise dg.Failure(
                f"{context.asset_key.to_user_string()} produced no '{OUTCOME_METADATA_KEY}' "
                "metadata; only genesis stage assets can use this IO manager",
                allow_retries=False,
            )
        data: Any = getattr(entry, "data", entry)
        outcome = StageOutcome.model_validate(data)
        record = self.genesis_store.store.record_outcome(
            outcome,
            obj,
            run_id=context.run_id,
            summary=_summary(outcome.stage, obj),
            export_bible=self.exporter.write_bible,
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
