"""Shared fixtures: temporary SQLite and PostgreSQL databases, and a migrated session.

``pg_url`` points at the server in ``CHAINMATCH_TEST_PG_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test) and gives every test a fresh schema
(dropped afterwards), so parallel runs and other test modules never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of an empty SQLite file database in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'chainmatch.db'}"


@pytest.fixture(scope="session")
def _pg_server_url() -> str:
    url = os.environ.get("CHAINMATCH_TEST_PG_URL", DEFAULT_PG_URL)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "skip"
        pytest.skip(
            f"PostgreSQL not reachable at {url} ({type(exc).__name__}: {exc}); "
            "start it or set CHAINMATCH_TEST_PG_URL"
        )
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_url(_pg_server_url: str) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL schema (via search_path), dropped after the test."""
    schema = f"cm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(_pg_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on a database migrated to head (closed, engine disposed afterwards)."""
    from recommender.db import migrate
    from recommender.db.engine import make_engine, make_session_factory

    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    s = factory()
    try:
        yield s
    finally:
        s.close()
        engine.dispose()
