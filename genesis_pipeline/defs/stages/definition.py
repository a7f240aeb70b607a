"""The decorator every stage asset shares, so the six read alike in code and in the UI."""

from collections.abc import Callable
from typing import Any

import dagster as dg

from genesis_pipeline.defs.checks import gate_specs
from genesis_pipeline.defs.stages.partitions import genesis_sessions
from genesis_pipeline.defs.stages.prompting import StagePrompt
from genesis_pipeline.defs.stages.runner import GENERATION_RETRY
from genesis_pipeline.domain.stages import STAGE_INPUTS, Stage
from genesis_pipeline.service.planner import SESSION_TAG

# Keeps downstream stages fresh after an upstream stage changed outside the sensors' runs (a
# re-materialization started by hand in the UI, or by this automation itself), once the
# upstream's blocking gates have passed. The sensors' runs (tagged `genesis/session`) select
# every downstream stage themselves: an update from one of them is no reason to build again,
# and under load Dagster's eager() would otherwise race a long session run and regenerate
# stages it had just built. New, still-missing partitions are the commands sensor's job.
_UPDATED_OUTSIDE_SESSION_RUNS = (
    dg.AutomationCondition.newly_updated()
    & ~dg.AutomationCondition.all_new_updates_have_run_tags(tag_keys={SESSION_TAG})
) | dg.AutomationCondition.will_be_requested()
DOWNSTREAM_AUTOMATION = (
    dg.AutomationCondition.any_deps_match(_UPDATED_OUTSIDE_SESSION_RUNS).since_last_handled()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("upstream changed outside a session run, gates passed")


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
