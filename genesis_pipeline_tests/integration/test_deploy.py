"""deploy/: the env file, the instance config and the guide's launcher examples hold together.
(The deployment itself runs in test_production_faults.py.)"""

import re
from pathlib import Path
from typing import Any

import yaml
from dagster._config import process_config, resolve_to_config_type
from dagster_aws.ecs import EcsRunLauncher

from genesis_pipeline.defs.run_launcher import WarmRunLauncher
from genesis_pipeline.settings import GenesisSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def env_file() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in (DEPLOY / "genesis.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    return {name: value for name, value in pairs}


def env_names_in(config: object) -> set[str]:
    if isinstance(config, dict):
        if set(config) == {"env"}:
            return {config["env"]}
        return {name for value in config.values() for name in env_names_in(value)}
    return set()


def test_every_genesis_variable_of_the_env_file_is_a_setting_and_validates() -> None:
    env = env_file()
    fields = {f"GENESIS_{name.upper()}" for name in GenesisSettings.model_fields}
    assert {name for name in env if name.startswith("GENESIS_")} <= fields
    settings = GenesisSettings.model_validate(
        {k.removeprefix("GENESIS_").lower(): v for k, v in env.items() if k.startswith("GENESIS_")}
    )
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.database_url.startswith("postgresql+psycopg://")


def test_the_instance_config_reads_only_variables_the_env_file_documents() -> None:
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    assert env_names_in(config) == {"DAGSTER_PG_URL", "DAGSTER_COMPUTE_LOG_BUCKET"}
    assert env_names_in(config) <= set(env_file())
    assert env_file()["DAGSTER_PG_URL"].startswith("postgresql+psycopg2://")


def test_the_guides_ecs_launcher_example_is_valid_launcher_config() -> None:
    guide = (DEPLOY / "README.md").read_text()
    launcher = launcher_example(guide, "EcsRunLauncher")
    schema = resolve_to_config_type(EcsRunLauncher.config_type())
    result = process_config(schema, launcher["config"])
    assert result.success, result.errors


def test_the_guides_one_machine_launcher_example_is_valid_launcher_config() -> None:
    launcher = launcher_example((DEPLOY / "README.md").read_text(), "WarmRunLauncher")
    schema = resolve_to_config_type(WarmRunLauncher.config_type())
    result = process_config(schema, launcher["config"])
    assert result.success, result.errors
    assert launcher["module"] == WarmRunLauncher.__module__


def launcher_example(guide: str, launcher_class: str) -> dict[str, Any]:
    """The guide's `run_launcher:` example of that class."""
    blocks = re.findall(r"```yaml\n(run_launcher:.*?)```", guide, re.S)
    launchers = [yaml.safe_load(block)["run_launcher"] for block in blocks]
    found = [launcher for launcher in launchers if launcher["class"] == launcher_class]
    assert len(found) == 1, launchers
    return dict(found[0])


def test_every_stage_step_runs_in_the_llm_pool_that_both_instances_limit() -> None:
    from genesis_pipeline.defs.stages.definitions import STAGE_ASSETS

    assert {asset.op.pool for asset in STAGE_ASSETS} == {"llm"}
    for config in (DEPLOY / "dagster.yaml", DEPLOY.parent / "dagster_home" / "dagster.yaml"):
        pools = yaml.safe_load(config.read_text())["concurrency"]["pools"]
        assert 1 <= pools["default_limit"] <= 8, config
