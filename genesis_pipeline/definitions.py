"""The code location Dagster loads (`workspace.yaml`): the per-area definitions of `defs/`
merged, with the resources every run uses and the executor.

See docs/decisions/0001-in-process-executor.md for the executor: a session's stages run one
after another, and a process per step would cost ~3 s each.
"""

import dagster as dg

from genesis_pipeline.defs.automation import definitions as automation
from genesis_pipeline.defs.resources import genesis_resources
from genesis_pipeline.defs.stages import definitions as stages

defs = dg.Definitions.merge(
    stages.defs,
    automation.defs,
    dg.Definitions(resources=genesis_resources(), executor=dg.in_process_executor),
)
