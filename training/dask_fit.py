"""The ranker fitted on a Dask cluster with ``lightgbm.dask`` (``chainmatch train --scheduler``).

:class:`DaskFit` has the signature of :func:`training.pipeline.fit_on_rows`, so a training
run swaps it in through :attr:`training.pipeline.TrainConfig.fit` and everything around the
fit (metrics, calibration, full path, registry, promotion guard) stays the in-process code.

The labelled rows are built in the driver (the feature context lives there), cut at query
boundaries into partitions of whole query groups and scattered to the workers; LightGBM then
trains data-parallel (``tree_learner="data"``), each worker on the partitions it holds, one
LightGBM thread per Dask thread.

Early stopping. ``lightgbm.dask`` accepts ``eval_set`` but not early stopping (LightGBM
issues #3712, #4493; with ``early_stopping_rounds`` the workers can disagree on when to stop
and hang, #6351). So the cluster trains the full ``num_boost_round`` trees and the stopping
point is chosen afterwards, in the driver, on the same validation rows and by the same rule
as :func:`lightgbm.early_stopping` in the in-process fit: the first iteration with the
lowest validation L2, looking no further than ``early_stopping_rounds`` past it. The L2 of
every iteration comes from one prediction pass (each row's leaf in every tree, summed tree
by tree), not one prediction per iteration. The model is truncated there.

Only the pointwise objectives are supported (``regression``, ``huber``: an identity link, so
the replayed prediction is the sum of leaf values and the stopping metric a plain L2);
LambdaRank's NDCG stopping rule is not reproduced here.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from training.rankers import RankerParams, row_weights

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

__all__ = ["DaskFit", "best_iteration", "group_partitions", "l2_by_iteration"]

POINTWISE = ("regression", "huber")  # identity-link objectives the L2 replay is exact for

LABEL = "__grade__"
WEIGHT = "__weight__"


def group_partitions(qid: np.ndarray, n_partitions: int) -> list[tuple[int, int]]:
    """``[start, stop)`` row ranges of about equal size that never split a query group.

    Parameters
    ----------
    qid : query ids of the rows, sorted so that each query's rows are contiguous.
    n_partitions : how many ranges are wanted, >= 1 (fewer come back when there are fewer
        query groups).
    """
    if n_partitions < 1:
        raise ValueError(f"n_partitions must be >= 1, got {n_partitions}")
    qid = np.asarray(qid)
    n = len(qid)
    if n == 0:
        return []
    starts = np.flatnonzero(np.r_[True, qid[1:] != qid[:-1]])  # first row of each group
    if len(np.unique(qid)) != len(starts):
        raise ValueError("qid must be sorted so that each query's rows are contiguous")
    targets = np.arange(1, n_partitions) * n / n_partitions
    after = np.clip(np.searchsorted(starts, targets), 0, len(starts) - 1)
    before = np.clip(after - 1, 0, len(starts) - 1)
    nearer = np.where(targets - starts[before] <= starts[after] - targets, before, after)
    cuts = np.unique(starts[nearer])  # the group start nearest to each even cut
    bounds = [0, *(int(c) for c in cuts if 0 < c < n), n]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def l2_by_iteration(booster: lgb.Booster, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    """Mean squared error of ``booster`` on ``(X, y)`` after each iteration 1..n (one pass).

    LightGBM folds the initial score (the label mean) into the first tree's leaves, so the
    raw prediction after ``i`` trees is the sum of the row's leaf values in trees ``0..i-1``.
    """
    n_trees = booster.num_trees()
    if n_trees == 0 or len(X) == 0:
        return np.zeros(0)
    leaves = np.asarray(booster.predict(X, pred_leaf=True), dtype=np.int64).reshape(len(X), -1)
    dump = booster.dump_model()["tree_info"]
    sse = np.zeros(n_trees)
    pred = np.zeros(len(X))
    y = np.asarray(y, dtype=float)
    for t, tree in enumerate(dump):
        pred += _leaf_values(tree["tree_structure"])[leaves[:, t]]
        sse[t] = float(np.sum((pred - y) ** 2))
    out: np.ndarray = sse / len(X)
    return out


def _leaf_values(node: dict[str, Any]) -> np.ndarray:
    """Leaf index -> leaf value of one dumped tree (a one-leaf tree has no ``leaf_index``)."""
    values: dict[int, float] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if "leaf_value" in n:
            values[int(n.get("leaf_index", 0))] = float(n["leaf_value"])
        else:
            stack.extend((n["left_child"], n["right_child"]))
    out = np.zeros(max(values) + 1)
    for i, v in values.items():
        out[i] = v
    return out


def best_iteration(curve: np.ndarray, patience: int) -> int:
    """The iteration (1-based) :func:`lightgbm.early_stopping` would keep on ``curve``.

    The first iteration with a strictly lower value than every earlier one is the best so
    far; the scan stops ``patience`` iterations after the best without a new one.
    """
    if patience < 1:
        raise ValueError(f"patience must be >= 1, got {patience}")
    if len(curve) == 0:
        return 0
    best, best_value = 0, float(curve[0])
    for i in range(1, len(curve)):
        if float(curve[i]) < best_value:
            best, best_value = i, float(curve[i])
        elif i - best >= patience:
            break
    return best + 1


@dataclass(frozen=True)
class DaskFit:
    """Fit the ranker on the cluster behind ``client`` (a ``fit`` for
    :class:`training.pipeline.TrainConfig`).

    Attributes
    ----------
    client : a ``distributed.Client``; its workers need chainmatch's dependencies only
        (the rows travel with the tasks, no database or file is read on a worker).
    partitions_per_worker : partitions of the training rows per worker (whole query
        groups each).
    """

    client: Client
    partitions_per_worker: int = 2

    def __call__(
        self,
        train_rows: pd.DataFrame,
        train_X: pd.DataFrame,
        valid_rows: pd.DataFrame,
        valid_X: pd.DataFrame,
        *,
        params: RankerParams,
    ) -> lgb.Booster:
        """The ranker on labelled rows (``grade``, ``qid``), stopped on the valid rows."""
        if params.objective not in POINTWISE:
            raise ValueError(
                f"lightgbm.dask training supports the pointwise objectives {POINTWISE} "
                f"(regression first), got {params.objective!r}; train in-process for LambdaRank"
            )
        booster = self._fit_all_rounds(train_rows, train_X, params)
        if len(valid_X) == 0:
            return booster
        curve = l2_by_iteration(booster, valid_X, valid_rows["grade"].to_numpy())
        best = best_iteration(curve, params.early_stopping_rounds)
        log.info(
            "dask fit: %d trees, best validation L2 %.5f at iteration %d",
            booster.num_trees(),
            float(curve[best - 1]),
            best,
        )
        return lgb.Booster(model_str=booster.model_to_string(num_iteration=best))

    def _fit_all_rounds(
        self, rows: pd.DataFrame, X: pd.DataFrame, params: RankerParams
    ) -> lgb.Booster:
        import dask.dataframe as dd
        from lightgbm.dask import DaskLGBMRegressor

        n_workers = max(1, len(self.client.scheduler_info()["workers"]))
        weight = row_weights(rows, params)
        frame = X.assign(
            **{
                LABEL: rows["grade"].to_numpy(dtype=float),
                WEIGHT: np.ones(len(rows)) if weight is None else weight,
            }
        )
        ranges = group_partitions(rows["qid"].to_numpy(), n_workers * self.partitions_per_worker)
        if not ranges:
            raise ValueError("no training rows to fit on")
        futures = self.client.scatter([frame.iloc[a:b] for a, b in ranges])  # type: ignore[no-untyped-call]
        data = dd.from_delayed(futures, meta=frame.iloc[:0], verify_meta=False)
        lgb_params = params.lgb_params(list(X.columns))
        lgb_params.pop("num_threads")  # lightgbm.dask gives each worker its Dask thread count
        model = DaskLGBMRegressor(
            client=self.client,
            n_estimators=params.num_boost_round,
            tree_learner="data",
            **lgb_params,
        )
        with warnings.catch_warnings():  # n_jobs is in every sklearn estimator's params
            warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored", UserWarning)
            model.fit(data[list(X.columns)], data[LABEL], sample_weight=data[WEIGHT])
        booster: lgb.Booster = model.booster_
        return booster
