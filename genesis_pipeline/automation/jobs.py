"""Jobs operators rely on (CONTRACT §8)."""

import dagster as dg

from genesis_pipeline.stages.partitions import genesis_sessions

genesis_session_job = dg.define_asset_job(
    "genesis_session_job",
    selection=dg.AssetSelection.groups("genesis"),
    partitions_def=genesis_sessions,
    description="All six stages of one writing session (one partition), with their gates.",
)
