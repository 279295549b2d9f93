"""Registry-export fields of enterprises (registration status and the like).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Reserved in the migration chain so that parallel work lands in a fixed order; the revision
that owns it fills in upgrade() and downgrade().
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Revert this revision."""
