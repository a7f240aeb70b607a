"""One LLM rate limit shared by every process that uses the same database.

Each worker process calls the provider on its own, so an in-memory limiter would let N
workers send N times the allowed rate. Two token buckets live in `rate_limit_buckets`
instead, one for requests per minute and one for tokens per minute, and every change to
them happens inside a transaction that holds both rows.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from genesis_pipeline.store.tables import rate_limit_buckets

REQUESTS_BUCKET = "llm:requests"
TOKENS_BUCKET = "llm:tokens"


class RateLimitWaitTooLong(TimeoutError):
    """Admitting the call would mean waiting longer than allowed; nothing was taken."""


@dataclass(frozen=True)
class BucketState:
    """One bucket row; `updated_at` is wall-clock seconds, comparable across processes."""

    tokens: float
    capacity: float
    refill_per_second: float
    updated_at: float

    def refilled(self, now: float) -> "BucketState":
        # A clock that stepped back (another host, NTP) must not drain the bucket.
        elapsed = max(0.0, now - self.updated_at)
        tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_second)
        return replace(self, tokens=tokens, updated_at=max(now, self.updated_at))

    def reconfigured(self, capacity: float, refill_per_second: float) -> "BucketState":
        return replace(
            self,
            capacity=capacity,
            refill_per_second=refill_per_second,
            tokens=min(self.tokens, capacity),
        )

    def seconds_until(self, amount: float) -> float:
        missing = amount - self.tokens
        return 0.0 if missing <= 0 else missing / self.refill_per_second

    def adjusted(self, delta: float) -> "BucketState":
        """Tokens moved by `delta`; a debt deeper than one full bucket is forgiven."""
        return replace(self, tokens=max(-self.capacity, min(self.capacity, self.tokens + delta)))


class SharedTokenBucket:
    """A rate limiter (`generation.port.RateLimiter`) whose buckets live in the store.

    The limits given here win: if the table holds other capacities (the settings changed),
    the rows are updated on the next call.
    """

    def __init__(
        self,
        engine: sa.Engine,
        *,
        rpm: int,
        tpm: int,
        max_wait_s: float = 120.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rpm <= 0 or tpm <= 0:
            raise ValueError(f"rpm and tpm must be positive, got rpm={rpm} tpm={tpm}")
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(
                f"SharedTokenBucket supports sqlite and postgresql, not {engine.dialect.name}"
            )
        self._engine = engine
        self._limits = {REQUESTS_BUCKET: float(rpm), TOKENS_BUCKET: float(tpm)}
        self._max_wait_s = max_wait_s
        self._clock = clock
        self._sleep = sleep

    def acquire(self, *, tokens: int) -> None:
        """Take one request and `tokens` tokens, waiting for refill up to `max_wait_s`."""
        # A call larger than the whole minute budget could never fit; it waits for a full bucket.
        wanted = {
            REQUESTS_BUCKET: 1.0,
            TOKENS_BUCKET: float(min(tokens, self._limits[TOKENS_BUCKET])),
        }
        waited = 0.0
        while True:
            wait = self._take_or_wait(wanted)
            if wait == 0.0:
                return
            if waited + wait > self._max_wait_s:
                raise RateLimitWaitTooLong(
                    f"rate limit: 1 request and {tokens} tokens would need {waited + wait:.1f}s "
                    f"of waiting, more than max_wait_s={self._max_wait_s:g}"
                )
            # Sleep outside the transaction so that other processes can use the buckets meanwhile.
            self._sleep(wait)
            waited += wait

    def settle(self, *, estimated: int, actual: int) -> None:
        """Give back what a call did not use, or charge what it used beyond its estimate."""
        if estimated == actual:
            return
        with self._locked_buckets() as (connection, states):
            self._write(
                connection, TOKENS_BUCKET, states[TOKENS_BUCKET].adjusted(estimated - actual)
            )

    def _take_or_wait(self, wanted: dict[str, float]) -> float:
        """Deduct `wanted` and return 0, or commit the refill and return the seconds to wait."""
        with self._locked_buckets() as (connection, states):
            wait = max(states[name].seconds_until(amount) for name, amount in wanted.items())
            for name, state in states.items():
                self._write(connection, name, state if wait else state.adjusted(-wanted[name]))
            return wait

    @contextmanager
    def _locked_buckets(self) -> Iterator[tuple[sa.Connection, dict[str, BucketState]]]:
        """Both buckets, refilled to now and locked until the block's transaction commits."""
        with self._engine.begin() as connection:
            _take_write_lock(connection)
            rows = self._select_for_update(connection)
            if len(rows) < len(self._limits):
                self._insert_missing(connection, missing=set(self._limits) - set(rows))
                rows = self._select_for_update(connection)
            now = self._clock()
            yield (
                connection,
                {
                    name: state.refilled(now).reconfigured(
                        self._limits[name], self._limits[name] / 60.0
                    )
                    for name, state in rows.items()
                },
            )

    def _select_for_update(self, connection: sa.Connection) -> dict[str, BucketState]:
        table = rate_limit_buckets
        # Locking in name order keeps two PostgreSQL transactions from deadlocking.
        query = (
            sa.select(table)
            .where(table.c.name.in_(list(self._limits)))
            .order_by(table.c.name)
            .with_for_update()
        )
        return {
            row.name: BucketState(
                tokens=row.tokens,
                capacity=row.capacity,
                refill_per_second=row.refill_per_second,
                updated_at=row.updated_at,
            )
            for row in connection.execute(query)
        }

    def _insert_missing(self, connection: sa.Connection, *, missing: set[str]) -> None:
        # Two processes may both see no rows; ON CONFLICT DO NOTHING lets the second one
        # fall through to the row the first one wrote instead of failing.
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        now = self._clock()
        values = [
            {
                "name": name,
                "tokens": self._limits[name],
                "capacity": self._limits[name],
                "refill_per_second": self._limits[name] / 60.0,
                "updated_at": now,
            }
            for name in sorted(missing)
        ]
        connection.execute(insert(rate_limit_buckets).values(values).on_conflict_do_nothing())

    @staticmethod
    def _write(connection: sa.Connection, name: str, state: BucketState) -> None:
        connection.execute(
            sa.update(rate_limit_buckets)
            .where(rate_limit_buckets.c.name == name)
            .values(
                tokens=state.tokens,
                capacity=state.capacity,
                refill_per_second=state.refill_per_second,
                updated_at=state.updated_at,
            )
        )


def _take_write_lock(connection: sa.Connection) -> None:
    """On SQLite, hold the database write lock from the first read of the buckets.

    SQLite ignores FOR UPDATE, and a deferred transaction lets two processes read the same
    tokens before either writes. `store.engine.make_engine` already begins every transaction
    with BEGIN IMMEDIATE; an engine from plain `create_engine` has not begun one yet (pysqlite
    begins lazily), so begin it here.
    """
    if connection.dialect.name != "sqlite":
        return
    if not getattr(connection.connection.dbapi_connection, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
