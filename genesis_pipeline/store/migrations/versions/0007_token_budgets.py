"""token budgets: a session's own budget and what it has spent, and a row per model call

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("budget_tokens", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("tokens_spent", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.create_table(
        "generation_calls",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.session_id"],
            name=op.f("fk_generation_calls_session_id_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_calls")),
    )
    with op.batch_alter_table("generation_calls") as batch:
        batch.create_index(
            batch.f("ix_generation_calls_session_id_stage_attempt"),
            ["session_id", "stage", "attempt"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("generation_calls") as batch:
        batch.drop_index(batch.f("ix_generation_calls_session_id_stage_attempt"))
    op.drop_table("generation_calls")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("tokens_spent")
        batch.drop_column("budget_tokens")
