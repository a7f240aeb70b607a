from datetime import timedelta
from typing import Any

import dagster as dg
import sqlalchemy as sa

from genesis_pipeline.defs.automation.maintenance_jobs import (
    genesis_consistency_audit_job,
    genesis_outbox_retention_job,
)
from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.maintenance import Maintenance
from genesis_pipeline.store.repositories import utcnow
from genesis_pipeline.store.tables import artifact_versions, inbound_failures, inbox, outbox

REGRESSION = EventType.AUDIT_REGRESSION_FOUND.value


def audit(instance: dg.DagsterInstance, resources: dict[str, Any], **config: Any) -> dict[str, Any]:
    """Runs the audit job; returns its output metadata as plain values."""
    result = genesis_consistency_audit_job.execute_in_process(
        instance=instance,
        resources={"genesis_store": resources["genesis_store"]},
        run_config={"ops": {"audit_completed_sessions": {"config": config}}},
    )
    assert result.success
    return output_metadata(result, "audit_completed_sessions")


def output_metadata(result: dg.ExecuteInProcessResult, step: str) -> dict[str, Any]:
    [output] = [
        e for e in result.all_events if e.event_type_value == "STEP_OUTPUT" and e.step_key == step
    ]
    metadata = output.event_specific_data.metadata  # type: ignore[union-attr]
    return {key: value.value for key, value in metadata.items()}


def regression_events(store: GenesisStore, session_id: str) -> list[dict[str, Any]]:
    with store.read() as r:
        return [e.payload for e in r.outbox.for_session(session_id) if e.event_type == REGRESSION]


def break_home_location(store: GenesisStore, session_id: str, home: str = "nowhere_at_all") -> int:
    """Give the first character of the approved cast a home the worldview does not have, as if
    the rules had become stricter since the cast passed; returns the cast's version."""
    cast = store.current_approved(session_id, Stage.CHARACTERS)
    assert cast is not None
    content = dict(cast.content)
    content["characters"] = [
        {**content["characters"][0], "home_location_id": home},
        *content["characters"][1:],
    ]
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(artifact_versions)
            .where(artifact_versions.c.id == cast.id)
            .values(content=content)
        )
    return cast.version


def test_a_regression_is_reported_once_as_an_event(instance, resources, store, completed_session):
    completed_session("alpha-01")
    completed_session("beta-01")  # stays consistent
    handlers.create_session(
        store.unit_of_work(), "gamma-01", SessionSpec(premise="Not started"), correlation_id="c"
    )
    version = break_home_location(store, "alpha-01")

    first = audit(instance, resources)

    assert first == {"sessions_audited": 2, "versions_audited": 12, "regressions_found": 1}
    [payload] = regression_events(store, "alpha-01")
    assert (payload["stage"], payload["version"], payload["gate"]) == (
        "characters",
        version,
        "consistency",
    )
    assert [f["field"] for f in payload["findings"]] == ["characters[0].home_location_id"]
    assert "nowhere_at_all" in payload["findings"][0]["problem"]
    assert regression_events(store, "beta-01") == []

    second = audit(instance, resources)

    assert second["regressions_found"] == 0
    assert len(regression_events(store, "alpha-01")) == 1


def test_a_regression_stays_reported_after_its_event_was_published_and_deleted(
    instance, resources, store, completed_session
):
    completed_session("alpha-01")
    break_home_location(store, "alpha-01")
    audit(instance, resources)
    with store.unit_of_work() as uow:
        uow.outbox.mark_sent([event.id for event in uow.outbox.claim_unsent(1000).events])
        uow.commit()
    Maintenance(store).delete_sent_outbox(before=utcnow() + timedelta(hours=1), batch_size=100)
    assert regression_events(store, "alpha-01") == []

    assert audit(instance, resources)["regressions_found"] == 0
    assert regression_events(store, "alpha-01") == []


def test_a_session_whose_content_no_longer_parses_fails_the_run_after_the_others(
    instance, resources, store, completed_session
):
    completed_session("alpha-01")
    completed_session("beta-01")
    break_home_location(store, "alpha-01", home="Not An Id!")  # the model refuses it
    break_home_location(store, "beta-01")

    result = genesis_consistency_audit_job.execute_in_process(
        instance=instance,
        resources={"genesis_store": resources["genesis_store"]},
        raise_on_error=False,
    )

    assert not result.success
    assert len(regression_events(store, "beta-01")) == 1


def add_events(store: GenesisStore, count: int, *, tag: str) -> list[int]:
    with store.unit_of_work() as uow:
        for n in range(count):
            event = new_event(
                EventType.SESSION_RESUMED, session_id="alpha-01", correlation_id="c", payload={}
            )
            uow.outbox.add(event, fact_key=f"test:{tag}:{n}")
        uow.commit()
    with store.read() as r:
        rows = r.outbox.conn.execute(
            sa.select(outbox.c.id).where(outbox.c.fact_key.like(f"test:{tag}:%"))
        )
        return sorted(rows.scalars())


def set_sent_at(store: GenesisStore, ids: list[int], *, hours_ago: float) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(outbox)
            .where(outbox.c.id.in_(ids))
            .values(sent_at=utcnow() - timedelta(hours=hours_ago))
        )


def test_retention_deletes_old_sent_rows_only(instance, resources, store):
    old_sent = add_events(store, 5, tag="old-sent")
    recent_sent = add_events(store, 2, tag="recent-sent")
    unsent = add_events(store, 3, tag="unsent")
    set_sent_at(store, old_sent, hours_ago=200)
    set_sent_at(store, recent_sent, hours_ago=100)

    result = genesis_outbox_retention_job.execute_in_process(
        instance=instance,
        resources={"genesis_store": resources["genesis_store"]},
        run_config={
            "ops": {
                "delete_sent_outbox_rows": {"config": {"older_than_hours": 168, "batch_size": 2}}
            }
        },
    )

    assert result.success
    with store.read() as r:
        left = set(r.outbox.conn.execute(sa.select(outbox.c.id)).scalars())
    assert left == set(recent_sent) | set(unsent)
    metadata = output_metadata(result, "delete_sent_outbox_rows")
    assert (metadata["deleted"], metadata["unsent"]) == (5, 3)


def test_retention_with_its_defaults_keeps_a_week(instance, resources, store):
    week_old = add_events(store, 1, tag="week-old")
    day_old = add_events(store, 1, tag="day-old")
    set_sent_at(store, week_old, hours_ago=169)
    set_sent_at(store, day_old, hours_ago=24)

    result = genesis_outbox_retention_job.execute_in_process(
        instance=instance, resources={"genesis_store": resources["genesis_store"]}
    )

    assert result.success
    with store.read() as r:
        left = list(r.outbox.conn.execute(sa.select(outbox.c.id)).scalars())
    assert left == day_old


def test_retention_deletes_inbox_rows_older_than_a_month(instance, resources, store):
    received = {"old": 31, "recent": 29}
    with store.engine.begin() as conn:
        for name, days in received.items():
            conn.execute(
                sa.insert(inbox).values(
                    event_id=f"{name}-event",
                    event_type="genesis.session.requested",
                    session_id="alpha-01",
                    received_at=utcnow() - timedelta(days=days),
                )
            )
    assert store.count_inbound_failure("old-event", "ValueError: x") == 1
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(inbound_failures).values(last_failed_at=utcnow() - timedelta(days=31))
        )
    assert store.count_inbound_failure("recent-event", "ValueError: y") == 1

    result = genesis_outbox_retention_job.execute_in_process(
        instance=instance, resources={"genesis_store": resources["genesis_store"]}
    )

    assert result.success
    assert output_metadata(result, "delete_old_inbox_rows")["deleted"] == 1
    with store.engine.connect() as conn:
        assert list(conn.execute(sa.select(inbox.c.event_id)).scalars()) == ["recent-event"]
        left = conn.execute(sa.select(inbound_failures.c.message_key)).scalars()
        assert list(left) == ["recent-event"]


def test_the_audit_goes_on_where_its_last_run_stopped(
    instance, resources, store, completed_session
):
    for sid in ("alpha-01", "beta-01", "gamma-01"):
        completed_session(sid)
    break_home_location(store, "gamma-01")

    first = audit(instance, resources, max_sessions=2)
    assert (first["sessions_audited"], first["regressions_found"]) == (2, 0)
    second = audit(instance, resources, max_sessions=2)  # gamma-01, then the end
    assert (second["sessions_audited"], second["regressions_found"]) == (1, 1)
    assert len(regression_events(store, "gamma-01")) == 1
    third = audit(instance, resources, max_sessions=2)  # from the first again
    assert (third["sessions_audited"], third["regressions_found"]) == (2, 0)
