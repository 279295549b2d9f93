"""Ranking quality on a synthetic world with known truth: the product beside its yardsticks.

:func:`evaluate_world` trains the product's model on a world's import files exactly as
``chainmatch train`` does, then ranks every test query of the time split over the whole
catalogue and scores each list against the world's *true* expected grades
(:func:`training.world.true_grades_for_query`, every eligible firm of the pool, unlabelled
firms included). Beside the product's full path it scores:

* ``full_path``: candidates → model → default rules → top-k (what a user gets);
* rule-by-rule costs: the same model with one rule switched off (the caller's factories);
* ``plain``: LambdaRank on the raw columns over the whole pool (:mod:`training.wholepool`);
* ``ceiling``: LightGBM fitted to the true grades on everything observable, whole pool;
* the rungs from the product's model up to the ceiling, each changing one thing:
  ``true_labels`` (the product's own training rows and model, every label replaced by the
  row's true grade: what label noise costs), ``ceiling_small`` (the ceiling's pool pairs and
  true grades, the product's features and hyper-parameters: what the logged sample costs),
  ``ceiling_features`` (the same with the ceiling's big trees: what capacity costs) and
  ``ceiling`` (plus the raw columns);
* ``rule``, ``random`` over the whole pool, and ``oracle`` (the true grades themselves);
* candidate recall: share of the true top-10 inside the first N generated candidates.

The serving path arrives as :data:`training.fullpath.RankerFactory` objects (recommender/
builds them), so this module stays below the serving layer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.candidates import CandidateGenerator
from features.context import FeatureContext
from features.reference import Reference
from training import wholepool
from training.frames import frames_from_world
from training.fullpath import (
    FullPathResult,
    ListRanker,
    RankerFactory,
    full_path_metrics,
    query_instances,
)
from training.pipeline import Prepared, TrainConfig, TrainResult, prepare, train_and_evaluate
from training.rankers import RankerParams
from training.world import World, true_grades_for_query

__all__ = [
    "QualityReport",
    "evaluate_world",
    "true_grades_of_rows",
    "truth_relevance",
    "with_true_grades",
]

FloatArray = npt.NDArray[np.float64]
BASELINES = (
    "plain",
    "ceiling",
    "ceiling_features",
    "ceiling_small",
    "true_labels",
    "rule",
    "random",
    "oracle",
)
# the ceiling and the rungs down to the product's model: name -> (raw columns too, the
# product's hyper-parameters); all are fitted on the same pool pairs and true grades
CEILINGS = {
    "ceiling": (True, False),
    "ceiling_features": (False, False),
    "ceiling_small": (False, True),
}
RECALL_AT = (500, 1000, 2000)


@dataclass
class QualityReport:
    """Figures of one world.

    Attributes
    ----------
    ndcg : ranker -> kind (``all`` too) -> NDCG@k against the true grades.
    recall : kind -> N -> mean share of the true top-10 among the first N candidates.
    n_queries : kind -> test queries scored.
    seconds : step -> wall time.
    secondary : the training run's logged-pair metrics (model -> kind -> metric).
    """

    ndcg: dict[str, dict[str, float]] = field(default_factory=dict)
    recall: dict[str, dict[int, float]] = field(default_factory=dict)
    n_queries: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    secondary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "ndcg": self.ndcg,
            "recall": {k: {str(n): v for n, v in r.items()} for k, r in self.recall.items()},
            "n_queries": self.n_queries,
            "seconds": self.seconds,
        }


def truth_relevance(world: World, instances: pd.DataFrame) -> pd.DataFrame:
    """True expected grade of every eligible firm for every query instance."""
    parts = []
    for kind, qid, exposed in instances[["query_kind", "query_id", "exposed"]].itertuples(
        index=False
    ):
        ids, grade = true_grades_for_query(
            world.truth, str(kind), str(qid), pd.Timestamp(exposed).date()
        )
        keep = ids != str(qid)
        parts.append(
            pd.DataFrame(
                {
                    "query_kind": kind,
                    "query_id": qid,
                    "exposed": exposed,
                    "candidate_id": ids[keep],
                    "grade": grade[keep],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _ndcg(res: FullPathResult, k: int) -> dict[str, float]:
    return {kind: float(m.get(f"ndcg@{k}", float("nan"))) for kind, m in res.metrics.items()}


def _recall(ctx: FeatureContext, relevance: pd.DataFrame) -> dict[str, dict[int, float]]:
    gen = CandidateGenerator(ctx, cap=max(RECALL_AT))
    out: dict[str, dict[int, list[float]]] = {}
    for key, grp in relevance.groupby(["query_kind", "query_id", "exposed"], sort=False):
        kind, qid, exposed = (str(v) for v in key)
        best = set(grp.nlargest(10, "grade")["candidate_id"].astype(str))
        got = gen.generate(kind, qid, n=max(RECALL_AT), as_of=pd.Timestamp(exposed))
        got = got.astype(str)
        for n in RECALL_AT:
            share = len(best & set(got[:n])) / max(len(best), 1)
            out.setdefault(kind, {}).setdefault(n, []).append(share)
    return {kd: {n: float(np.mean(v)) for n, v in r.items()} for kd, r in out.items()}


def _ceiling_pairs(
    world: World, train_rows: pd.DataFrame, *, pairs_per_query: int, seed: int
) -> dict[str, pd.DataFrame]:
    """Per kind: up to 300 training query instances × random pool firms, true grades."""
    rng = np.random.default_rng(seed)
    inst = query_instances(train_rows)
    out = {}
    for kind, grp in inst.groupby("query_kind", sort=True):
        some = grp.sample(min(len(grp), 300), random_state=seed)
        parts = []
        for _, qid, exposed in some.itertuples(index=False):
            ids, grade = true_grades_for_query(
                world.truth, str(kind), str(qid), pd.Timestamp(exposed).date()
            )
            pick = rng.choice(len(ids), min(pairs_per_query, len(ids)), replace=False)
            parts.append(
                pd.DataFrame(
                    {
                        "query_id": qid,
                        "candidate_id": ids[pick],
                        "exposed": exposed,
                        "grade": grade[pick],
                    }
                )
            )
        pairs = pd.concat(parts, ignore_index=True)
        out[str(kind)] = pairs[pairs["query_id"] != pairs["candidate_id"]].reset_index(drop=True)
    return out


def _ceilings(
    ctx: FeatureContext,
    pairs: Mapping[str, pd.DataFrame],
    wanted: Sequence[str],
    *,
    params: RankerParams,
    seed: int,
) -> dict[str, wholepool.PoolScore]:
    """The ceiling and its rungs (:data:`CEILINGS`) fitted on the same pool pairs."""
    out = {}
    for name in wanted:
        raw, own = CEILINGS[name]
        boosters = {
            kind: wholepool.fit_ceiling(
                ctx,
                kind,
                p,
                p["grade"].to_numpy(dtype=float),
                seed=seed,
                raw=raw,
                params=params if own else None,
            )
            for kind, p in pairs.items()
        }
        out[name] = wholepool.ceiling_scorer(ctx, boosters)
    return out


def true_grades_of_rows(world: World, rows: pd.DataFrame) -> FloatArray:
    """The true expected grade of each labelled row (``query_kind, query_id, candidate_id,
    exposed``), as of its date; 0 for a candidate outside the query's eligible pool.

    Looked up one query instance at a time: :func:`truth_relevance` would hold the whole
    eligible pool of every training query at once."""
    out = np.zeros(len(rows), dtype=np.float64)
    cands = rows["candidate_id"].astype(str).to_numpy()
    groups = rows.groupby(["query_kind", "query_id", "exposed"], sort=False).indices
    for key, at in groups.items():
        kind, qid, exposed = cast(tuple[Any, Any, Any], key)
        idx = np.asarray(at, dtype=np.int64)
        ids, grade = true_grades_for_query(
            world.truth, str(kind), str(qid), pd.Timestamp(exposed).date()
        )
        pos = pd.Index(ids.astype(str)).get_indexer(cands[idx])  # eligible ids are unique
        out[idx] = np.where(pos >= 0, grade[pos], 0.0)
    return out


def with_true_grades(world: World, prepared: Prepared) -> Prepared:
    """The same labelled rows and features, each training and validation row's grade
    replaced by its true one; test rows keep their logged grades (the training report's
    logged-pair metrics need whole grades)."""
    rows = prepared.rows
    fit = np.flatnonzero(rows["part"].to_numpy() != "test")
    grade = rows["grade"].to_numpy(dtype=np.float64).copy()
    grade[fit] = true_grades_of_rows(world, rows.iloc[fit])
    return replace(prepared, rows=rows.assign(grade=grade))


def _true_labels(
    world: World, ctx: FeatureContext, prepared: Prepared, config: TrainConfig, path: RankerFactory
) -> ListRanker:
    """The serving path around the product's model trained on true grades of its own rows."""
    result = train_and_evaluate(with_true_grades(world, prepared), config)
    return path(ctx, result.booster, result.calibrator)


def evaluate_world(
    world: World,
    reference: Reference,
    *,
    factories: Mapping[str, RankerFactory],
    config: TrainConfig | None = None,
    baselines: Sequence[str] = BASELINES,
    recall: bool = True,
    k: int = 10,
    ceiling_pairs_per_query: int = 300,
    train_shares: Sequence[float] = (1.0,),
) -> QualityReport:
    """Train on the world like ``chainmatch train`` and score every ranker against the truth.

    Parameters
    ----------
    world : a synthetic world (its import files and its truth).
    reference : reference data.
    factories : name -> serving path around the trained model (``full_path`` with the
        default rules, plus variants with one rule off to price each rule).
    config : training configuration (default: the product's).
    baselines : which whole-pool yardsticks to score (:data:`BASELINES`).
    recall : also measure candidate recall of the true top-10.
    k : cutoff.
    ceiling_pairs_per_query : random pool firms per training query the ceiling learns from.
    train_shares : train the product's model on each of these shares of the training query
        instances (:meth:`training.pipeline.Prepared.with_train_share`; the world is
        prepared once, the yardsticks and the test queries keep all of it): a learning
        curve. Each factory's figures for a share below 1 are under ``"{name}@{share}"``;
        ``report.secondary`` and ``seconds["train"]`` are the last share's.
    """
    config = config or TrainConfig()
    report = QualityReport()
    t0 = time.perf_counter()
    frames = frames_from_world(world, reference)
    ctx = frames.context(reference)
    prepared: Prepared = prepare(ctx, frames.outcomes, config)
    test, _ = prepared.subset("test", observed_only=True)
    instances = query_instances(test)
    relevance = truth_relevance(world, instances)
    report.n_queries = {str(kd): int(n) for kd, n in instances.groupby("query_kind").size().items()}
    for share in train_shares:
        result: TrainResult = train_and_evaluate(
            prepared.with_train_share(share, config.seed), config
        )
        report.secondary = result.metrics
        report.seconds["train"] = time.perf_counter() - t0
        for name, factory in factories.items():
            key = name if share == 1.0 else f"{name}@{share}"
            t = time.perf_counter()
            ranker = factory(ctx, result.booster, result.calibrator)
            report.ndcg[key] = _ndcg(full_path_metrics(ranker, instances, relevance, k=k), k)
            report.seconds[key] = time.perf_counter() - t
        t0 = time.perf_counter()
    if "true_labels" in baselines and "full_path" in factories:
        t = time.perf_counter()
        ranker = _true_labels(world, ctx, prepared, config, factories["full_path"])
        report.ndcg["true_labels"] = _ndcg(full_path_metrics(ranker, instances, relevance, k=k), k)
        report.seconds["true_labels"] = time.perf_counter() - t
    train_obs, _ = prepared.subset("train", observed_only=True)
    valid_obs, _ = prepared.subset("valid", observed_only=True)
    scorers: dict[str, wholepool.PoolScore] = {}
    if "plain" in baselines:
        plain = wholepool.fit_plain(ctx, train_obs, valid_obs, seed=config.seed)
        scorers["plain"] = wholepool.plain_scorer(ctx, plain)
    wanted = [name for name in CEILINGS if name in baselines]
    if wanted:
        pairs = _ceiling_pairs(
            world, train_obs, pairs_per_query=ceiling_pairs_per_query, seed=config.seed
        )
        scorers |= _ceilings(ctx, pairs, wanted, params=config.params, seed=config.seed)
    if "rule" in baselines:
        scorers["rule"] = wholepool.rule_scorer(ctx)
    if "random" in baselines:
        scorers["random"] = wholepool.random_scorer(config.seed)
    for name, score in scorers.items():
        t = time.perf_counter()
        ranker = wholepool.PoolRanker(ctx, score)
        report.ndcg[name] = _ndcg(full_path_metrics(ranker, instances, relevance, k=k), k)
        report.seconds[name] = time.perf_counter() - t
    if "oracle" in baselines:
        report.ndcg["oracle"] = dict.fromkeys(["all", *report.n_queries], 1.0)
    if recall:
        t = time.perf_counter()
        report.recall = _recall(ctx, relevance)
        report.seconds["recall"] = time.perf_counter() - t
    return report
