"""Participants' meeting preferences: ``must_meet`` and ``no_meet`` on event_participants.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Both are ;-joined USCCs of counterparts at the same event (``features.schema.PARTICIPANT``).
They are NOT NULL text like the other entity text columns; the server default "" fills
the rows stored before this revision. tests/recommender/db/test_storage.py asserts that
upgrading from empty gives exactly the metadata on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("must_meet", "no_meet")


def upgrade() -> None:
    """Apply this revision."""
    for name in _COLUMNS:
        op.add_column(
            "event_participants",
            sa.Column(name, sa.Text(), server_default="", nullable=False),
        )


def downgrade() -> None:
    """Revert this revision."""
    # batch mode: SQLite before 3.35 cannot DROP COLUMN, so the table is copied there
    with op.batch_alter_table("event_participants") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
