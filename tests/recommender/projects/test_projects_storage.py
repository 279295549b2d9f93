"""Migration 0004 on SQLite and PostgreSQL: the project tables exactly as the ORM declares
them, a downgrade that removes them, and projects/park members round-tripping as frames."""

from __future__ import annotations

import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from features.schema import PARK_MEMBER, PROJECT, conform
from recommender.db import migrate, repo
from recommender.db.engine import make_engine
from recommender.db.models import Base

MY_TABLES = {
    "projects",
    "project_stages",
    "park_members",
    "project_targets",
    "funnel_counts",
    "funnel_watermark",
}


def _diff_on(db_url: str) -> tuple[list[object], set[str]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    return diff, tables


def _mine(entry: object) -> bool:
    """Whether an autogenerate diff entry concerns one of the project tables."""
    items = entry if isinstance(entry, list) else [entry]
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if name in MY_TABLES or getattr(table, "name", None) in MY_TABLES:
                return True
            if isinstance(part, str) and part in MY_TABLES:
                return True
    return False


def test_0004_creates_exactly_the_declared_project_tables(db_url: str) -> None:
    migrate.upgrade(db_url, "0004")
    diff, tables = _diff_on(db_url)
    assert tables >= MY_TABLES
    assert [d for d in diff if _mine(d)] == []


def test_0004_downgrade_removes_the_project_tables(db_url: str) -> None:
    migrate.upgrade(db_url, "0004")
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            cfg = migrate.alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
            conn.commit()
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert migrate.current(db_url) == "0003"
    assert not MY_TABLES & tables


def test_projects_and_members_round_trip_as_frames(session: Session) -> None:
    projects = conform(
        pd.DataFrame(
            {
                "project_id": ["P2", "P1"],
                "name": ["芯片封装基地", "汽车零部件项目"],
                "investor_name": ["宁波芯速联", "煜晟汽车零部件"],
                "city_code": ["340300", "340300"],
                "park_id": ["CB-01", ""],
                "stage": ["签约", "在谈"],
                "stage_date": pd.to_datetime(["2026-03-02", "2026-01-15"]),
                "signed_date": pd.to_datetime(["2026-03-02", None]),
                "agreed_investment_yi": [2.5, float("nan")],
            }
        ),
        PROJECT,
    )
    assert repo.upsert_frame(session, kind="projects", frame=projects).inserted == 2
    loaded = repo.load_frame(session, kind="projects")
    assert list(loaded["project_id"]) == ["P1", "P2"]
    assert loaded.loc[1, "agreed_investment_yi"] == pytest.approx(2.5)
    assert pd.isna(loaded.loc[0, "signed_date"])
    members = conform(
        pd.DataFrame({"park_id": ["CB-01"], "uscc": ["91340300MA0000001X"], "source": ["list"]}),
        PARK_MEMBER,
    )
    repo.upsert_frame(session, kind="park_members", frame=members)
    assert repo.existing_keys(session, kind="park_members") == {"CB-01|91340300MA0000001X"}
