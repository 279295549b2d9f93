"""Popularity baseline on a hand-worked outcome table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.errors import SchemaError
from training.baselines import popularity_scores
from training.errors import InvalidInputError


def _outcomes() -> pd.DataFrame:
    rows = [
        ("supplier", "L1", "A", "meeting", "2025-01-10"),
        ("supplier", "L1", "A", "signed", "2025-03-01"),  # same pair as above: counts once
        ("supplier", "L2", "A", "intention", "2025-02-01"),
        ("supplier", "L1", "B", "contacted", "2025-01-05"),  # not a success
        ("supplier", "L3", "B", "meeting", "2025-06-01"),  # after as_of: invisible
        ("investor", "P1", "C", "signed", "2025-01-20"),
        ("supplier", "L2", "C", "declined", "2025-02-02"),  # not a success
    ]
    frame = pd.DataFrame(rows, columns=["query_kind", "query_id", "candidate_id", "stage", "date"])
    return frame.assign(date=pd.to_datetime(frame["date"]))


def test_popularity_by_hand() -> None:
    # before 2025-05-01: A succeeded with L1 and L2 (2), B with none (0), C with P1 (1); N = 3.
    # candidates A, B, C, D -> V = 4; alpha = 1: (n + 1) / (3 + 4) = 3/7, 1/7, 2/7, 1/7
    frame = _outcomes()
    before = frame.copy()
    scores = popularity_scores(frame, ["A", "B", "C", "D"], as_of="2025-05-01")
    np.testing.assert_allclose(scores, [3 / 7, 1 / 7, 2 / 7, 1 / 7])
    pd.testing.assert_frame_equal(frame, before)


def test_popularity_of_one_kind_and_stricter_grade() -> None:
    frame = _outcomes()
    # supplier only: A = 2, N = 2, V = {A, B, C, D} = 4 -> 3/6, 1/6, 1/6, 1/6
    scores = popularity_scores(
        frame, ["A", "B", "C", "D"], as_of="2025-05-01", query_kind="supplier"
    )
    np.testing.assert_allclose(scores, [3 / 6, 1 / 6, 1 / 6, 1 / 6])
    # signed or better (grade >= 3): A (L1 signed) and C (P1 signed), N = 2, V = 3, alpha = 0.5
    # -> A = 1.5 / 3.5, C = 1.5 / 3.5, B = 0.5 / 3.5
    scores = popularity_scores(frame, ["A", "B", "C"], as_of="2025-05-01", min_grade=3, alpha=0.5)
    np.testing.assert_allclose(scores, [1.5 / 3.5, 0.5 / 3.5, 1.5 / 3.5])


def test_outcomes_on_the_as_of_day_are_not_seen() -> None:
    scores = popularity_scores(_outcomes(), ["B"], as_of="2025-06-01")
    later = popularity_scores(_outcomes(), ["B"], as_of="2025-06-02")
    assert scores[0] < later[0]


def test_bad_input_is_refused() -> None:
    with pytest.raises(SchemaError, match="stage"):
        popularity_scores(_outcomes().drop(columns="stage"), ["A"], as_of="2025-05-01")
    with pytest.raises(InvalidInputError, match="alpha must be > 0, got 0"):
        popularity_scores(_outcomes(), ["A"], as_of="2025-05-01", alpha=0)
    bad = _outcomes().assign(stage="won")
    with pytest.raises(InvalidInputError, match="unknown stages"):
        popularity_scores(bad, ["A"], as_of="2025-05-01")
