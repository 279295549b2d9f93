"""Row weights: a negative drawn from the pool counts for ``unshown_weight`` of a shown pair."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.rankers import RankerParams, fit_lambdarank, row_weights


def test_row_weights_weigh_only_the_pool_negatives() -> None:
    rows = pd.DataFrame({"sampled": [False, True, True, False]})
    assert row_weights(rows, RankerParams(unshown_weight=1.0)) is None
    np.testing.assert_array_equal(
        row_weights(rows, RankerParams(unshown_weight=0.25)), [1.0, 0.25, 0.25, 1.0]
    )
    assert row_weights(pd.DataFrame({"grade": [1]}), RankerParams(unshown_weight=0.5)) is None


def test_a_lighter_unshown_negative_pulls_the_prediction_less_towards_zero() -> None:
    # the same feature value is a shown pair graded 2 and, as often, a pool negative (0):
    # the fit lands between them, nearer the shown grade when the negative weighs less
    X = pd.DataFrame({"x": np.r_[np.zeros(400), np.ones(400)]})
    y = np.r_[np.full(200, 2.0), np.zeros(200), np.zeros(400)]
    qid = np.repeat(np.arange(80), 10)
    sampled = np.r_[np.zeros(200, bool), np.ones(200, bool), np.zeros(400, bool)]
    # squared error, whose fit is the weighted mean (Huber, the default, moves by bounded steps)
    params = RankerParams(
        objective="regression", monotone=False, min_data_in_leaf=20, num_boost_round=200
    )

    def fit_at(w: float) -> float:
        weight = row_weights(pd.DataFrame({"sampled": sampled}), RankerParams(unshown_weight=w))
        booster = fit_lambdarank(X, y, qid, params=params, weight=weight)
        return float(booster.predict(pd.DataFrame({"x": [0.0]}))[0])

    full, light = fit_at(1.0), fit_at(0.25)
    assert abs(full - 1.0) < 0.05  # equal weights: the mean of 2 and 0
    assert abs(light - 2.0 / 1.25) < 0.05  # (2 * 1 + 0 * 0.25) / 1.25
