"""Writing the exported bible (CONTRACT §9) to GENESIS_EXPORT_URI."""

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import dagster as dg

from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.bible_markdown import render_bible_markdown
from genesis_pipeline.settings import GenesisSettings


class ExportError(RuntimeError):
    pass


def bible_files(document: BibleDocument) -> dict[str, str]:
    """File name → text of the two files an export writes."""
    return {
        f"{document.session_id}.json": json.dumps(
            document.model_dump(mode="json"), indent=2, ensure_ascii=False
        ),
        f"{document.session_id}.md": render_bible_markdown(document),
    }


def write_bible(document: BibleDocument, uri: str) -> str:
    """Write `<session>.json` and `<session>.md` under `uri`; returns the JSON file's location."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        folder = Path(unquote(parsed.path) if parsed.scheme else uri)
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in bible_files(document).items():
            tmp = folder / f".{name}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(folder / name)  # readers never see half a bible
        return (folder / f"{document.session_id}.json").resolve().as_uri()
    raise ExportError(f"unsupported export location {uri!r}: use a folder path or a file:// URI")


class BibleExporter(dg.ConfigurableResource):
    """Where bibles go. Empty `export_uri` means GENESIS_EXPORT_URI or DAGSTER_HOME/exports."""

    export_uri: str = ""

    def write_bible(self, document: BibleDocument) -> str:
        return write_bible(document, self.export_uri or GenesisSettings().resolved_export_uri())
