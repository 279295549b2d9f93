"""Engine and session factories (SQLite for one machine, PostgreSQL for a team)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

__all__ = ["make_engine", "make_session_factory", "session_scope"]


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine for ``url``.

    SQLite gets foreign keys switched on for every connection, WAL journaling for file
    databases and ``check_same_thread=False`` (the API shares connections across threads);
    PostgreSQL gets ``pool_pre_ping`` so that connections dropped by the server are replaced.

    Parameters
    ----------
    url : SQLAlchemy URL, e.g. ``sqlite:///var/chainmatch.db`` or
        ``postgresql+psycopg://user@host:5432/db``.
    echo : log every SQL statement.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(parsed, echo=echo, connect_args={"check_same_thread": False})
        is_file = parsed.database not in (None, "", ":memory:") and not str(
            parsed.database
        ).startswith("file::memory:")
        _install_sqlite_pragmas(engine, wal=is_file)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    raise ValueError(f"database URL must be sqlite:// or postgresql://, got {backend!r} ({url!r})")


def _install_sqlite_pragmas(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA foreign_keys=ON")
            if wal:
                cur.execute("PRAGMA journal_mode=WAL")
                # WAL makes NORMAL safe against corruption; only the last commit may be lost
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
        finally:
            cur.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session that commits on success, rolls back on error and is always closed."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
