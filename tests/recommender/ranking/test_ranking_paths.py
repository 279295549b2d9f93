"""Path contributions: credits along each row's path, summing to LightGBM's own score."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import lightgbm as lgb
import numpy as np
import pytest

from recommender.ranking.forest import CompiledForest, compile_forest
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


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("keep", [7, 50, 600])
def test_best_scores_are_the_models_scores_of_its_best_rows(keep: int, compiled: bool) -> None:
    booster, X = _booster(40)
    model = ServingModel("v", booster, None, ("a", "b", "c", "d"), compiled=compiled)
    X32 = X.astype(np.float32)
    whole = booster.predict(X32)
    # compiled trees answer LightGBM's scores, missing values included
    np.testing.assert_allclose(model.scores(X32), whole, rtol=0, atol=1e-9)
    rows, scores = model.best_scores(X32, keep=keep)
    assert len(rows) == min(keep, len(X))
    assert list(rows) == sorted(rows)  # in the order of X
    np.testing.assert_allclose(scores, whole[rows], rtol=0, atol=1e-9)
    if keep < len(X):
        assert whole[rows].min() >= np.delete(whole, rows).max()


def test_a_model_lleaves_cannot_compile_is_scored_by_lightgbm(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import lleaves

    def fail(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("no LLVM here")

    monkeypatch.setattr(lleaves.Model, "compile", fail)
    booster, X = _booster(20)
    assert compile_forest(booster) is None
    assert "could not compile" in caplog.text
    model = ServingModel("v", booster, None, ("a", "b", "c", "d"))
    np.testing.assert_allclose(model.scores(X.astype(np.float32)), booster.predict(X), atol=1e-6)


def test_compiled_trees_that_disagree_on_the_probe_rows_are_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    booster, _ = _booster(20)
    assert compile_forest(booster) is not None
    real = CompiledForest.predict
    monkeypatch.setattr(CompiledForest, "predict", lambda self, X: real(self, X) + 1e-6)
    assert compile_forest(booster) is None


def test_scores_and_leaves_stay_right_under_concurrent_requests() -> None:
    """Requests on threads share one model: compiled scores and LightGBM's leaf read
    (for the reasons) must give every thread the serial answers."""
    booster, X = _booster(60)
    model = ServingModel("v", booster, None, ("a", "b", "c", "d"))
    X32 = X.astype(np.float32)
    want_rows, want_scores = model.best_scores(X32, keep=40)
    want_leaf = model.paths.contributions(booster, X32[:50])

    def request(_: int) -> bool:
        ok = True
        for _ in range(40):
            rows, scores = model.best_scores(X32, keep=40)
            leaf = model.paths.contributions(booster, X32[:50])
            ok &= bool(np.array_equal(rows, want_rows) and np.allclose(scores, want_scores))
            ok &= bool(np.allclose(leaf, want_leaf))
        return ok

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(request, range(8)))
