"""The one partitions definition: a partition is a writing session."""

import dagster as dg

GENESIS_SESSION_PARTITIONS = "genesis_session"
genesis_sessions = dg.DynamicPartitionsDefinition(name=GENESIS_SESSION_PARTITIONS)
