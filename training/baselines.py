"""Baselines that need no feature pipeline.

The rule baseline and logistic regression work on pair features and live in
:mod:`training.rankers`; this module holds what can be computed from outcomes alone.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.schema import OUTCOME, STAGE_GRADE, check_frame
from training.errors import InvalidInputError

__all__ = ["popularity_scores"]


def popularity_scores(
    train_outcomes: pd.DataFrame,
    candidate_ids: npt.ArrayLike,
    *,
    as_of: date | str | pd.Timestamp,
    query_kind: str | None = None,
    min_grade: int = 1,
    alpha: float = 1.0,
) -> npt.NDArray[np.float64]:
    """Smoothed popularity of each candidate: how many queries it succeeded with before ``as_of``.

    A candidate's count ``n_c`` is the number of distinct (query_kind, query_id) pairs for
    which it reached a stage of grade >= ``min_grade`` (default: a meeting was held) on a
    date strictly before ``as_of``; several stages of one pair count once. The score is the
    additive-smoothed share ``(n_c + alpha) / (N + alpha * V)``, where ``N`` is the sum of
    the counts and ``V`` the number of distinct candidates in the visible outcomes and in
    ``candidate_ids`` together, so a candidate never seen scores ``alpha / (N + alpha * V)``
    rather than 0. The order is that of the raw counts; ties are left to the metric's
    tie-break.

    Parameters
    ----------
    train_outcomes : outcome rows (``features.schema.OUTCOME`` columns); not modified.
    candidate_ids : the candidates to score.
    as_of : only outcomes dated before this day are seen.
    query_kind : if given, only outcomes of this query kind count.
    min_grade : the smallest grade counted as a success (``STAGE_GRADE``).
    alpha : pseudo-count, > 0.

    Returns
    -------
    ndarray of float64, aligned with ``candidate_ids``.
    """
    check_frame(train_outcomes, OUTCOME, where="popularity_scores")
    if not alpha > 0:
        raise InvalidInputError(f"alpha must be > 0, got {alpha!r}")
    grades = train_outcomes["stage"].map(STAGE_GRADE)
    unknown = train_outcomes.loc[grades.isna(), "stage"].unique().tolist()
    if unknown:
        raise InvalidInputError(f"unknown stages {unknown}; expected one of {list(STAGE_GRADE)}")
    visible = train_outcomes["date"] < pd.Timestamp(as_of)
    if query_kind is not None:
        visible &= train_outcomes["query_kind"] == query_kind
    seen = train_outcomes.loc[visible]
    positive = seen.loc[grades[visible] >= min_grade]
    pairs = positive.drop_duplicates(["query_kind", "query_id", "candidate_id"])
    counts = pairs["candidate_id"].value_counts()

    cands = pd.Series(np.asarray(candidate_ids, dtype=object)).astype(str)
    universe = pd.Index(seen["candidate_id"].astype(str).unique()).union(pd.Index(cands.unique()))
    n = cands.map(counts).fillna(0).to_numpy(dtype=np.float64)
    total = float(counts.sum())
    return np.asarray((n + alpha) / (total + alpha * len(universe)), dtype=np.float64)
