"""session archive: when a finished session's partition was retired, and an index of the
sessions not archived (the archive job and the stale-prompt backfill read only those)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        live = sa.text("archived_at IS NULL")
        batch.create_index(
            batch.f("ix_sessions_status_updated_at"),
            ["status", "updated_at"],
            unique=False,
            postgresql_where=live,
            sqlite_where=live,
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index(batch.f("ix_sessions_status_updated_at"))
        batch.drop_column("archived_at")
