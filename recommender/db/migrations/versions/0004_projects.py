"""Projects (the ledger), their stage history, park membership and yearly targets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

``projects`` carries exactly the columns of ``features.schema.PROJECT`` and
``park_members`` those of ``PARK_MEMBER``; ``project_stages`` is the dated stage history of
each project and ``project_targets`` an office's yearly targets (签约项目数, 协议投资额,
专精特新培育数) for its city or one park; ``funnel_counts`` (with ``funnel_watermark``) keeps
the dashboard's outcome counts per city, year and stage, filled from the outcomes table.
tests/recommender/projects/test_projects_storage.py checks
that upgrading gives these tables exactly as ``recommender.db.models`` declares them, and
that downgrading removes them, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "projects",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("investor_name", sa.String(length=256), nullable=False),
        sa.Column("investor_uscc", sa.String(length=18), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("park_id", sa.String(length=32), nullable=False),
        sa.Column("source_city_code", sa.String(length=6), nullable=False),
        sa.Column("industry", sa.String(length=128), nullable=False),
        sa.Column("chain_nodes", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_date", sa.Date(), nullable=False),
        sa.Column("signed_date", sa.Date(), nullable=True),
        sa.Column("agreed_investment_yi", sa.Float(), nullable=True),
        sa.Column("fixed_asset_yi", sa.Float(), nullable=True),
        sa.Column("land_mu", sa.Float(), nullable=True),
        sa.Column("contact", sa.String(length=128), nullable=False),
        sa.Column("source_list", sa.String(length=128), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_projects")),
    )
    op.create_index(op.f("ix_projects_stage"), "projects", ["stage"], unique=False)
    # covering indexes of the dashboard's grouped queries
    op.create_index(
        "ix_projects_dash_signed",
        "projects",
        [
            "city_code",
            "stage",
            "signed_date",
            "source_city_code",
            "agreed_investment_yi",
            "investor_uscc",
            "project_id",
        ],
    )
    op.create_index(
        "ix_projects_dash_parks",
        "projects",
        ["city_code", "park_id", "stage", "signed_date", "agreed_investment_yi"],
    )
    op.create_index(
        op.f("ix_projects_park_id_investor_uscc"), "projects", ["park_id", "investor_uscc"]
    )
    op.create_table(
        "project_stages",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.project_id"],
            name=op.f("fk_project_stages_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_stages")),
        sa.UniqueConstraint(
            "project_id", "stage", "date", name=op.f("uq_project_stages_project_id_stage_date")
        ),
    )
    op.create_index(op.f("ix_project_stages_project_id"), "project_stages", ["project_id"])
    op.create_index(op.f("ix_project_stages_date"), "project_stages", ["date"])
    op.create_table(
        "park_members",
        sa.Column("park_id", sa.String(length=32), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("park_id", "uscc", name=op.f("pk_park_members")),
    )
    op.create_index(op.f("ix_park_members_uscc"), "park_members", ["uscc"])
    op.create_table(
        "project_targets",
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("park_id", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("signed_projects", sa.Integer(), nullable=True),
        sa.Column("agreed_investment_yi", sa.Float(), nullable=True),
        sa.Column("srdi_cultivated", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("city_code", "park_id", "year", name=op.f("pk_project_targets")),
    )
    op.create_table(
        "funnel_counts",
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("city_code", "year", "stage", name=op.f("pk_funnel_counts")),
    )
    op.create_table(
        "funnel_watermark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_outcome_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnel_watermark")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("funnel_watermark")
    op.drop_table("funnel_counts")
    op.drop_table("project_targets")
    op.drop_index(op.f("ix_park_members_uscc"), table_name="park_members")
    op.drop_table("park_members")
    op.drop_index(op.f("ix_project_stages_date"), table_name="project_stages")
    op.drop_index(op.f("ix_project_stages_project_id"), table_name="project_stages")
    op.drop_table("project_stages")
    op.drop_index(op.f("ix_projects_park_id_investor_uscc"), table_name="projects")
    op.drop_index("ix_projects_dash_parks", table_name="projects")
    op.drop_index("ix_projects_dash_signed", table_name="projects")
    op.drop_index(op.f("ix_projects_stage"), table_name="projects")
    op.drop_table("projects")
