"""Exclusive operations on one database: two imports never run at once.

Two imports of overlapping files must not interleave: each is one transaction, but their
validations read the stored rows before either writes, and on PostgreSQL the second would
wait on row locks and then overwrite half of the first. So an import holds a named lock
for its whole run, and a second one is refused at once with a message that says why
(:class:`~recommender.errors.ConflictError`, HTTP 409):

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of
  its own, so every API process and command on every machine sharing the database sees it;
- SQLite: an ``flock`` on a file beside the database file (one machine by definition).

Both are released by the operating system or the server when the holder dies, even by
``kill -9``: a crashed import never blocks the next one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from recommender.errors import ConflictError

IMPORT: Final = "import"
_local = threading.Lock()  # in-memory SQLite: one process, so a process lock is enough
_NAMES: Final = {IMPORT: "导入"}


def _key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    digest = hashlib.sha256(f"chainmatch:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _refused(name: str, holder: str) -> ConflictError:
    zh = _NAMES.get(name, name)
    return ConflictError(
        f"另一个{zh}正在进行，请等它结束后再试 (another {name} is running{holder}; "
        "try again when it has finished)"
    )


@contextlib.contextmanager
def exclusive(bind: Session | Engine, name: str = IMPORT, *, what: str = "") -> Iterator[None]:
    """Hold the lock ``name`` on the database of ``bind`` for the ``with`` block.

    Raises :class:`ConflictError` at once if someone else holds it. ``what`` (e.g. the file
    being imported) is shown to whoever is refused, on SQLite.
    """
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    assert isinstance(engine, Engine)
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with _pg_lock(engine, name):
            yield
        return
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        if not _local.acquire(blocking=False):
            raise _refused(name, "")
        try:
            yield
        finally:
            _local.release()
        return
    with _file_lock(Path(f"{database}.{name}.lock"), name, what):
        yield


@contextlib.contextmanager
def _pg_lock(engine: Engine, name: str) -> Iterator[None]:
    key = _key(name)
    with engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        if not got:
            raise _refused(name, "")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


@contextlib.contextmanager
def _file_lock(path: Path, name: str, what: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 500, 0).decode("utf-8", "replace").strip()
            raise _refused(name, f": {holder}" if holder else "") from None
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S UTC")
        note = f"{what or name} (pid {os.getpid()}, since {stamp})".encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, note, 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
