"""Unit of work: everything inside one `with` block commits together or not at all."""

from types import TracebackType

import sqlalchemy as sa

from genesis_pipeline.store.budgets import Spendings
from genesis_pipeline.store.inbox import Inbox
from genesis_pipeline.store.metric_totals import MetricTotals
from genesis_pipeline.store.outbox import Outbox
from genesis_pipeline.store.repositories import Artifacts, Gates, Sessions
from genesis_pipeline.store.revisions import Revisions


class UnitOfWork:
    """Repositories on one transaction; rolls back unless `commit()` was called.

    with store.unit_of_work() as uow:
        uow.artifacts.add(...)
        uow.outbox.add(event, fact_key=...)
        uow.commit()
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._connection: sa.Connection | None = None
        self._committed = False

    def __enter__(self) -> "UnitOfWork":
        self._connection = self._engine.connect()
        self._connection.begin()
        self.sessions = Sessions(self._connection)
        self.artifacts = Artifacts(self._connection)
        self.gates = Gates(self._connection)
        self.revisions = Revisions(self._connection)
        self.outbox = Outbox(self._connection)
        self.inbox = Inbox(self._connection)
        self.spending = Spendings(self._connection)
        self.metric_totals = MetricTotals(self._connection)
        return self

    def commit(self) -> None:
        assert self._connection is not None, "commit() outside of `with`"
        self._connection.commit()
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        if not self._committed:
            self._connection.rollback()
        self._connection.close()
