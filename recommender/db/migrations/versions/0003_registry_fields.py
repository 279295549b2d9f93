"""Registry-export fields of enterprises: 登记状态, 成立日期, 注册资本, 企业规模, node source.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

The columns of ``features.schema.ENTERPRISE`` added for registry batch exports (企查查 /
天眼查 layouts): ``status`` (indexed; firms 注销/吊销 stay stored but are never
candidates), ``founded_on``, ``registered_capital_wan`` with ``capital_currency``,
``size_band`` and ``chain_nodes_source`` (file / inferred). Text columns are NOT NULL with
server defaults so that the rows stored before this revision read as live firms with
nothing known. tests/recommender/db/test_storage.py asserts that upgrading from empty gives
exactly the metadata on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = (
    ("status", 16, "active"),
    ("capital_currency", 3, ""),
    ("size_band", 8, ""),
    ("chain_nodes_source", 8, ""),
)


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "enterprises",
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
    )
    op.add_column("enterprises", sa.Column("founded_on", sa.Date(), nullable=True))
    op.add_column("enterprises", sa.Column("registered_capital_wan", sa.Float(), nullable=True))
    for name, length, default in _TEXT[1:]:
        op.add_column(
            "enterprises",
            sa.Column(name, sa.String(length), server_default=default, nullable=False),
        )
    op.create_index("ix_enterprises_status", "enterprises", ["status"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_enterprises_status", table_name="enterprises")
    # plain DROP COLUMN (SQLite >= 3.35): batch mode would copy the table, which other
    # tables reference by foreign key
    for name, _, _ in reversed(_TEXT[1:]):
        op.drop_column("enterprises", name)
    op.drop_column("enterprises", "registered_capital_wan")
    op.drop_column("enterprises", "founded_on")
    op.drop_column("enterprises", "status")
