"""Training on a Dask LocalCluster (``lightgbm.dask``): the stopping rule replayed after the
fit matches LightGBM's early stopping, and a cluster-trained run is registered, measured
and gated like an in-process one, with scores that agree with the in-process model's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from scipy.stats import spearmanr

from features.catalogue import FEATURE_NAMES
from features.reference import Reference, load_reference
from training.dask_fit import DaskFit, best_iteration, group_partitions, l2_by_iteration
from training.frames import TrainingFrames, frames_from_world
from training.pipeline import TrainConfig, prepare
from training.rankers import RankerParams
from training.registry import ModelRegistry
from training.run import RunSummary, run_training
from training.world import generate_world


def test_group_partitions_cut_only_between_query_groups() -> None:
    qid = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])
    # each cut is the group start nearest to an even split (5; 3.3 and 6.7)
    assert group_partitions(qid, 2) == [(0, 5), (5, 10)]
    assert group_partitions(qid, 3) == [(0, 3), (3, 6), (6, 10)]
    assert group_partitions(qid, 1) == [(0, 10)]
    # more partitions than groups: one per group at most
    assert group_partitions(np.array([4, 4, 9]), 5) == [(0, 2), (2, 3)]
    assert group_partitions(np.array([], dtype=int), 3) == []
    with pytest.raises(ValueError, match="contiguous"):
        group_partitions(np.array([1, 2, 1]), 2)


def test_best_iteration_follows_the_early_stopping_rule() -> None:
    curve = np.array([5.0, 4.0, 4.0, 3.0, 3.5, 3.2, 3.1, 2.0])
    assert best_iteration(curve, 3) == 4  # 3.0 at iteration 4, then 3 rounds without better
    assert best_iteration(curve, 4) == 8  # patience long enough to reach 2.0
    assert best_iteration(np.array([1.0, 1.0, 1.0]), 1) == 1  # ties are no improvement
    assert best_iteration(np.zeros(0), 5) == 0


def _regression_data(seed: int) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(3000, 4)), columns=["a", "b", "c", "d"])
    y = 2 * X["a"].to_numpy() - X["b"].to_numpy() ** 2 + rng.normal(scale=1.5, size=len(X))
    return X[:2000], y[:2000], X[2000:].reset_index(drop=True), y[2000:]


def test_l2_curve_and_replayed_stop_equal_lightgbm_early_stopping() -> None:
    X, y, Xv, yv = _regression_data(1)
    params = {"objective": "regression", "learning_rate": 0.2, "num_leaves": 15, "seed": 1,
              "deterministic": True, "verbosity": -1, "num_threads": 1}  # fmt: skip
    record: dict[str, dict[str, list[float]]] = {}
    full = lgb.train(
        params,
        lgb.Dataset(X, y),
        num_boost_round=120,
        valid_sets=[lgb.Dataset(Xv, yv)],
        callbacks=[lgb.record_evaluation(record)],
    )
    curve = l2_by_iteration(full, Xv, yv)
    np.testing.assert_allclose(curve, record["valid_0"]["l2"], rtol=1e-6)
    for i in (1, 17, 120):
        direct = np.mean((full.predict(Xv, num_iteration=i) - yv) ** 2)
        assert curve[i - 1] == pytest.approx(direct, rel=1e-9)
    stopped = lgb.train(
        params,
        lgb.Dataset(X, y),
        num_boost_round=120,
        valid_sets=[lgb.Dataset(Xv, yv)],
        callbacks=[lgb.early_stopping(10, verbose=False)],
    )
    assert 1 < stopped.best_iteration < 120  # the rule had something to stop
    assert best_iteration(curve, 10) == stopped.best_iteration


# -- on a LocalCluster --------------------------------------------------------------------
N_FIRMS = 2000


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def frames(reference: Reference) -> TrainingFrames:
    return frames_from_world(generate_world(reference, n_firms=N_FIRMS, seed=7), reference)


@pytest.fixture(scope="module")
def runs(
    client: Client,
    frames: TrainingFrames,
    reference: Reference,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[ModelRegistry, RunSummary, RunSummary]:
    """An in-process run promoted to production, then a cluster run gated against it."""
    root = tmp_path_factory.mktemp("dask_train")
    registry = ModelRegistry(root / "models")
    config, reports = TrainConfig(), root / "reports"
    local = run_training(
        frames, reference=reference, registry=registry, report_dir=reports, config=config,
        promote_if_better=True,
    )  # fmt: skip
    cluster = run_training(
        frames, reference=reference, registry=registry, report_dir=reports,
        config=replace(config, fit=DaskFit(client)), promote_if_better=True, tolerance=0.05,
    )  # fmt: skip
    return registry, local, cluster


def _model_param(registry: ModelRegistry, version: str, name: str) -> str:
    """A parameter as LightGBM wrote it into the model text (``[name: value]``)."""
    text = registry.load(version).booster.model_to_string()
    lines = [ln for ln in text.splitlines() if ln.startswith(f"[{name}: ")]
    assert len(lines) == 1, f"{name} not in the model text of {version}"
    return lines[0][len(name) + 3 : -1]


@pytest.mark.slow
def test_cluster_trained_model_is_registered_with_the_same_metrics_and_gate(
    runs: tuple[ModelRegistry, RunSummary, RunSummary],
) -> None:
    registry, local, cluster = runs
    assert cluster.version != local.version
    assert [i.version for i in registry.list()] == [local.version, cluster.version]
    meta = registry.show(cluster.version).metadata
    assert list(meta.feature_names) == FEATURE_NAMES
    assert meta.params["objective"] == RankerParams().objective
    assert _model_param(registry, cluster.version, "monotone_constraints") == _model_param(
        registry, local.version, "monotone_constraints"
    )
    assert _model_param(registry, cluster.version, "tree_learner") == "data"
    # the same comparisons, per kind and metric, as the in-process run, plus production's
    assert set(cluster.metrics) == set(local.metrics) | {"production"}
    for model, per_kind in local.metrics.items():
        assert set(cluster.metrics[model]) == set(per_kind)
        for kind, values in per_kind.items():
            assert set(cluster.metrics[model][kind]) == set(values)
    # the guard compared it with the in-process model, now in production
    assert cluster.production_before == local.version
    assert cluster.production_status == "compared"
    assert cluster.decision.production_ndcg == pytest.approx(
        cluster.metrics["production"]["all"]["ndcg@10"]
    )
    assert cluster.decision.production_ndcg == pytest.approx(local.headline())
    assert cluster.promoted == (cluster.headline() >= local.headline() - 0.05)
    assert cluster.production_after == (cluster.version if cluster.promoted else local.version)
    # the stopping point was chosen on the validation window, not fixed at the cap
    trees = registry.load(cluster.version).booster.num_trees()
    assert 1 <= trees <= RankerParams().num_boost_round


@pytest.mark.slow
def test_cluster_model_scores_agree_with_the_in_process_model(
    runs: tuple[ModelRegistry, RunSummary, RunSummary],
    frames: TrainingFrames,
    reference: Reference,
) -> None:
    registry, local, cluster = runs
    prepared = prepare(frames.context(reference), frames.outcomes, TrainConfig())
    _, X = prepared.subset("test", observed_only=True)
    a = registry.load(local.version).booster.predict(X)
    b = registry.load(cluster.version).booster.predict(X)
    assert len(X) > 200
    assert spearmanr(a, b).statistic > 0.9
    assert abs(cluster.headline() - local.headline()) < 0.05


def test_dask_fit_refuses_lambdarank(tmp_path: Path) -> None:
    empty = pd.DataFrame({"grade": [], "qid": []})
    fit = DaskFit(client=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="regression"):
        fit(empty, empty, empty, empty, params=RankerParams(objective="lambdarank"))
