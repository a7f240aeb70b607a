"""After the bible: write it out, then complete the session.

The export is a step of its own, after `story_bible`, so that no database transaction is open
while it writes a file or waits on S3 (a SQLite store would hold its write lock that long), so
that a failed export is visible in the UI as this step and can be retried (by its retry
policy, or by materializing it again) without generating anything again, and so that
`session.completed` is published only once the bible exists where it says. In review mode human
the step runs once the writer accepts the bible (the approval gate holds it back until then).
"""

from collections.abc import Iterator

import dagster as dg

from genesis_pipeline.defs.resources import BibleExporter, GenesisStoreResource
from genesis_pipeline.defs.stages.partitions import genesis_sessions
from genesis_pipeline.domain.session import Transition, allows
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.store.export import ExportLocationError

BIBLE_EXPORT = "bible_export"
# S3 that does not answer, a full disk: worth a few more tries before a person looks.
EXPORT_RETRY = dg.RetryPolicy(
    max_retries=3, delay=2.0, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


@dg.asset(
    name=BIBLE_EXPORT,
    deps=[dg.AssetKey(Stage.STORY_BIBLE.value)],
    partitions_def=genesis_sessions,
    group_name="genesis",
    kinds={"json", "markdown"},
    retry_policy=EXPORT_RETRY,
    output_required=False,
)
def bible_export(
    context: dg.AssetExecutionContext,
    genesis_store: GenesisStoreResource,
    exporter: BibleExporter,
) -> Iterator[dg.MaterializeResult]:
    """The approved story bible of the session, as JSON and Markdown at the export location
    (GENESIS_EXPORT_URI); then the session is completed (`session.completed`)."""
    store, session_id = genesis_store.store, context.partition_key
    bible = store.current_approved(session_id, Stage.STORY_BIBLE)
    if bible is None or not allows(store.session(session_id).status, Transition.COMPLETE):
        context.log.info(f"{session_id}: no approved bible to export, or the session stopped")
        return
    document = store.bible_document(session_id)
    try:
        location = exporter.write_bible(document)
    except ExportLocationError as error:  # a malformed location: trying again cannot help
        raise dg.Failure(str(error), allow_retries=False) from error
    completed = handlers.complete_session(store.unit_of_work(), bible, location)
    yield dg.MaterializeResult(
        metadata={
            "location": location,
            "bible_version": bible.version,
            "built_from": ", ".join(f"{s.value} v{n}" for s, n in document.versions.items()),
            "session_completed": completed,
        }
    )
