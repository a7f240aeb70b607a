"""What the rules need from storage: the unit of work and its repositories, as the genesis
store (`genesis_pipeline.store`) implements them. Only the methods the handlers call."""

from collections.abc import Collection, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.domain.metrics import Metric
from genesis_pipeline.domain.outcome import Strategy
from genesis_pipeline.domain.records import GateRecord, SessionRecord, VersionRecord
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.spending import Spending
from genesis_pipeline.domain.stages import Stage


class Sessions(Protocol):
    def add(self, session_id: str, spec: SessionSpec, *, correlation_id: str) -> bool: ...
    def get(self, session_id: str) -> SessionRecord | None: ...
    def set_status(
        self, session_id: str, status: SessionStatus, reason: str | None = None
    ) -> None: ...
    def archive(
        self, session_id: str, statuses: Collection[SessionStatus], *, untouched_since: datetime
    ) -> datetime | None: ...
    def set_budget(self, session_id: str, budget_tokens: int) -> None: ...


class Artifacts(Protocol):
    def add(self, values: dict[str, Any]) -> bool: ...
    def latest(self, session_id: str, stage: Stage) -> VersionRecord | None: ...
    def by_version(self, session_id: str, stage: Stage, version: int) -> VersionRecord | None: ...
    def by_basis(self, session_id: str, stage: Stage, basis_key: str) -> VersionRecord | None: ...
    def approve(self, version_id: int, *, approved_by: str) -> None: ...


class Gates(Protocol):
    def add(self, version_id: int, record: GateRecord) -> bool: ...


class Revisions(Protocol):
    def add(
        self,
        *,
        session_id: str,
        stage: Stage,
        reason: str,
        instructions: tuple[str, ...],
        next_attempt: int,
        seed: int,
        origin_key: str,
        strategy: Strategy = Strategy.REVISE,
    ) -> bool: ...
    def resolve(self, session_id: str, stage: Stage, *, up_to: int | None) -> None: ...
    def cancel_pending(self, session_id: str) -> None: ...


class Inbox(Protocol):
    def claim(self, envelope: Envelope) -> bool: ...


class Outbox(Protocol):
    def add(self, envelope: Envelope, *, fact_key: str) -> bool: ...


class Spendings(Protocol):
    def of(self, session_id: str, *, stage: str | None = None) -> Spending: ...


class MetricTotals(Protocol):
    def add(self, metric: Metric, amounts: Mapping[tuple[str, ...], float]) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: everything done through it commits together on `commit()`, or not at
    all when the `with` block ends without it."""

    @property
    def sessions(self) -> Sessions: ...
    @property
    def artifacts(self) -> Artifacts: ...
    @property
    def gates(self) -> Gates: ...
    @property
    def revisions(self) -> Revisions: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def spending(self) -> Spendings: ...
    @property
    def metric_totals(self) -> MetricTotals: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
