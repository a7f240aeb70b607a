"""bounded maintenance: the inbox's age index for its retention, and cursors that let the
nightly audit go on where its last run stopped

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.create_index(batch.f("ix_inbox_received_at"), ["received_at"], unique=False)
    op.create_table(
        "maintenance_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_maintenance_cursors")),
    )


def downgrade() -> None:
    op.drop_table("maintenance_cursors")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_index(batch.f("ix_inbox_received_at"))
