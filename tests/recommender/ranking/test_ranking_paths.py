"""Path contributions: credits along each row's path, summing to LightGBM's own score."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import lightgbm as lgb
import numpy as np
import pytest

from recommender.ranking.models import ServingModel
from recommender.ranking.paths import TreePaths


def _booster(rounds: int, seed: int = 3) -> tuple[lgb.Booster, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, 4))
    X[rng.random(600) < 0.1, 2] = np.nan  # missing values take the default branch
    y = 2.0 * (X[:, 0] > 0) + np.nan_to_num(X[:, 2]) + 0.1 * rng.normal(size=600)
    params = {"objective": "regression", "num_leaves": 5, "verbosity": -1, "seed": seed}
    return lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=rounds), X


def test_contributions_sum_to_the_raw_score_including_missing_values() -> None:
    booster, X = _booster(30)
    contrib = TreePaths(booster).contributions(booster, X)
    assert contrib.shape == (len(X), 5)
    np.testing.assert_allclose(contrib.sum(axis=1), booster.predict(X), atol=1e-9)


def test_a_feature_no_tree_splits_on_gets_no_credit_and_the_strong_one_leads() -> None:
    booster, X = _booster(30)
    contrib = TreePaths(booster).contributions(booster, X)
    used = booster.feature_importance(importance_type="split")
    for j in np.flatnonzero(used == 0):
        assert np.all(contrib[:, j] == 0)
    # x0 > 0 adds 2 to the target: its credit separates the two halves
    assert contrib[X[:, 0] > 0.5, 0].mean() > 0.5 > contrib[X[:, 0] < -0.5, 0].mean()


def test_one_split_tree_credits_the_step_from_root_to_leaf() -> None:
    X = np.array([[0.0], [0.0], [1.0], [1.0]] * 50)
    y = np.array([0.0, 0.0, 4.0, 4.0] * 50)
    params = {
        "objective": "regression",
        "num_leaves": 2,
        "min_data_in_leaf": 1,
        "learning_rate": 1.0,
        "boost_from_average": False,
        "verbosity": -1,
    }
    booster = lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=1)
    contrib = TreePaths(booster).contributions(booster, np.array([[0.0], [1.0]]))
    root = booster.dump_model()["tree_info"][0]["tree_structure"]["internal_value"]
    np.testing.assert_allclose(contrib[:, 1], [root, root], atol=1e-6)  # the bias: root value
    np.testing.assert_allclose(contrib[:, 0], [0.0 - root, 4.0 - root], atol=1e-6)


def test_the_table_refuses_a_different_booster() -> None:
    booster, X = _booster(30)
    other, _ = _booster(10)
    with pytest.raises(ValueError, match="trees"):
        TreePaths(booster).contributions(other, X)


def test_a_grouped_table_gives_the_sums_of_its_groups() -> None:
    booster, X = _booster(30)
    paths = TreePaths(booster)
    groups = np.zeros((5, 2))
    groups[[0, 2], 0] = 1.0  # group 0: x0 + x2
    groups[[1, 3, 4], 1] = 1.0  # group 1: x1 + x3 + bias
    contrib = paths.contributions(booster, X)
    got = paths.grouped(groups).contributions(booster, X)
    np.testing.assert_allclose(got[:, 0], contrib[:, 0] + contrib[:, 2], atol=1e-12)
    np.testing.assert_allclose(got[:, 1], contrib[:, [1, 3, 4]].sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(got.sum(axis=1), booster.predict(X), atol=1e-9)
    with pytest.raises(ValueError, match="groups need 5 rows"):
        paths.grouped(groups[:4])


@pytest.mark.parametrize("keep", [7, 50, 600])
def test_two_stage_scores_are_the_whole_models_on_the_best_by_the_first_trees(keep: int) -> None:
    booster, X = _booster(40)
    model = ServingModel("v", booster, None, ("a", "b", "c", "d"))
    rows, scores = model.best_scores(X.astype(np.float32), keep=keep, first_trees=10)
    whole = booster.predict(X.astype(np.float32))
    first = booster.predict(X.astype(np.float32), num_iteration=10)
    assert len(rows) == min(keep, len(X))
    assert list(rows) == sorted(rows)  # in the order of X
    np.testing.assert_allclose(scores, whole[rows], atol=1e-9)
    if keep < len(X):
        assert set(rows) == set(np.argsort(-first)[:keep])
        assert first[rows].min() >= np.delete(first, rows).max()
    one_stage = ServingModel("v", _booster(5)[0], None, ("a", "b", "c", "d"))
    rows, _ = one_stage.best_scores(X.astype(np.float32), keep=keep, first_trees=10)
    assert len(rows) == len(X)  # no more trees than the first stage: every row scored whole


def test_two_stage_scores_and_leaves_stay_right_under_concurrent_requests() -> None:
    """A booster keeps the iteration range of its last predict call: requests on threads
    must not mix the stages' ranges (it once gave leaf indices of -2**31 under uvicorn)."""
    booster, X = _booster(60)
    model = ServingModel("v", booster, None, ("a", "b", "c", "d"))
    X32 = X.astype(np.float32)
    want_rows, want_scores = model.best_scores(X32, keep=40, first_trees=20)
    want_leaf = model.paths.contributions(booster, X32[:50])

    def request(_: int) -> bool:
        ok = True
        for _ in range(40):
            rows, scores = model.best_scores(X32, keep=40, first_trees=20)
            leaf = model.paths.contributions(booster, X32[:50])
            ok &= bool(np.array_equal(rows, want_rows) and np.allclose(scores, want_scores))
            ok &= bool(np.allclose(leaf, want_leaf))
        return ok

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(request, range(8)))
