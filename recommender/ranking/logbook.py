"""The recommendation log, written off the request path in small batches.

Every answer's shown candidates go to ``recommendation_log`` (who saw what, when, with which
model). Committing one small insert per request costs a few milliseconds and, with several
API processes on one SQLite file, makes them queue on the write lock; so requests hand their
rows (``shown_at`` taken at request time) to a :class:`RecommendationLog`, whose writer
thread inserts what has gathered every ``interval`` seconds in one transaction. At most one
interval of rows can be lost if the process dies; :meth:`RecommendationLog.flush` writes
everything pending (tests, shutdown).
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recommender.db import repo

log = logging.getLogger(__name__)


class RecommendationLog:
    """A batching writer for ``recommendation_log`` rows (thread-safe).

    Parameters
    ----------
    session_factory : sessions on the database the rows go to.
    interval : seconds between writes.
    max_pending : rows that trigger a write before the interval is over.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        interval: float = 0.25,
        max_pending: int = 2000,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be > 0 seconds, got {interval}")
        self._factory = session_factory
        self._interval = interval
        self._max_pending = max_pending
        self._pending: list[Mapping[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="recommendation-log", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def submit(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue rows (query_kind, query_id, candidate_id, rank, score, shown_at, ...)."""
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
                n = repo.log_recommendations(session, rows=rows)
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
            log.exception("recommendation log: last flush failed")

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # keep the writer alive; the rows of this batch are lost
                log.exception("recommendation log: writing a batch failed")
