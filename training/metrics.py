"""Ranking metrics as plain functions over a long frame's columns.

Every function takes four aligned 1-D arrays, one row per (query, candidate) pair:

``relevance``
    graded relevance, non-negative integers (0 none/declined, 1 meeting ... 4 landed);
    a candidate is *relevant* when its grade is >= 1.
``scores``
    the model's scores, finite floats; higher ranks first.
``query``
    the query id of each row (any sortable values: str or int).
``item_id``
    the candidate id of each row; a (query, item_id) pair may occur only once.

Two families are offered.

*Headline* metrics (:func:`ndcg_at_k`, :func:`map_at_k`, :func:`recall_at_k`, :func:`mrr`,
:func:`evaluate`, :func:`per_query`): gain ``2**rel - 1`` with a ``log2(rank + 1)`` discount,
ties in score broken by candidate id ascending, and queries with no relevant candidate left
out of the mean and counted in :attr:`MetricResult.n_skipped`. ``MAP@k`` divides by
``min(k, number of relevant candidates)`` so that a perfect ranking scores 1.0.

*trec_eval* metrics (:func:`trec_per_query`, :func:`trec_eval_metrics`): exactly what
``trec_eval``/``pytrec_eval`` report for ``ndcg_cut_k``, ``map_cut_k``, ``map``, ``recall_k``
and ``recip_rank`` when every row is both a qrel and a run line: linear gain ``rel``, ties
broken by document id *descending* compared as strings (trec_eval sorts by score
descending, then ``strcmp`` on docno descending), queries with no relevant item score 0 and
count in the mean, ``map`` divides by all relevant items of the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from training.errors import InvalidInputError

__all__ = [
    "MetricResult",
    "evaluate",
    "map_at_k",
    "mrr",
    "ndcg_at_k",
    "per_query",
    "recall_at_k",
    "trec_eval_metrics",
    "trec_measures",
    "trec_per_query",
]

FloatArray = npt.NDArray[np.float64]


def trec_measures(k: int = 10) -> set[str]:
    """The pytrec_eval measure names :func:`trec_eval_metrics` reproduces for cutoff ``k``."""
    return {f"ndcg_cut_{k}", f"map_cut_{k}", "map", f"recall_{k}", "recip_rank"}


@dataclass(frozen=True)
class MetricResult:
    """A metric's mean over queries.

    Attributes
    ----------
    value : mean over the evaluated queries; NaN when none was evaluated.
    n_queries : number of queries in the mean.
    n_skipped : queries left out because none of their candidates is relevant.
    """

    value: float
    n_queries: int
    n_skipped: int


@dataclass(frozen=True)
class _Ranked:
    """Rows sorted by (query, rank); per-row and per-query arrays."""

    queries: npt.NDArray[Any]  # unique query values, sorted
    q: npt.NDArray[np.intp]  # query index of each ranked row
    pos: npt.NDArray[np.intp]  # 0-based rank inside the query
    rel: FloatArray  # relevance in rank order
    ideal_rel: FloatArray  # relevance sorted descending inside each query
    n_items: npt.NDArray[np.intp]
    n_relevant: npt.NDArray[np.intp]


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InvalidInputError(f"k must be an integer >= 1, got {k!r}")
    return int(k)


def _rank(
    relevance: npt.ArrayLike,
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    item_id: npt.ArrayLike,
    *,
    trec: bool,
) -> _Ranked:
    arrays = {
        "relevance": np.asarray(relevance),
        "scores": np.asarray(scores),
        "query": np.asarray(query),
        "item_id": np.asarray(item_id),
    }
    for name, arr in arrays.items():
        if arr.ndim != 1:
            raise InvalidInputError(f"{name} must be 1-D, got shape {arr.shape}")
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise InvalidInputError(f"arrays must have the same length, got {lengths}")
    try:
        rel = arrays["relevance"].astype(np.float64)
        sc = arrays["scores"].astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"relevance and scores must be numeric: {exc}") from exc
    if not np.all(np.isfinite(sc)):
        raise InvalidInputError(
            f"scores must be finite, got {int((~np.isfinite(sc)).sum())} NaN/inf"
        )
    bad = ~np.isfinite(rel) | (rel < 0) | (rel != np.round(rel))
    if bad.any():
        raise InvalidInputError(
            f"relevance must be integers >= 0, got {arrays['relevance'][bad][:5].tolist()}"
        )
    ids = arrays["item_id"].astype(str) if trec else arrays["item_id"]
    queries, q_codes = np.unique(arrays["query"], return_inverse=True)
    _, id_codes = np.unique(ids, return_inverse=True)
    q_codes = q_codes.ravel()
    id_codes = id_codes.ravel()

    by_pair = np.lexsort((id_codes, q_codes))
    dup = (np.diff(q_codes[by_pair]) == 0) & (np.diff(id_codes[by_pair]) == 0)
    if dup.any():
        first = by_pair[1:][dup][0]
        raise InvalidInputError(
            f"each (query, item_id) pair may occur once; "
            f"({arrays['query'][first]!r}, {arrays['item_id'][first]!r}) repeats"
        )

    tie_key = -id_codes if trec else id_codes
    order = np.lexsort((tie_key, -sc, q_codes))
    ideal = np.lexsort((-rel, q_codes))
    q = q_codes[order]
    n_items = np.bincount(q, minlength=len(queries))
    starts = np.cumsum(n_items) - n_items
    pos = np.arange(len(q)) - np.repeat(starts, n_items)
    n_relevant = np.bincount(q_codes, weights=(rel >= 1), minlength=len(queries))
    return _Ranked(
        queries=queries,
        q=q,
        pos=pos,
        rel=rel[order],
        ideal_rel=rel[ideal],
        n_items=n_items,
        n_relevant=n_relevant.astype(np.intp),
    )


def _sum(r: _Ranked, weights: FloatArray) -> FloatArray:
    return np.bincount(r.q, weights=weights, minlength=len(r.queries)).astype(np.float64)


def _div(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den, 0 where den is 0."""
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _scores(r: _Ranked, *, k: int | None, linear_gain: bool) -> dict[str, FloatArray]:
    """Per-query DCG ratio, AP sums, hits and reciprocal rank, cut at ``k`` (None: no cut)."""
    in_k = np.ones(len(r.pos), dtype=bool) if k is None else r.pos < k
    discount = 1.0 / np.log2(r.pos + 2.0)
    if linear_gain:
        gain, ideal_gain = r.rel, r.ideal_rel
    else:
        gain, ideal_gain = np.exp2(r.rel) - 1.0, np.exp2(r.ideal_rel) - 1.0
    dcg = _sum(r, gain * discount * in_k)
    idcg = _sum(r, ideal_gain * discount * in_k)

    relevant = (r.rel >= 1).astype(np.float64)
    cum = np.cumsum(relevant)
    before = np.concatenate(([0.0], cum))[np.repeat(np.cumsum(r.n_items) - r.n_items, r.n_items)]
    hits_so_far = cum - before  # relevant rows at or above this rank, inside the query
    precision = hits_so_far / (r.pos + 1.0)
    first_hit = relevant * (hits_so_far == 1)
    return {
        "ndcg": _div(dcg, idcg),
        "ap_sum": _sum(r, precision * relevant * in_k),
        "hits": _sum(r, relevant * in_k),
        "rr": _sum(r, first_hit * in_k / (r.pos + 1.0)),
    }


def per_query(
    relevance: npt.ArrayLike,
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    item_id: npt.ArrayLike,
    *,
    k: int,
) -> pd.DataFrame:
    """Headline metrics of every query.

    Parameters
    ----------
    relevance, scores, query, item_id : aligned 1-D arrays (see the module docstring).
    k : cutoff, an integer >= 1.

    Returns
    -------
    DataFrame indexed by the sorted unique query values (index name ``query``) with columns
    ``n_items``, ``n_relevant``, ``ndcg@k``, ``map@k``, ``recall@k`` and ``mrr`` (reciprocal
    rank of the first relevant candidate in the whole list). The metric columns are NaN for
    queries with no relevant candidate.
    """
    kk = _check_k(k)
    r = _rank(relevance, scores, query, item_id, trec=False)
    s = _scores(r, k=kk, linear_gain=False)
    full = _scores(r, k=None, linear_gain=False)
    n_rel = r.n_relevant.astype(np.float64)
    has = n_rel > 0
    out = pd.DataFrame(
        {
            "n_items": r.n_items,
            "n_relevant": r.n_relevant,
            f"ndcg@{kk}": s["ndcg"],
            f"map@{kk}": _div(s["ap_sum"], np.minimum(n_rel, float(kk))),
            f"recall@{kk}": _div(s["hits"], n_rel),
            "mrr": full["rr"],
        },
        index=pd.Index(r.queries, name="query"),
    )
    out.loc[~has, out.columns[2:]] = np.nan
    return out


def _mean(values: pd.Series) -> MetricResult:
    kept = values.dropna()
    value = float(kept.mean()) if len(kept) else float("nan")
    return MetricResult(value=value, n_queries=len(kept), n_skipped=len(values) - len(kept))


def evaluate(
    relevance: npt.ArrayLike,
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    item_id: npt.ArrayLike,
    *,
    k: int,
) -> dict[str, MetricResult]:
    """All headline metrics at once: keys ``ndcg@k``, ``map@k``, ``recall@k``, ``mrr``."""
    table = per_query(relevance, scores, query, item_id, k=k)
    return {name: _mean(table[name]) for name in table.columns[2:]}


def ndcg_at_k(
    relevance: npt.ArrayLike,
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    item_id: npt.ArrayLike,
    *,
    k: int,
) -> MetricResult:
    """Mean NDCG@k, gain ``2**rel - 1``, ties by candidate id ascending.

    Parameters
    ----------
    relevance, scores, query, item_id : aligned 1-D arrays (see the module docstring).
    k : cutoff, an integer >= 1; a query with fewer than ``k`` candidates uses them all.

    Returns
    -------
    MetricResult
        Mean over queries with at least one relevant candidate; the others are counted in
        ``n_skipped``.
    """
    return _mean(per_query(relevance, scores, query, item_id, k=k)[f"ndcg@{k}"])


def map_at_k(
    relevance: npt.ArrayLike,
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    item_id: npt.ArrayLike,
    *,
    k: int,
) -> MetricResult:
    """Mean average precision at k: sum of precision@i over relevant ranks i <= k,
    divided by ``min(k, relevant candidates)``; skipped queries as in :func:`ndcg_at_k`."""
    return _mean(per_query(relevance, scores, query, item_id, k=k)[f"map@{k}"])


def recall_at_k(
    relevance: npt.ArrayLike,
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    item_id: npt.ArrayLike,
    *,
    k: int,
) -> MetricResult:
    """Mean share of a query's relevant candidates ranked in the top k."""
    return _mean(per_query(relevance, scores, query, item_id, k=k)[f"recall@{k}"])


def mrr(
    relevance: npt.ArrayLike,
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    item_id: npt.ArrayLike,
    *,
    k: int | None = None,
) -> MetricResult:
    """Mean reciprocal rank of the first relevant candidate.

    Parameters
    ----------
    k : if given, a first relevant candidate below rank ``k`` counts 0 (MRR@k); by default
        the whole list counts.
    """
    kk = None if k is None else _check_k(k)
    r = _rank(relevance, scores, query, item_id, trec=False)
    rr = pd.Series(_scores(r, k=kk, linear_gain=False)["rr"])
    rr[r.n_relevant == 0] = np.nan
    return _mean(rr)


def trec_per_query(
    relevance: npt.ArrayLike,
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    item_id: npt.ArrayLike,
    *,
    k: int = 10,
) -> pd.DataFrame:
    """trec_eval's per-query values, named as pytrec_eval names them.

    Parameters
    ----------
    relevance, scores, query, item_id : aligned 1-D arrays; every row is taken as both a
        qrel (``relevance``) and a run line (``scores``). Ids are compared as strings.
    k : cutoff for ``ndcg_cut_k``, ``map_cut_k`` and ``recall_k``.

    Returns
    -------
    DataFrame indexed by query with columns ``ndcg_cut_k``, ``map_cut_k``, ``map``,
    ``recall_k``, ``recip_rank``; queries without a relevant item have 0 everywhere.
    """
    kk = _check_k(k)
    r = _rank(relevance, scores, query, item_id, trec=True)
    cut = _scores(r, k=kk, linear_gain=True)
    full = _scores(r, k=None, linear_gain=True)
    n_rel = r.n_relevant.astype(np.float64)
    return pd.DataFrame(
        {
            f"ndcg_cut_{kk}": cut["ndcg"],
            f"map_cut_{kk}": _div(cut["ap_sum"], n_rel),
            "map": _div(full["ap_sum"], n_rel),
            f"recall_{kk}": _div(cut["hits"], n_rel),
            "recip_rank": full["rr"],
        },
        index=pd.Index(r.queries, name="query"),
    )


def trec_eval_metrics(
    relevance: npt.ArrayLike,
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    item_id: npt.ArrayLike,
    *,
    k: int = 10,
) -> dict[str, float]:
    """trec_eval's means over all queries (see :func:`trec_per_query`); NaN when empty."""
    table = trec_per_query(relevance, scores, query, item_id, k=k)
    return {
        name: float(table[name].mean()) if len(table) else float("nan") for name in table.columns
    }
