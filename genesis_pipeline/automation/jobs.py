"""Jobs operators rely on (CONTRACT §8)."""

import dagster as dg

genesis_session_job = dg.define_asset_job(
    "genesis_session_job",
    selection=dg.AssetSelection.groups("genesis"),
    description="All six stages of one writing session (one partition), with their gates.",
)
