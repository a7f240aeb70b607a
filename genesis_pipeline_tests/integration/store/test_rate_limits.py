import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from genesis_pipeline.store.engine import make_engine
from genesis_pipeline.store.rate_limits import (
    REQUESTS_BUCKET,
    TOKENS_BUCKET,
    BucketState,
    RateLimitWaitTooLong,
    SharedTokenBucket,
)
from genesis_pipeline.store.tables import metadata, rate_limit_buckets


class FakeTime:
    """A wall clock that only moves when the bucket sleeps."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'buckets.db'}"
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> sa.Engine:
    return sa.create_engine(db_url)


def bucket_rows(engine: sa.Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        return {row.name: row for row in connection.execute(sa.select(rate_limit_buckets))}


def make_bucket(engine: sa.Engine, fake: FakeTime, **kwargs: Any) -> SharedTokenBucket:
    return SharedTokenBucket(engine, clock=fake.clock, sleep=fake.sleep, **kwargs)


def test_refill_is_proportional_to_elapsed_time_and_capped() -> None:
    state = BucketState(tokens=0.0, capacity=60.0, refill_per_second=1.0, updated_at=100.0)
    assert state.refilled(130.0).tokens == 30.0
    assert state.refilled(130.0).updated_at == 130.0
    assert state.refilled(1000.0).tokens == 60.0


def test_a_clock_that_steps_back_neither_refills_nor_rewinds() -> None:
    state = BucketState(tokens=5.0, capacity=60.0, refill_per_second=1.0, updated_at=100.0)
    assert state.refilled(90.0) == state


def test_wait_is_the_missing_amount_over_the_refill_rate() -> None:
    state = BucketState(tokens=2.0, capacity=60.0, refill_per_second=0.5, updated_at=0.0)
    assert state.seconds_until(2.0) == 0.0
    assert state.seconds_until(5.0) == 6.0


def test_debt_is_clamped_at_minus_capacity() -> None:
    state = BucketState(tokens=10.0, capacity=100.0, refill_per_second=1.0, updated_at=0.0)
    assert state.adjusted(-500.0).tokens == -100.0
    assert state.adjusted(500.0).tokens == 100.0


def test_first_use_creates_full_buckets_and_deducts(engine: sa.Engine) -> None:
    fake = FakeTime()
    make_bucket(engine, fake, rpm=60, tpm=6000).acquire(tokens=1500)

    rows = bucket_rows(engine)
    assert rows[REQUESTS_BUCKET].tokens == 59.0
    assert rows[REQUESTS_BUCKET].refill_per_second == 1.0
    assert rows[TOKENS_BUCKET].tokens == 4500.0
    assert rows[TOKENS_BUCKET].capacity == 6000.0
    assert rows[TOKENS_BUCKET].updated_at == fake.now
    assert fake.sleeps == []


def test_acquire_waits_for_the_request_bucket_to_refill(engine: sa.Engine) -> None:
    fake = FakeTime()
    bucket = make_bucket(engine, fake, rpm=60, tpm=1_000_000)
    for _ in range(60):
        bucket.acquire(tokens=10)
    assert fake.sleeps == []

    bucket.acquire(tokens=10)
    assert fake.sleeps == [pytest.approx(1.0)]
    assert bucket_rows(engine)[REQUESTS_BUCKET].tokens == pytest.approx(0.0)


def test_acquire_waits_for_the_token_bucket_to_refill(engine: sa.Engine) -> None:
    fake = FakeTime()
    bucket = make_bucket(engine, fake, rpm=1000, tpm=600)  # 10 tokens per second
    bucket.acquire(tokens=500)
    bucket.acquire(tokens=300)
    assert fake.sleeps == [pytest.approx(20.0)]


def test_a_call_larger_than_the_minute_budget_waits_for_a_full_bucket(engine: sa.Engine) -> None:
    fake = FakeTime()
    bucket = make_bucket(engine, fake, rpm=1000, tpm=600)
    bucket.acquire(tokens=600)
    bucket.acquire(tokens=5000)
    assert fake.sleeps == [pytest.approx(60.0)]


def test_too_long_a_wait_is_refused_and_takes_nothing(engine: sa.Engine) -> None:
    fake = FakeTime()
    bucket = make_bucket(engine, fake, rpm=6, tpm=1_000_000, max_wait_s=5.0)
    for _ in range(6):
        bucket.acquire(tokens=1)

    with pytest.raises(RateLimitWaitTooLong, match="would need"):
        bucket.acquire(tokens=1)
    assert fake.sleeps == []
    assert bucket_rows(engine)[REQUESTS_BUCKET].tokens == 0.0


def test_settle_returns_unused_tokens_and_charges_overruns(engine: sa.Engine) -> None:
    fake = FakeTime()
    bucket = make_bucket(engine, fake, rpm=60, tpm=6000)
    bucket.acquire(tokens=2000)
    bucket.settle(estimated=2000, actual=500)
    assert bucket_rows(engine)[TOKENS_BUCKET].tokens == 5500.0

    bucket.settle(estimated=100, actual=50_000)
    assert bucket_rows(engine)[TOKENS_BUCKET].tokens == -6000.0


def test_changed_limits_update_the_stored_buckets(engine: sa.Engine) -> None:
    fake = FakeTime()
    make_bucket(engine, fake, rpm=60, tpm=6000).acquire(tokens=0)
    make_bucket(engine, fake, rpm=30, tpm=12000).acquire(tokens=0)

    rows = bucket_rows(engine)
    assert rows[REQUESTS_BUCKET].capacity == 30.0
    assert rows[REQUESTS_BUCKET].refill_per_second == 0.5
    assert rows[REQUESTS_BUCKET].tokens == 29.0
    assert rows[TOKENS_BUCKET].capacity == 12000.0


def test_works_with_the_store_engine_that_already_begins_immediate(db_url: str) -> None:
    fake = FakeTime()
    bucket = make_bucket(make_engine(db_url), fake, rpm=60, tpm=6000)
    bucket.acquire(tokens=100)
    bucket.settle(estimated=100, actual=40)
    assert bucket_rows(make_engine(db_url))[TOKENS_BUCKET].tokens == 5960.0


RPM = 240  # capacity 240 requests, refilled at 4 per second
PER_PROCESS = 125  # 250 in all: 10 more than capacity, so at least 2.5 s of refill


def _acquire_many(url: str, count: int, start: Any, results: Any) -> None:
    bucket = SharedTokenBucket(sa.create_engine(url), rpm=RPM, tpm=10_000_000)
    start.wait()
    granted = []
    for _ in range(count):
        bucket.acquire(tokens=1)
        granted.append(time.time())
    results.put(granted)


def test_two_processes_together_stay_within_the_limit(db_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    results = context.Queue()
    workers = [
        context.Process(target=_acquire_many, args=(db_url, PER_PROCESS, start, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    start.wait(timeout=30)
    grants = sorted(results.get(timeout=30) + results.get(timeout=30))
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0

    rate = RPM / 60.0
    assert len(grants) == 2 * PER_PROCESS
    # However the grants interleave, no stretch of time admits more than a full bucket plus
    # what refilled during it (a little slack for the time between commit and timestamp).
    slack = 2
    for first in range(len(grants)):
        for last in range(first + RPM, len(grants)):
            admitted = last - first + 1
            allowed = RPM + rate * (grants[last] - grants[first]) + slack
            assert admitted <= allowed, (first, last, grants[last] - grants[first])
    assert grants[-1] - grants[0] >= (2 * PER_PROCESS - RPM) / rate - 0.3
