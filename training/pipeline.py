"""The learning loop: labelled pairs → features → LambdaRank + baselines → evaluation.

``prepare`` turns outcomes into labelled, time-split query instances with features computed
as of each query's date; ``train_and_evaluate`` trains the ranker with early stopping on the
validation window, scores every baseline (and the production model, when given) on the
same test rows, calibrates P(signed or better) on the validation window and returns
everything a report and a promotion decision need. No database here: the caller passes
frames.

Negatives. Candidates that were shown and reached no positive stage are the observed
negatives. Each training query instance also gets ``pool_negatives`` firms drawn uniformly
from the kind's whole pool (excluding shown ones), with label 0, and optionally
``sampled_negatives`` from its candidate-generation list (off by default: the generator's
list is full of good firms nobody showed, and labelling them 0 taught the model to push good
firms down — measured on the standard world, full path NDCG@10 0.60 with 5 of them, 0.64
without; 100 pool negatives instead of 30 gave 0.54, none 0.61). The model ranks the whole
catalogue, and a rule chose what was shown, so the unseen part of the pool must be in the
data (most of it is far from any match; the few good firms among the draws are label noise
the model averages over). Validation instances get ``pool_negatives`` too, for early stopping only.
The secondary metrics and calibration use only shown candidates with their observed labels,
so every ranker is evaluated on the same logged rows.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.candidates import CandidateGenerator, pool_mask
from features.catalogue import FEATURE_NAMES
from features.context import FeatureContext
from features.pairs import pair_features
from training.calibration import IsotonicCalibrator, brier_score, reliability_table
from training.dataset import LabelConfig, assign_query_groups, label_pairs, time_split
from training.metrics import MetricResult, evaluate
from training.rankers import (
    RankerParams,
    fit_lambdarank,
    fit_logistic,
    logistic_score,
    popularity_score,
    row_weights,
    rule_score,
)

log = logging.getLogger(__name__)

# (kind, query_ids, candidate_ids, as_of dates) -> true utility of each pair
OracleFn = Callable[[str, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
SIGNED_GRADE = 3


class FitFn(Protocol):
    """How the ranker is fitted on labelled rows (see :func:`fit_on_rows`)."""

    def __call__(
        self,
        train_rows: pd.DataFrame,
        train_X: pd.DataFrame,
        valid_rows: pd.DataFrame,
        valid_X: pd.DataFrame,
        *,
        params: RankerParams,
    ) -> lgb.Booster: ...


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (``fit``: None fits in this process with
    :func:`fit_on_rows`; :class:`training.dask_fit.DaskFit` fits on a Dask cluster)."""

    label: LabelConfig = field(default_factory=LabelConfig)
    valid_frac: float = 0.15
    test_frac: float = 0.2
    sampled_negatives: int = 0
    pool_negatives: int = 30
    candidate_cap: int = 500
    params: RankerParams = field(default_factory=RankerParams)
    eval_k: int = 10
    kinds: tuple[str, ...] = ("supplier", "investor", "customer")
    seed: int = 7
    fit: FitFn | None = field(default=None, compare=False, repr=False)


@dataclass
class Prepared:
    """Labelled rows (one per query instance × candidate) and their features."""

    rows: pd.DataFrame  # query_kind, query_id, candidate_id, exposed, grade, qid, part, sampled
    X: pd.DataFrame  # FEATURE_NAMES, aligned with rows
    valid_start: pd.Timestamp
    test_start: pd.Timestamp

    def subset(
        self, part: str, *, observed_only: bool = False
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Rows and features of one part, sorted by query id (LightGBM groups)."""
        mask = self.rows["part"].to_numpy() == part
        if observed_only:
            mask &= ~self.rows["sampled"].to_numpy()
        idx = np.flatnonzero(mask)
        order = idx[np.argsort(self.rows["qid"].to_numpy()[idx], kind="stable")]
        return self.rows.iloc[order].reset_index(drop=True), self.X.iloc[order].reset_index(
            drop=True
        )

    def with_train_share(self, share: float, seed: int) -> Prepared:
        """The same data with only ``share`` of each kind's training query instances (whole
        instances: every row of a kept one); validation and test rows unchanged. Shares of
        one seed are nested (a quarter lies within the half), for a learning curve."""
        if not 0.0 < share <= 1.0:
            raise ValueError(f"share must be in (0, 1], got {share!r}")
        key = ["query_kind", "query_id", "exposed"]
        is_train = self.rows["part"].to_numpy() == "train"
        if share == 1.0 or not is_train.any():
            return self
        inst = self.rows.loc[is_train, key].drop_duplicates()
        inst = inst.sort_values(["query_kind", "exposed", "query_id"], kind="stable")
        kept = []
        for _, grp in inst.groupby("query_kind", sort=True):
            perm = np.random.default_rng(seed).permutation(len(grp))
            kept.append(grp.iloc[np.sort(perm[: round(share * len(grp))])])
        chosen = pd.MultiIndex.from_frame(pd.concat(kept))
        mask = ~is_train | pd.MultiIndex.from_frame(self.rows[key]).isin(chosen)
        return Prepared(
            rows=self.rows.loc[mask].reset_index(drop=True),
            X=self.X.loc[mask].reset_index(drop=True),
            valid_start=self.valid_start,
            test_start=self.test_start,
        )

    def data_hash(self) -> str:
        """sha256 over the labelled keys and grades (identifies the training data)."""
        keys = self.rows[["query_kind", "query_id", "candidate_id", "exposed", "grade", "part"]]
        digest = hashlib.sha256(pd.util.hash_pandas_object(keys, index=False).to_numpy().tobytes())
        return digest.hexdigest()


def prepare(ctx: FeatureContext, outcomes: pd.DataFrame, config: TrainConfig) -> Prepared:
    """Label, split by time, add sampled negatives (train only) and compute features as of
    each query instance's exposure date."""
    labels = label_pairs(outcomes, config.label)
    labels = labels[~labels["censored"].astype(bool)]
    labels = labels[labels["query_kind"].isin(config.kinds)]
    split = time_split(labels, valid_frac=config.valid_frac, test_frac=config.test_frac)
    labels = labels.assign(part=split.part(labels["exposed"]), sampled=False)
    sampled = _sample_negatives(ctx, labels, config)
    pool = _pool_negatives(ctx, labels, config)
    rows = pd.concat([labels, sampled, pool], ignore_index=True)
    rows = rows.drop_duplicates(["query_kind", "query_id", "exposed", "candidate_id"])
    rows = assign_query_groups(rows.reset_index(drop=True))
    X = featurize(ctx, rows)
    log.info(
        "prepared %d rows (%d sampled negatives), %d query instances",
        len(rows),
        int(rows["sampled"].sum()),
        rows["qid"].nunique(),
    )
    return Prepared(rows=rows, X=X, valid_start=split.valid_start, test_start=split.test_start)


def featurize(ctx: FeatureContext, rows: pd.DataFrame) -> pd.DataFrame:
    """Pair features for every row, as of its exposure date, one call per query kind."""
    parts: list[pd.DataFrame] = []
    index_parts: list[np.ndarray] = []
    for kind, grp in rows.groupby("query_kind", sort=True):
        feats = pair_features(
            ctx,
            kind=str(kind),
            query_ids=grp["query_id"].to_numpy(dtype=object),
            candidate_ids=grp["candidate_id"].to_numpy(dtype=object),
            as_of=grp["exposed"].to_numpy(),
        )
        parts.append(feats)
        index_parts.append(grp.index.to_numpy())
    if not parts:
        return pd.DataFrame(columns=FEATURE_NAMES, dtype="float32")
    X = pd.concat(parts, ignore_index=True)
    X.index = np.concatenate(index_parts)
    return X.sort_index().reset_index(drop=True)[FEATURE_NAMES]


def _sample_negatives(
    ctx: FeatureContext, labels: pd.DataFrame, config: TrainConfig
) -> pd.DataFrame:
    if config.sampled_negatives <= 0:
        return labels.iloc[0:0]
    rng = np.random.default_rng(config.seed)
    train = labels[labels["part"] == "train"]
    instances = train.drop_duplicates(["query_kind", "query_id", "exposed"])
    shown = train.groupby(["query_kind", "query_id", "exposed"])["candidate_id"].agg(set)
    gen = CandidateGenerator(ctx, cap=config.candidate_cap)
    out: dict[str, list[object]] = {
        c: [] for c in ("query_kind", "query_id", "candidate_id", "exposed")
    }
    for kind, qid, exposed in instances[["query_kind", "query_id", "exposed"]].itertuples(
        index=False
    ):
        pool = gen.generate(kind, qid, as_of=exposed)
        seen = np.array(sorted(shown[(kind, qid, exposed)]), dtype=object)
        pool = pool[~np.isin(pool, seen)]
        if not len(pool):
            continue
        pick = rng.choice(pool, size=min(config.sampled_negatives, len(pool)), replace=False)
        out["query_kind"].extend([kind] * len(pick))
        out["query_id"].extend([qid] * len(pick))
        out["candidate_id"].extend(pick.tolist())
        out["exposed"].extend([exposed] * len(pick))
    frame = pd.DataFrame(out)
    if frame.empty:
        return labels.iloc[0:0]
    frame["exposed"] = pd.to_datetime(frame["exposed"])
    return frame.assign(event_id="", grade=0, censored=False, part="train", sampled=True)


def _pool_negatives(ctx: FeatureContext, labels: pd.DataFrame, config: TrainConfig) -> pd.DataFrame:
    """``pool_negatives`` uniform draws from the kind's pool per train and valid instance."""
    if config.pool_negatives <= 0:
        return labels.iloc[0:0]
    rng = np.random.default_rng([config.seed, 1])
    inst = labels[labels["part"].isin(["train", "valid"])].drop_duplicates(
        ["query_kind", "query_id", "exposed"]
    )
    parts = []
    for kind, grp in inst.groupby("query_kind", sort=True):
        pool = np.flatnonzero(pool_mask(ctx, str(kind)))
        if not len(pool) or grp.empty:
            continue
        n = min(config.pool_negatives, len(pool))
        # n draws with replacement per instance; the rare repeat is dropped with the rows
        # that repeat a shown pair
        pick = pool[rng.integers(0, len(pool), (len(grp), n))]
        parts.append(
            pd.DataFrame(
                {
                    "query_kind": kind,
                    "query_id": np.repeat(grp["query_id"].to_numpy(dtype=object), n),
                    "candidate_id": ctx.ids[pick.ravel()].to_numpy(dtype=object),
                    "exposed": np.repeat(grp["exposed"].to_numpy(), n),
                    "part": np.repeat(grp["part"].to_numpy(dtype=object), n),
                }
            )
        )
    if not parts:
        return labels.iloc[0:0]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[frame["query_id"] != frame["candidate_id"]]
    return frame.assign(event_id="", grade=0, censored=False, sampled=True)


def fit_on_rows(
    train_rows: pd.DataFrame,
    train_X: pd.DataFrame,
    valid_rows: pd.DataFrame,
    valid_X: pd.DataFrame,
    *,
    params: RankerParams,
) -> lgb.Booster:
    """The ranker on labelled rows (``grade``, ``qid``) with early stopping on the valid rows."""
    return fit_lambdarank(
        train_X,
        train_rows["grade"].to_numpy(),
        train_rows["qid"].to_numpy(),
        X_valid=valid_X,
        y_valid=valid_rows["grade"].to_numpy(),
        qid_valid=valid_rows["qid"].to_numpy(),
        params=params,
        weight=row_weights(train_rows, params),
    )


@dataclass
class TrainResult:
    """What a training run produced: the model, its calibrator and every comparison."""

    booster: lgb.Booster
    calibrator: IsotonicCalibrator
    metrics: dict[str, dict[str, dict[str, float]]]  # model -> kind ('all' too) -> metric -> value
    feature_importance: pd.DataFrame
    calibration: pd.DataFrame
    brier: float
    windows: dict[str, str]
    data_hash: str
    n_rows: dict[str, int]
    test_scores: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


def train_and_evaluate(
    prepared: Prepared,
    config: TrainConfig,
    *,
    production: lgb.Booster | None = None,
    oracle: OracleFn | None = None,
) -> TrainResult:
    """Train LambdaRank, score baselines (and production) on the test rows, calibrate."""
    tr_rows, tr_X = prepared.subset("train")
    va_rows, va_X = prepared.subset("valid", observed_only=True)
    te_rows, te_X = prepared.subset("test", observed_only=True)
    if tr_rows.empty or te_rows.empty:
        raise ValueError(
            f"need training and test rows, got {len(tr_rows)} train and {len(te_rows)} test"
        )
    stop_rows, stop_X = prepared.subset("valid")  # shown + pool negatives
    fit = config.fit or fit_on_rows
    booster = fit(tr_rows, tr_X, stop_rows, stop_X, params=config.params)
    scores: dict[str, np.ndarray] = {
        "lambdarank": np.asarray(booster.predict(te_X)),
        "rule": rule_score(te_X),
        "popularity": popularity_score(te_X),
        "logistic": logistic_score(
            fit_logistic(tr_X, tr_rows["grade"].to_numpy(), seed=config.seed), te_X
        ),
    }
    if production is not None:
        scores["production"] = np.asarray(production.predict(te_X[production.feature_name()]))
    if oracle is not None:
        scores["oracle"] = _oracle_scores(oracle, te_rows)
    metrics = {name: metrics_by_kind(te_rows, s, k=config.eval_k) for name, s in scores.items()}
    calib_source = va_rows if len(va_rows) else tr_rows
    calib_X = va_X if len(va_rows) else tr_X
    calibrator = IsotonicCalibrator().fit(
        np.asarray(booster.predict(calib_X)),
        (calib_source["grade"].to_numpy() >= SIGNED_GRADE).astype(int),
    )
    p_test = calibrator.transform(scores["lambdarank"])
    y_test = (te_rows["grade"].to_numpy() >= SIGNED_GRADE).astype(int)
    importance = pd.DataFrame(
        {
            "feature": booster.feature_name(),
            "gain": booster.feature_importance(importance_type="gain"),
        }
    ).sort_values("gain", ascending=False, ignore_index=True)
    windows = {
        "train_start": str(tr_rows["exposed"].min().date()),
        "valid_start": str(prepared.valid_start.date()),
        "test_start": str(prepared.test_start.date()),
        "test_end": str(te_rows["exposed"].max().date()),
    }
    keep = ["query_kind", "query_id", "candidate_id", "exposed", "qid", "grade"]
    test_scores = te_rows[keep].assign(
        **{f"score_{k}": v for k, v in scores.items()}, p_signed=p_test
    )
    return TrainResult(
        booster=booster,
        calibrator=calibrator,
        metrics=metrics,
        feature_importance=importance,
        calibration=reliability_table(p_test, y_test),
        brier=brier_score(p_test, y_test),
        windows=windows,
        data_hash=prepared.data_hash(),
        n_rows={"train": len(tr_rows), "valid": len(va_rows), "test": len(te_rows)},
        test_scores=test_scores,
    )


def _oracle_scores(oracle: OracleFn, rows: pd.DataFrame) -> np.ndarray:
    out = np.zeros(len(rows))
    for kind, grp in rows.groupby("query_kind", sort=False):
        out[grp.index.to_numpy()] = oracle(
            str(kind),
            grp["query_id"].to_numpy(dtype=object),
            grp["candidate_id"].to_numpy(dtype=object),
            grp["exposed"].to_numpy(dtype="datetime64[D]"),
        )
    return out


def metrics_by_kind(
    rows: pd.DataFrame, scores: np.ndarray, *, k: int
) -> dict[str, dict[str, float]]:
    """Every ranking metric per query kind and over all kinds (``"all"``).

    Parameters
    ----------
    rows : test rows with ``query_kind``, ``qid``, ``grade`` and ``candidate_id``.
    scores : one score per row.
    k : cutoff.

    Returns
    -------
    dict
        ``kind -> metric -> value``, plus ``n_queries`` and ``n_skipped`` (queries without a
        relevant candidate, left out of the headline) per kind.
    """
    out: dict[str, dict[str, float]] = {}
    groups: list[tuple[str, np.ndarray]] = [("all", np.arange(len(rows)))]
    groups += [(str(kd), g.index.to_numpy()) for kd, g in rows.groupby("query_kind", sort=True)]
    for name, idx in groups:
        res: dict[str, MetricResult] = evaluate(
            rows["grade"].to_numpy()[idx],
            scores[idx],
            rows["qid"].to_numpy()[idx],
            rows["candidate_id"].to_numpy(dtype=object)[idx].astype(str),
            k=k,
        )
        out[name] = {m: r.value for m, r in res.items()}
        out[name]["n_queries"] = float(res[f"ndcg@{k}"].n_queries)
        out[name]["n_skipped"] = float(res[f"ndcg@{k}"].n_skipped)
    return out
