"""Isotonic calibration, reliability table and Brier score on hand-made examples."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from features.errors import NotFittedError
from training.calibration import IsotonicCalibrator, brier_score, reliability_table
from training.errors import InvalidInputError

# scores 1..4 with outcomes 0, 1, 0, 1: pool-adjacent-violators merges the (1, 0) pair at
# scores 2 and 3 into 0.5, so the fitted map is 1 -> 0, 2 -> 0.5, 3 -> 0.5, 4 -> 1,
# linear in between and clipped outside.
SCORES = np.array([1.0, 2.0, 3.0, 4.0])
Y = np.array([0, 1, 0, 1])


def test_fit_returns_self_and_learns_the_pooled_map() -> None:
    cal = IsotonicCalibrator()
    assert cal.fit(SCORES, Y) is cal
    p = cal.transform(np.array([0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 9.0]))
    np.testing.assert_allclose(p, [0.0, 0.0, 0.25, 0.5, 0.5, 0.5, 0.75, 1.0, 1.0])


def test_transform_equals_sklearn_isotonic_with_clip() -> None:
    rng = np.random.default_rng(0)
    s = rng.normal(size=500)
    y = (rng.random(500) < 1 / (1 + np.exp(-2 * s))).astype(int)
    ours = IsotonicCalibrator().fit(s, y)
    ref = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(s, y)
    grid = np.linspace(-5, 5, 301)
    np.testing.assert_allclose(ours.transform(grid), ref.predict(grid), atol=1e-12)
    assert np.all(np.diff(ours.transform(grid)) >= 0)


def test_dict_round_trip_through_json_keeps_the_map() -> None:
    cal = IsotonicCalibrator().fit(SCORES, Y)
    data = json.loads(json.dumps(cal.to_dict()))
    assert data["kind"] == "isotonic"
    again = IsotonicCalibrator.from_dict(data)
    grid = np.linspace(0, 5, 11)
    np.testing.assert_array_equal(again.transform(grid), cal.transform(grid))


def test_unfitted_and_bad_input_are_refused() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        IsotonicCalibrator().transform([1.0])
    with pytest.raises(InvalidInputError, match="same length"):
        IsotonicCalibrator().fit([1.0, 2.0], [0])
    with pytest.raises(InvalidInputError, match="0/1"):
        IsotonicCalibrator().fit([1.0, 2.0], [0, 2])
    with pytest.raises(InvalidInputError, match="expected kind 'isotonic'"):
        IsotonicCalibrator.from_dict({"kind": "platt"})
    with pytest.raises(InvalidInputError, match="sorted"):
        IsotonicCalibrator.from_dict({"kind": "isotonic", "x": [2, 1], "y": [0, 1]})


def test_brier_score_by_hand() -> None:
    # (0.5-0)^2 + (0.5-1)^2 = 0.5, mean 0.25;  (0.9-1)^2 + (0.2-0)^2 = 0.05, mean 0.025
    assert brier_score([0.5, 0.5], [0, 1]) == 0.25
    assert brier_score([0.9, 0.2], [1, 0]) == pytest.approx(0.025)
    assert math.isnan(brier_score([], []))


def test_reliability_table_by_hand() -> None:
    table = reliability_table([0.05, 0.15, 0.15, 1.0], [0, 0, 1, 1], n_bins=10)
    assert list(table.columns) == ["bin", "lower", "upper", "n", "mean_predicted", "observed_rate"]
    assert len(table) == 10
    assert table["n"].tolist() == [1, 1 + 1, 0, 0, 0, 0, 0, 0, 0, 1]  # p == 1 goes to the last bin
    assert table.loc[0, "observed_rate"] == 0.0
    assert table.loc[1, "mean_predicted"] == pytest.approx(0.15)
    assert table.loc[1, "observed_rate"] == 0.5
    assert table.loc[9, "observed_rate"] == 1.0
    assert math.isnan(table.loc[5, "observed_rate"])
    assert table.loc[3, "lower"] == pytest.approx(0.3)
    with pytest.raises(InvalidInputError, match="n_bins must be an integer >= 1, got 0"):
        reliability_table([0.5], [1], n_bins=0)
    with pytest.raises(InvalidInputError, match=r"\[0, 1\]"):
        reliability_table([1.5], [1])
