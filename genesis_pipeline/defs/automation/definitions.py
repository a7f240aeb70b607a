"""What drives sessions and keeps the pipeline healthy: the sensors on Kafka, revisions,
failures and the outbox; the stale-prompt, audit, retention and archive schedules; their jobs."""

import dagster as dg

from genesis_pipeline.defs.automation.jobs import genesis_session_job
from genesis_pipeline.defs.automation.kafka_sensors import (
    genesis_commands_sensor,
    genesis_feedback_sensor,
)
from genesis_pipeline.defs.automation.maintenance_jobs import (
    genesis_consistency_audit_job,
    genesis_outbox_retention_job,
    genesis_session_archive_job,
)
from genesis_pipeline.defs.automation.relay_sensor import genesis_outbox_relay_sensor
from genesis_pipeline.defs.automation.schedules import (
    genesis_consistency_audit_schedule,
    genesis_outbox_retention_schedule,
    genesis_session_archive_schedule,
    genesis_stale_prompt_schedule,
)
from genesis_pipeline.defs.automation.sensors import (
    genesis_automation_sensor,
    genesis_revision_sensor,
    genesis_stage_failure_sensor,
)

defs = dg.Definitions(
    jobs=[
        genesis_session_job,
        genesis_consistency_audit_job,
        genesis_outbox_retention_job,
        genesis_session_archive_job,
    ],
    schedules=[
        genesis_stale_prompt_schedule,
        genesis_consistency_audit_schedule,
        genesis_outbox_retention_schedule,
        genesis_session_archive_schedule,
    ],
    sensors=[
        genesis_commands_sensor,
        genesis_feedback_sensor,
        genesis_revision_sensor,
        genesis_automation_sensor,
        genesis_stage_failure_sensor,
        genesis_outbox_relay_sensor,
    ],
)
