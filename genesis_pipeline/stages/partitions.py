"""The one partitions definition: a partition is a writing session."""

import dagster as dg

genesis_sessions = dg.DynamicPartitionsDefinition(name="genesis_session")
