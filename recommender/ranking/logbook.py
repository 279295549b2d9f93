"""The recommendation log, written off the request path in small batches.

Every answer's shown candidates go to ``recommendation_log`` (who saw what, when, with which
model). Committing one small insert per request costs a few milliseconds and, with several
API processes on one SQLite file, makes them queue on the write lock; so requests hand their
rows (``shown_at`` taken at request time) to a :class:`RecommendationLog`, a
:class:`recommender.db.batches.BatchWriter` that inserts what has gathered every ``interval``
seconds in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recommender.db import repo
from recommender.db.batches import BatchWriter


class RecommendationLog(BatchWriter):
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
        super().__init__(
            session_factory,
            name="recommendation-log",
            interval=interval,
            max_pending=max_pending,
        )

    def submit(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue rows (query_kind, query_id, candidate_id, rank, score, shown_at, ...)."""
        self.enqueue(rows)

    def write(self, session: Session, rows: list[Mapping[str, Any]]) -> int:
        """Insert one batch of recommendation rows."""
        return repo.log_recommendations(session, rows=rows)
