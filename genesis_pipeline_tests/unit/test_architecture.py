"""The import contracts of pyproject.toml ([tool.importlinter]) hold: layers point one way."""

from pathlib import Path

from importlinter.cli import lint_imports

PROJECT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold(monkeypatch) -> None:
    monkeypatch.chdir(PROJECT)
    assert lint_imports(config_filename="pyproject.toml", no_cache=True) == 0, (
        "an import breaks a contract of pyproject.toml: run `lint-imports` for the chain"
    )
