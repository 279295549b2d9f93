"""Rows written off the request path in small batches, by one writer thread.

Committing one small insert per request costs a few milliseconds and, with several API
processes on one SQLite file, makes them queue on the write lock; so requests hand their rows
to a :class:`BatchWriter`, whose thread writes what has gathered every ``interval`` seconds
in one transaction (or sooner once ``max_pending`` rows wait). At most one interval of rows
can be lost if the process dies; :meth:`BatchWriter.flush` writes everything pending (tests,
shutdown). Subclasses say how a batch is written (:meth:`BatchWriter.write`).
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class BatchWriter:
    """A thread-safe batching writer; subclasses implement :meth:`write`.

    Parameters
    ----------
    session_factory : sessions on the database the rows go to.
    name : the writer's name (thread name, log messages).
    interval : seconds between writes.
    max_pending : rows that trigger a write before the interval is over.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        name: str,
        interval: float = 0.25,
        max_pending: int = 2000,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be > 0 seconds, got {interval}")
        self._factory = session_factory
        self._name = name
        self._interval = interval
        self._max_pending = max_pending
        self._pending: list[Mapping[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def write(self, session: Session, rows: list[Mapping[str, Any]]) -> int:
        """Write one batch in ``session`` (committed by the caller); how many rows."""
        raise NotImplementedError

    def enqueue(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue rows for the next batch."""
        if not rows:
            return
        with self._lock:
            self._pending.extend(rows)
            full = len(self._pending) >= self._max_pending
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Write every pending row now; return how many were written."""
        with self._write_lock:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return 0
            with self._factory() as session:
                n = self.write(session, rows)
                session.commit()
            return n

    def close(self) -> None:
        """Stop the writer thread after a last flush (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        self._thread.join(10)
        try:
            self.flush()
        except Exception:  # the database may already be gone at interpreter exit
            log.exception("%s: last flush failed", self._name)

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # keep the writer alive; the rows of this batch are lost
                log.exception("%s: writing a batch failed", self._name)
