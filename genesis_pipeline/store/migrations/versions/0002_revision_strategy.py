"""revision requests carry the strategy of the attempt they ask for

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("revision_requests") as batch:
        batch.add_column(
            sa.Column("strategy", sa.String(length=16), server_default="revise", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("revision_requests") as batch:
        batch.drop_column("strategy")
