"""`genesis lint BIBLE_JSON`: every gate over an exported bible, findings as JSON."""

import json
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from genesis_pipeline.cli.common import fail_usage, first_error


@click.command()
@click.argument("bible_json", type=click.Path(dir_okay=False, path_type=Path))
def lint(bible_json: Path) -> None:
    """Run every quality and consistency gate over an exported bible; print findings as JSON."""
    from genesis_pipeline.domain.bible import BibleDocument
    from genesis_pipeline.gates.evaluate import lint_bible

    try:
        document = BibleDocument.model_validate_json(bible_json.read_bytes())
    except OSError as error:
        fail_usage(f"cannot read {bible_json}: {error.strerror}")
    except ValidationError as error:
        fail_usage(f"{bible_json} is not an exported bible: {first_error(error)}")
    verdicts = lint_bible(document)
    report = [v.model_dump(mode="json") for v in verdicts]
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(0 if all(v.passed for v in verdicts) else 1)
