"""Full-path evaluation: score the lists a user gets, not a re-ranking of logged pairs.

For every test query instance (query kind, query id, exposure date) the whole catalogue goes
through the serving path — candidate generation, the model, the default rules, top-k — as of
that date, and the list is scored against what happened later: the graded outcomes of that
query's pairs exposed within the label horizon from the date (censored pairs left out), every
other candidate counting as not relevant. This is the primary offline metric (training report,
``chainmatch models list``, the analysis page and the promotion gate). Re-ranking the logged
pairs of each instance stays as a secondary figure (:func:`training.pipeline.metrics_by_kind`):
it measures the earlier rule's choices as much as the model.

training/ knows no database and no serving code: the serving path comes in as a
:class:`ListRanker`, built by a :data:`RankerFactory` that recommender/ passes down (layers go
api → recommender → training → features).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from features.context import FeatureContext
from training.calibration import IsotonicCalibrator

__all__ = [
    "FullPathResult",
    "ListRanker",
    "RankerFactory",
    "full_path_metrics",
    "list_metrics",
    "logged_relevance",
    "query_instances",
]

FloatArray = npt.NDArray[np.float64]
INSTANCE_KEY = ["query_kind", "query_id", "exposed"]


class ListRanker(Protocol):
    """The serving path as a function: the top-k candidate ids of one query as of a date."""

    def top(self, kind: str, query_id: str, *, as_of: pd.Timestamp, k: int) -> Sequence[str]:
        """Candidate ids in display order (at most ``k``)."""
        ...


# (feature context, booster, calibrator) -> the serving path around that model
RankerFactory = Callable[[FeatureContext, lgb.Booster, IsotonicCalibrator | None], ListRanker]


def query_instances(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per query instance (``query_kind, query_id, exposed``) of labelled rows,
    in time order."""
    inst = rows[INSTANCE_KEY].drop_duplicates()
    return inst.sort_values(["exposed", "query_kind", "query_id"], kind="stable").reset_index(
        drop=True
    )


def logged_relevance(
    labels: pd.DataFrame, instances: pd.DataFrame, *, horizon_days: int
) -> pd.DataFrame:
    """What happened after each instance: graded pairs of the same query exposed within
    ``[exposed, exposed + horizon]``, best grade per candidate.

    Parameters
    ----------
    labels : uncensored labelled pairs (:func:`training.dataset.label_pairs`, censored rows
        removed) with ``query_kind, query_id, candidate_id, exposed, grade``.
    instances : from :func:`query_instances`.
    horizon_days : the label horizon.

    Returns
    -------
    DataFrame ``query_kind, query_id, exposed, candidate_id, grade`` with grade >= 1 only.
    """
    pos = labels.loc[
        labels["grade"] >= 1, ["query_kind", "query_id", "candidate_id", "exposed", "grade"]
    ]
    joined = instances.merge(
        pos.rename(columns={"exposed": "pair_exposed"}), on=["query_kind", "query_id"]
    )
    lag = joined["pair_exposed"] - joined["exposed"]
    inside = (lag >= pd.Timedelta(0)) & (lag <= pd.Timedelta(days=horizon_days))
    best = joined[inside].groupby([*INSTANCE_KEY, "candidate_id"], sort=False)["grade"].max()
    return best.reset_index()


def list_metrics(
    listed: Sequence[str], relevance: Mapping[str, float], *, k: int
) -> dict[str, float]:
    """NDCG@k and recall@k of one list against graded relevance over the whole catalogue.

    Gain ``2**rel - 1`` with a ``log2(rank + 1)`` discount; the ideal list is the best ``k``
    grades of ``relevance`` (candidates the list missed count there, so a list that misses
    good firms scores below 1). Relevance may be fractional (expected grades).

    Returns
    -------
    ``{"ndcg@k": ..., "recall@k": ...}``; NaN for both when nothing is relevant.
    """
    if k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k}")
    grades = np.fromiter(relevance.values(), dtype=np.float64, count=len(relevance))
    gains_all = np.exp2(grades) - 1.0
    if not len(gains_all) or gains_all.max() <= 0:
        return {f"ndcg@{k}": float("nan"), f"recall@{k}": float("nan")}
    top = list(listed)[:k]
    gains = np.array([np.exp2(relevance.get(c, 0.0)) - 1.0 for c in top], dtype=np.float64)
    disc = 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))
    dcg = float((gains * disc[: len(gains)]).sum())
    ideal = np.sort(gains_all)[::-1][:k]
    idcg = float((ideal * disc[: len(ideal)]).sum())
    n_rel = int((gains_all > 0).sum())
    hits = int((gains > 0).sum())
    return {f"ndcg@{k}": dcg / idcg, f"recall@{k}": hits / min(n_rel, k)}


@dataclass
class FullPathResult:
    """Full-path metrics and the lists they were computed on.

    Attributes
    ----------
    metrics : kind (and ``"all"``) -> metric -> value, plus ``n_queries`` (instances with a
        relevant candidate, the mean's denominator) and ``n_skipped``.
    lists : ``query_kind, query_id, exposed, rank, candidate_id`` of every list ranked.
    """

    metrics: dict[str, dict[str, float]]
    lists: pd.DataFrame


def full_path_metrics(
    ranker: ListRanker,
    instances: pd.DataFrame,
    relevance: pd.DataFrame,
    *,
    k: int = 10,
) -> FullPathResult:
    """Rank every instance through ``ranker`` and score the lists against ``relevance``.

    Parameters
    ----------
    ranker : the serving path (candidates → model → default rules → top-k).
    instances : ``query_kind, query_id, exposed`` (:func:`query_instances`).
    relevance : ``query_kind, query_id, exposed, candidate_id, grade`` (from
        :func:`logged_relevance`, or true grades of a synthetic world).
    k : cutoff.

    Instances with no relevant candidate are left out of the means and counted in
    ``n_skipped`` (as for the secondary metric).
    """
    rel_by: dict[tuple[str, str, pd.Timestamp], dict[str, float]] = {}
    for key, grp in relevance.groupby(INSTANCE_KEY, sort=False):
        kind, qid, exposed = key
        rel_by[(str(kind), str(qid), pd.Timestamp(str(exposed)))] = dict(
            zip(grp["candidate_id"].astype(str), grp["grade"].astype(float), strict=True)
        )
    per_kind: dict[str, list[dict[str, float]]] = {}
    skipped: dict[str, int] = {}
    lists: list[pd.DataFrame] = []
    for kind, qid, exposed in instances[INSTANCE_KEY].itertuples(index=False):
        as_of = pd.Timestamp(exposed)
        rel = rel_by.get((str(kind), str(qid), as_of), {})
        listed = list(ranker.top(str(kind), str(qid), as_of=as_of, k=k))
        lists.append(
            pd.DataFrame(
                {
                    "query_kind": kind,
                    "query_id": qid,
                    "exposed": as_of,
                    "rank": np.arange(1, len(listed) + 1),
                    "candidate_id": listed,
                }
            )
        )
        m = list_metrics(listed, rel, k=k)
        if np.isnan(m[f"ndcg@{k}"]):
            skipped[str(kind)] = skipped.get(str(kind), 0) + 1
            continue
        per_kind.setdefault(str(kind), []).append(m)
    return FullPathResult(_means(per_kind, skipped), _concat(lists))


def _means(
    per_kind: dict[str, list[dict[str, float]]], skipped: dict[str, int]
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    every = [m for ms in per_kind.values() for m in ms]
    groups = [("all", every, sum(skipped.values()))]
    groups += [
        (kd, per_kind.get(kd, []), skipped.get(kd, 0))
        for kd in sorted(set(per_kind) | set(skipped))
    ]
    for name, ms, n_skip in groups:
        frame = pd.DataFrame(ms)
        res = {c: float(frame[c].mean()) for c in frame.columns} if len(frame) else {}
        res["n_queries"] = float(len(ms))
        res["n_skipped"] = float(n_skip)
        out[name] = res
    return out


def _concat(lists: list[pd.DataFrame]) -> pd.DataFrame:
    cols = ["query_kind", "query_id", "exposed", "rank", "candidate_id"]
    if not lists:
        return pd.DataFrame(columns=cols)
    return pd.concat(lists, ignore_index=True)[cols]
