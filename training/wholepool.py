"""Rankers that score the whole candidate pool: the plain baseline, the ceiling, rule, random.

The product's full path (candidates → model → rules) is judged beside rankers that need no
candidate generation because they score every firm of the pool:

* ``plain``: LightGBM LambdaRank with library defaults on the obvious raw columns of the two
  firms (industry division, city, province, size, flags, founding year, distance) — what a
  competent team would try first, trained on every exposed pair;
* ``ceiling``: LightGBM fitted to the *true* relevance of a synthetic world on everything
  observable (raw columns and the catalogue's pair features) over pairs drawn from the whole
  pool — the best a model could do from the import files, with perfect labels;
  ``fit_ceiling(raw=False)`` and ``fit_ceiling(raw=False, params=…)`` are the rungs
  between: the same sample and labels read through the product's features only, and then
  with the product's hyper-parameters too;
* ``rule``: the office's manual rule (:func:`training.rankers.rule_score`);
* ``random``.

Each is wrapped as a :class:`training.fullpath.ListRanker`, so the same evaluation scores
all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from features.candidates import pool_mask
from features.catalogue import FEATURE_NAMES
from features.context import FeatureContext
from features.history import to_days
from features.pairs import pair_features
from training.dataset import group_sizes
from training.rankers import RankerParams, rule_score

__all__ = [
    "RAW_COLUMNS",
    "PoolRanker",
    "fit_ceiling",
    "fit_plain",
    "raw_columns",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
# (kind, query row, candidate rows, as-of date) -> one score per candidate
PoolScore = Callable[[str, int, IntArray, pd.Timestamp], FloatArray]

RAW_COLUMNS = [
    "q_division",
    "q_city",
    "q_province",
    "q_log_revenue",
    "q_log_employees",
    "q_srdi",
    "q_leading",
    "c_division",
    "c_city",
    "c_province",
    "c_log_revenue",
    "c_log_employees",
    "c_srdi",
    "c_high_tech",
    "c_listed",
    "c_founded",
    "c_wanbei",
    "raw_distance_km",
]
CATEGORICAL = ["q_division", "q_city", "q_province", "c_division", "c_city", "c_province"]


def _division(ctx: FeatureContext, rows: IntArray) -> FloatArray:
    """Firm's GB/T division; a park's lowest 主导产业 division."""
    out = np.asarray(ctx.division[rows], dtype=np.float64)
    parks = rows >= ctx.n_firms
    if parks.any():
        bits = np.unpackbits(
            ctx.park_divisions[rows[parks]].view(np.uint8), axis=1, bitorder="little"
        )
        has = bits.any(axis=1)
        first = np.where(has, np.argmax(bits, axis=1), -1)
        out[parks] = first
    return out


def raw_columns(ctx: FeatureContext, query: IntArray, cand: IntArray) -> pd.DataFrame:
    """The obvious raw columns of (query, candidate) entity rows (see :data:`RAW_COLUMNS`)."""
    q = np.asarray(query, dtype=np.int64)
    c = np.asarray(cand, dtype=np.int64)
    qc, cc = ctx.city[q], ctx.city[c]
    prov = np.append(ctx.city_province, -1)
    wanbei = np.append(ctx.city_wanbei, False)
    dist = np.asarray(ctx.city_dist, dtype=np.float64)
    d = np.where((qc >= 0) & (cc >= 0), dist[np.maximum(qc, 0), np.maximum(cc, 0)], np.nan)

    def lg(a: FloatArray, rows: IntArray) -> FloatArray:
        return np.log1p(np.nan_to_num(np.asarray(a, dtype=np.float64)[rows], nan=-1.0) + 1.0)

    cols: dict[str, Any] = {
        "q_division": _division(ctx, q),
        "q_city": qc,
        "q_province": prov[qc],
        "q_log_revenue": lg(ctx.revenue, q),
        "q_log_employees": lg(ctx.employees, q),
        "q_srdi": ctx.srdi[q],
        "q_leading": ctx.leading[q],
        "c_division": _division(ctx, c),
        "c_city": cc,
        "c_province": prov[cc],
        "c_log_revenue": lg(ctx.revenue, c),
        "c_log_employees": lg(ctx.employees, c),
        "c_srdi": ctx.srdi[c],
        "c_high_tech": ctx.high_tech[c],
        "c_listed": ctx.listed[c],
        "c_founded": ctx.founded[c],
        "c_wanbei": wanbei[cc],
        "raw_distance_km": d,
    }
    return pd.DataFrame({n: np.asarray(cols[n], dtype=np.float32) for n in RAW_COLUMNS})


def _rows_of(ctx: FeatureContext, rows: pd.DataFrame) -> tuple[IntArray, IntArray]:
    q = ctx.rows(rows["query_id"].to_numpy(dtype=object), what="query_id")
    c = ctx.rows(rows["candidate_id"].to_numpy(dtype=object), what="candidate_id")
    return q, c


def _kind_col(rows: pd.DataFrame) -> npt.NDArray[np.float32]:
    return np.asarray(
        pd.Categorical(rows["query_kind"], categories=["supplier", "investor", "customer"]).codes,
        dtype=np.float32,
    )


def plain_matrix(ctx: FeatureContext, rows: pd.DataFrame) -> pd.DataFrame:
    """Raw columns plus the query kind of labelled rows (``query_kind, query_id,
    candidate_id``)."""
    q, c = _rows_of(ctx, rows)
    X = raw_columns(ctx, q, c)
    X.insert(0, "kind", _kind_col(rows))
    return X


def fit_plain(
    ctx: FeatureContext,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    *,
    seed: int = 7,
    num_threads: int = 1,
) -> lgb.Booster:
    """The plain LambdaRank: library defaults on the raw columns, trained on every exposed
    (logged) pair, early-stopped on the validation window.

    ``train``/``valid`` are labelled rows sorted by ``qid`` (``grade`` the label).
    """
    params = {
        "objective": "lambdarank",
        "metric": "ndcg",
        "eval_at": [10],
        "label_gain": [float(2**g - 1) for g in range(5)],
        "seed": seed,
        "deterministic": True,
        "num_threads": num_threads,
        "verbosity": -1,
    }
    Xt = plain_matrix(ctx, train)
    dt = lgb.Dataset(
        Xt,
        label=train["grade"].to_numpy(),
        group=group_sizes(train["qid"].to_numpy()),
        categorical_feature=["kind", *CATEGORICAL],
    )
    dv = lgb.Dataset(
        plain_matrix(ctx, valid),
        label=valid["grade"].to_numpy(),
        group=group_sizes(valid["qid"].to_numpy()),
        reference=dt,
    )
    return lgb.train(
        params,
        dt,
        num_boost_round=500,
        valid_sets=[dv],
        callbacks=[lgb.early_stopping(50, verbose=False)],
    )


def ceiling_matrix(
    ctx: FeatureContext, kind: str, q: IntArray, c: IntArray, day: IntArray
) -> pd.DataFrame:
    """Everything observable about pairs: raw columns and the catalogue's pair features."""
    X = raw_columns(ctx, q, c)
    as_of = pd.to_datetime(np.datetime64("1900-01-01") + day.astype("timedelta64[D]"))
    F = pair_features(
        ctx,
        kind=kind,
        query_ids=ctx.ids[q].to_numpy(dtype=object),
        candidate_ids=ctx.ids[c].to_numpy(dtype=object),
        as_of=as_of.to_numpy(),
    )
    return pd.concat([X, F], axis=1)


CEILING_PARAMS: dict[str, Any] = {
    "objective": "regression",
    "learning_rate": 0.05,
    "num_leaves": 63,
    "min_data_in_leaf": 20,
}
CEILING_ROUNDS = 600


def fit_ceiling(
    ctx: FeatureContext,
    kind: str,
    pairs: pd.DataFrame,
    relevance: FloatArray,
    *,
    seed: int = 7,
    num_threads: int = 1,
    raw: bool = True,
    params: RankerParams | None = None,
) -> lgb.Booster:
    """LightGBM regression of the true relevance on everything observable.

    ``pairs``: ``query_id, candidate_id, exposed`` of one kind, drawn from the whole pool.
    ``raw``: False leaves out :data:`RAW_COLUMNS` (the catalogue's pair features only, what
    the product's model reads); ``params``: the product's hyper-parameters (its tree size,
    learning rate, loss, monotone constraints and round cap) instead of the ceiling's big
    trees. The rungs between the product and the ceiling are these two switches.
    """
    q, c = _rows_of(ctx, pairs)
    day = to_days(pairs["exposed"].to_numpy(), len(pairs))
    X = ceiling_matrix(ctx, kind, q, c, day)
    if not raw:
        X = X.drop(columns=RAW_COLUMNS)
    if params is None:
        lgb_params = {**CEILING_PARAMS, "seed": seed, "deterministic": True}
        rounds = CEILING_ROUNDS
    else:
        lgb_params = params.lgb_params(list(X.columns))
        rounds = params.num_boost_round
    lgb_params |= {"num_threads": num_threads, "verbosity": -1}
    data = lgb.Dataset(X, label=np.asarray(relevance, dtype=np.float64))
    return lgb.train(lgb_params, data, num_boost_round=rounds)


class PoolRanker:
    """A :class:`training.fullpath.ListRanker` scoring every firm of the kind's pool."""

    def __init__(self, ctx: FeatureContext, score: PoolScore) -> None:
        self.ctx = ctx
        self.score = score
        self._pools = {
            k: np.flatnonzero(pool_mask(ctx, k)) for k in ("supplier", "investor", "customer")
        }

    def top(self, kind: str, query_id: str, *, as_of: pd.Timestamp, k: int) -> Sequence[str]:
        """Ids of the ``k`` best-scored pool firms (ties by row)."""
        q = int(self.ctx.rows([query_id], what="query_id")[0])
        pool = self._pools[kind]
        pool = pool[pool != q]
        s = np.asarray(self.score(kind, q, pool, as_of), dtype=np.float64)
        kk = min(k, len(pool))
        best = np.argpartition(-s, kk - 1)[:kk]
        best = best[np.lexsort((best, -s[best]))]
        return list(self.ctx.ids[pool[best]].astype(str))


def plain_scorer(ctx: FeatureContext, booster: lgb.Booster) -> PoolScore:
    """Pool scores of the plain LambdaRank."""
    codes = {"supplier": 0.0, "investor": 1.0, "customer": 2.0}

    def score(kind: str, q: int, c: IntArray, as_of: pd.Timestamp) -> FloatArray:
        X = raw_columns(ctx, np.full(len(c), q, dtype=np.int64), c)
        X.insert(0, "kind", np.float32(codes[kind]))
        return np.asarray(booster.predict(X, num_threads=1), dtype=np.float64)

    return score


def ceiling_scorer(ctx: FeatureContext, boosters: dict[str, lgb.Booster]) -> PoolScore:
    """Pool scores of the per-kind ceiling models."""

    def score(kind: str, q: int, c: IntArray, as_of: pd.Timestamp) -> FloatArray:
        day = to_days(as_of, len(c))
        X = ceiling_matrix(ctx, kind, np.full(len(c), q, dtype=np.int64), c, day)
        booster = boosters[kind]
        X = X[booster.feature_name()]  # a ceiling fitted without the raw columns
        return np.asarray(booster.predict(X, num_threads=1), dtype=np.float64)

    return score


def rule_scorer(ctx: FeatureContext) -> PoolScore:
    """Pool scores of the office's manual rule."""

    def score(kind: str, q: int, c: IntArray, as_of: pd.Timestamp) -> FloatArray:
        F = pair_features(
            ctx,
            kind=kind,
            query_ids=np.full(len(c), ctx.ids[q], dtype=object),
            candidate_ids=ctx.ids[c].to_numpy(dtype=object),
            as_of=as_of,
        )
        return rule_score(F[FEATURE_NAMES])

    return score


def random_scorer(seed: int = 7) -> PoolScore:
    """Uniformly random pool scores (deterministic per query and date)."""

    def score(kind: str, q: int, c: IntArray, as_of: pd.Timestamp) -> FloatArray:
        rng = np.random.default_rng([seed, q, int(to_days(as_of, 1)[0])])
        return rng.random(len(c))

    return score
