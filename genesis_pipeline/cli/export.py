"""`genesis export SESSION --to DEST`: write a session's bible from its passed versions."""

import click

from genesis_pipeline.cli.common import console, ensure_dagster_home, fail_usage


@click.command()
@click.argument("session_id")
@click.option(
    "--to",
    "destination",
    required=True,
    help="Folder, file:// URI or s3://bucket/prefix (AWS_ENDPOINT_URL and AWS_* honoured).",
)
def export(session_id: str, destination: str) -> None:
    """Write the session's bible (JSON + Markdown) from its passed versions."""
    from genesis_pipeline.cli.common import fail_work
    from genesis_pipeline.service.handlers import UnknownSessionError
    from genesis_pipeline.settings import GenesisSettings
    from genesis_pipeline.store.export import ExportError, ExportLocationError, write_bible
    from genesis_pipeline.store.genesis_store import GenesisStore, IncompleteSessionError

    ensure_dagster_home()
    store = GenesisStore(GenesisSettings().resolved_database_url())
    try:
        document = store.bible_document(session_id)
        location = write_bible(document, destination)
    except (UnknownSessionError, IncompleteSessionError, ExportLocationError) as error:
        fail_usage(str(error))
    except ExportError as error:  # S3 said no or did not answer: the work failed
        fail_work(str(error))
    console.print(location)
