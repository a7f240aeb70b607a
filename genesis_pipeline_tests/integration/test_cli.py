"""The `genesis` command as a user meets it: output, files and exit codes."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from genesis_pipeline.cli import main
from genesis_pipeline.messaging.local_broker import free_port
from genesis_pipeline.store import migrate

PREMISE = "A glassblower in a desert city learns that her lamps trap the voices of the dead"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for name in ("GENESIS_DATABASE_URL", "GENESIS_EXPORT_URI", "GENESIS_OFFLINE_FLAW_RATE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_run_completes_a_session_and_prints_the_table_and_bible(cli, tmp_path):
    result = cli("run", "--premise", PREMISE, "--session-id", "glass-01", "--flaw-rate", "0.5")
    assert result.exit_code == 0, result.output
    assert "story_bible" in result.output and "passed" in result.output
    bible = tmp_path / "home" / "exports" / "glass-01.json"
    assert bible.exists() and "bible:" in result.output

    status = cli("status", "glass-01")
    assert status.exit_code == 0 and "completed" in status.output
    # Offline drafts cost tokens and no money; the default budget applies.
    assert "of 400,000 (GENESIS_SESSION_TOKEN_BUDGET)" in status.output
    assert "counted as $0" in status.output

    lint = cli("lint", str(bible))
    assert lint.exit_code == 0
    assert len(json.loads(lint.output)) == 12

    exported = cli("export", "glass-01", "--to", str(tmp_path / "out"))
    assert exported.exit_code == 0
    assert (tmp_path / "out" / "glass-01.md").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--premise", ""], "premise"),
        (["run", "--premise", "x" * 4001], "premise"),
        (["run", "--premise", "ok", "--flaw-rate", "2"], "--flaw-rate"),
        (["run", "--premise", "ok", "--session-id", "Bad Id!"], "invalid session id"),
        (["run", "--premise", "ok", "--max-attempts", "0"], "max_attempts"),
        (["status", "no-such-session"], "no session"),
        (["export", "no-such-session", "--to", "/tmp/x"], "no session"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_reason(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_run_exits_1_when_a_stage_fails_for_good(cli, monkeypatch):
    monkeypatch.setenv("GENESIS_QUALITY_THRESHOLD", "1.0")
    monkeypatch.setenv("GENESIS_OFFLINE_FLAW_RATE", "1.0")  # the first concept has a placeholder
    result = cli("run", "--premise", PREMISE, "--session-id", "glass-02", "--max-attempts", "1")
    assert result.exit_code == 1
    assert "needs_attention" in result.output


def test_run_stops_where_the_budget_runs_out_and_says_so(cli):
    result = cli("run", "--premise", PREMISE, "--session-id", "glass-03", "--budget-tokens", "800")
    assert result.exit_code == 1
    assert "budget_exhausted" in result.output and "needs_attention" in result.output
    status = cli("status", "glass-03")
    assert "of 800, " in status.output  # spent no more than its own budget


def test_lint_reports_a_broken_bible_and_unreadable_input(cli, tmp_path):
    assert cli("run", "--premise", PREMISE, "--session-id", "glass-03").exit_code == 0
    data = json.loads((tmp_path / "home" / "exports" / "glass-03.json").read_text())
    data["characters"]["characters"][0]["home_location_id"] = "loc_nowhere"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    result = cli("lint", str(broken))
    assert result.exit_code == 1
    failed = [v for v in json.loads(result.output) if not v["passed"]]
    assert [(v["stage"], v["gate"]) for v in failed] == [("characters", "consistency")]

    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert cli("lint", str(garbage)).exit_code == 2
    assert cli("lint", str(tmp_path / "missing.json")).exit_code == 2


def test_db_upgrade_reports_the_revision(cli, tmp_path):
    result = cli("db", "upgrade")
    assert result.exit_code == 0
    assert f"empty → {migrate.head_revision()}" in result.output
    assert Path(tmp_path / "home" / "genesis.db").exists()


def test_db_upgrade_of_a_database_that_is_down_fails_the_work_in_one_line(cli, monkeypatch):
    monkeypatch.setenv("GENESIS_DATABASE_URL", "postgresql+psycopg2://genesis@127.0.0.1:1/genesis")
    result = cli("db", "upgrade")
    assert result.exit_code == 1
    assert "cannot migrate postgresql+psycopg2://genesis@127.0.0.1:1/genesis" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["status", "glass-01"], ["relay", "--once"]])
def test_a_store_that_is_down_fails_the_work_in_one_line(cli, monkeypatch, command):
    monkeypatch.setenv("GENESIS_DATABASE_URL", f"postgresql+psycopg://u@127.0.0.1:{free_port()}/x")
    result = cli(*command)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach the database: connection failed")
    assert "Traceback" not in result.output


def test_run_with_human_review_asks_about_every_stage(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GENESIS_DATABASE_URL", raising=False)
    monkeypatch.delenv("GENESIS_EXPORT_URI", raising=False)
    # accept concept and story, ask for a change to the world, then accept everything after
    answers = "accept\naccept\nmodify\nAdd a location named the Salt Archive\n" + "accept\n" * 4
    result = CliRunner().invoke(
        main,
        ["run", "--premise", PREMISE, "--session-id", "glass-02", "--human-review"],
        input=answers,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("accept, modify or regenerate?") == 7
    assert "worldview v2 passed its gates" in result.output
    bible = json.loads((tmp_path / "home" / "exports" / "glass-02.json").read_text())
    assert bible["versions"]["worldview"] == 2
    assert "Salt Archive" in [loc["name"] for loc in bible["worldview"]["locations"]]


def test_run_with_openai_unconfigured_is_a_usage_error(cli, monkeypatch):
    for name in ("GENESIS_LLM_BASE_URL", "GENESIS_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    result = cli("run", "--premise", PREMISE, "--llm", "openai")
    assert result.exit_code == 2
    assert "GENESIS_LLM_BASE_URL" in result.output and "Traceback" not in result.output


def test_run_with_a_missing_local_model_file_says_which_file(cli, monkeypatch, tmp_path):
    monkeypatch.delenv("GENESIS_LLM_BASE_URL", raising=False)
    monkeypatch.setenv("GENESIS_LOCAL_MODEL", str(tmp_path / "missing.gguf"))
    result = cli("run", "--premise", PREMISE, "--llm", "local")
    assert result.exit_code == 1
    assert f"no GGUF model file at {tmp_path / 'missing.gguf'}" in result.output
    assert "Traceback" not in result.output
