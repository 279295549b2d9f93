"""Prepared.with_train_share: the learning curve's cut of the training data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.pipeline import Prepared

KEY = ["query_kind", "query_id", "exposed"]


def _prepared() -> Prepared:
    rows = []
    for kind, n in (("supplier", 40), ("investor", 20)):
        for q in range(n):
            part = "train" if q < n * 0.6 else ("valid" if q < n * 0.8 else "test")
            for c in range(3):  # three candidate rows per query instance
                rows.append((kind, f"{kind[0]}{q}", f"c{c}", pd.Timestamp("2024-01-01"), part))
    frame = pd.DataFrame(rows, columns=[*KEY[:2], "candidate_id", "exposed", "part"])
    frame["uid"] = np.arange(len(frame), dtype=float)
    X = pd.DataFrame({"uid": frame["uid"]})
    return Prepared(frame, X, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-01"))


def _instances(p: Prepared, part: str) -> set[tuple[str, str]]:
    r = p.rows[p.rows["part"] == part]
    return set(zip(r["query_kind"], r["query_id"], strict=True))


def test_a_share_keeps_whole_instances_per_kind_and_leaves_valid_and_test_alone() -> None:
    full = _prepared()
    half = full.with_train_share(0.5, seed=7)
    quarter = full.with_train_share(0.25, seed=7)
    kinds = pd.Series([k for k, _ in _instances(half, "train")]).value_counts()
    assert kinds.to_dict() == {"supplier": 12, "investor": 6}  # half of 24 and of 12
    assert _instances(quarter, "train") < _instances(half, "train") < _instances(full, "train")
    counts = half.rows[half.rows["part"] == "train"].groupby(["query_kind", "query_id"]).size()
    assert (counts == 3).all()  # every row of a kept instance
    for part in ("valid", "test"):
        assert _instances(half, part) == _instances(full, part)
    np.testing.assert_array_equal(half.X["uid"].to_numpy(), half.rows["uid"].to_numpy())
    assert _instances(full.with_train_share(0.5, seed=8), "train") != _instances(half, "train")
    assert full.with_train_share(1.0, seed=7) is full


def test_a_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="share"):
        _prepared().with_train_share(0.0, seed=7)
