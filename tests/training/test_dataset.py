"""Labels, censoring and time splits, on hand-made outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.schema import OUTCOME, conform
from training.dataset import (
    LabelConfig,
    assign_query_groups,
    group_sizes,
    label_pairs,
    time_split,
)


def _outcomes(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["query_kind", "query_id", "candidate_id", "stage", "date"])
    return conform(frame, OUTCOME)


def test_grade_is_furthest_stage_inside_horizon() -> None:
    out = _outcomes(
        [
            ("supplier", "Q1", "A", "recommended", "2024-01-10"),
            ("supplier", "Q1", "A", "meeting", "2024-02-01"),
            ("supplier", "Q1", "A", "intention", "2024-03-01"),
            ("supplier", "Q1", "A", "signed", "2024-09-01"),  # 235 days later: outside 180
            ("supplier", "Q1", "B", "recommended", "2024-01-10"),
            ("supplier", "Q1", "B", "declined", "2024-01-20"),
            ("supplier", "Q1", "C", "recommended", "2024-01-10"),
            ("supplier", "Q1", "C", "meeting", "2024-01-15"),
            ("supplier", "Q1", "C", "declined", "2024-02-15"),
        ]
    )
    labels = label_pairs(out, LabelConfig(horizon_days=180, data_end=pd.Timestamp("2025-01-01")))
    got = dict(zip(labels["candidate_id"], labels["grade"], strict=True))
    assert got == {"A": 2, "B": 0, "C": 1}
    assert not labels["censored"].any()


def test_pairs_whose_horizon_is_open_are_censored_not_negative() -> None:
    out = _outcomes(
        [
            ("investor", "P1", "A", "recommended", "2024-01-01"),
            ("investor", "P1", "B", "recommended", "2024-11-01"),
        ]
    )
    labels = label_pairs(out, LabelConfig(horizon_days=180, data_end=pd.Timestamp("2024-12-31")))
    censored = dict(zip(labels["candidate_id"], labels["censored"], strict=True))
    assert censored == {"A": False, "B": True}


def test_exposure_is_first_shown_date_and_outcomes_before_it_do_not_count() -> None:
    out = _outcomes(
        [
            ("customer", "S1", "L1", "signed", "2023-06-01"),  # before exposure: ignored
            ("customer", "S1", "L1", "recommended", "2024-01-01"),
        ]
    )
    labels = label_pairs(out, LabelConfig(data_end=pd.Timestamp("2025-12-31")))
    assert labels.loc[0, "exposed"] == pd.Timestamp("2024-01-01")
    assert labels.loc[0, "grade"] == 0


def test_time_split_orders_train_before_valid_before_test() -> None:
    rows = []
    for m in range(1, 11):
        rows.append(("supplier", f"Q{m}", "A", "recommended", f"2024-{m:02d}-01"))
    labels = label_pairs(_outcomes(rows), LabelConfig(data_end=pd.Timestamp("2026-01-01")))
    split = time_split(labels, valid_frac=0.2, test_frac=0.2)
    parts = split.part(labels["exposed"])
    assert list(parts) == ["train"] * 6 + ["valid"] * 2 + ["test"] * 2


def test_time_split_rejects_bad_fractions() -> None:
    labels = pd.DataFrame({"exposed": [pd.Timestamp("2024-01-01")]})
    with pytest.raises(ValueError, match="valid_frac and test_frac"):
        time_split(labels, valid_frac=0.6, test_frac=0.5)


def test_query_groups_and_group_sizes_sum_to_rows() -> None:
    rows = [
        ("supplier", "Q1", "A", "recommended", "2024-01-01"),
        ("supplier", "Q1", "B", "recommended", "2024-01-01"),
        ("supplier", "Q1", "C", "recommended", "2024-05-01"),
        ("investor", "P1", "A", "recommended", "2024-01-01"),
    ]
    labels = assign_query_groups(label_pairs(_outcomes(rows)))
    sizes = group_sizes(labels["qid"].to_numpy())
    assert sizes.sum() == len(labels)
    assert sorted(sizes.tolist()) == [1, 1, 2]
    with pytest.raises(ValueError, match="sorted"):
        group_sizes(np.array([1, 0, 1]))
