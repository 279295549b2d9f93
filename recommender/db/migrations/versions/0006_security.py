"""Key and account expiry, key rotation, the audit log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

``api_keys`` gets ``expires_at`` and ``replaced_by`` (the key that replaced it at a
rotation); ``user_accounts`` gets ``expires_at``; ``audit_log`` records who viewed or exported
which list, who promoted or rolled back which model, sign-ins that failed (see
``recommender.security.audit``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the expiry/rotation columns and create ``audit_log``."""
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("replaced_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("user_accounts") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=512), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_action_at"), "audit_log", ["action", "at"])
    op.create_index(op.f("ix_audit_log_actor_at"), "audit_log", ["actor", "at"])


def downgrade() -> None:
    """Drop ``audit_log`` and the expiry/rotation columns."""
    op.drop_index(op.f("ix_audit_log_actor_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("user_accounts") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("replaced_by")
        batch.drop_column("expires_at")
