"""The decorator every stage asset shares, so the six read alike in code and in the UI."""

from collections.abc import Callable
from typing import Any

import dagster as dg

from genesis_pipeline.domain.stages import STAGE_INPUTS, Stage
from genesis_pipeline.gates.checks import gate_specs
from genesis_pipeline.stages.partitions import genesis_sessions
from genesis_pipeline.stages.prompting import StagePrompt
from genesis_pipeline.stages.runner import GENERATION_RETRY

# Keeps downstream stages fresh after any upstream change, including a re-materialization
# started by hand in the UI, but only once the upstream's blocking gates have passed.
# Sensors request whole chains in one run; this is the safety net behind them.
DOWNSTREAM_AUTOMATION = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
)


def stage_asset(stage: Stage, prompt: StagePrompt) -> Callable[[Callable[..., Any]], Any]:
    return dg.asset(
        name=stage.value,
        partitions_def=genesis_sessions,
        group_name="genesis",
        kinds={"llm", "pydantic"},
        code_version=prompt.version,
        pool="llm",
        retry_policy=GENERATION_RETRY,
        check_specs=gate_specs(stage),
        io_manager_key="genesis_io_manager",
        automation_condition=DOWNSTREAM_AUTOMATION if STAGE_INPUTS[stage] else None,
        metadata={"prompt_version": prompt.version, "stage_number": list(Stage).index(stage) + 1},
    )
