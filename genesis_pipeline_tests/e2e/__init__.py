"""Whole sessions through Dagster: in process, with the sensors and the daemon, and on the
production stack."""
