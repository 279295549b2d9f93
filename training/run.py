"""One training run end to end: frames → model → comparison → registry → report → promotion.

:func:`run_training` is what ``chainmatch train``, the API's retrain job and the demo set-up
call. It knows no database: the caller passes frames, the reference data and the registry.

The model layout is one LightGBM LambdaRank model for all query kinds, with the kind as a
feature: one model per kind scored no better on the standard world (see
:mod:`training.layouts`) and one model is simpler to promote, roll back and serve.

Promotion guard. The new model and the production model are scored the same way on the same
test window. The primary figure is the full path (:mod:`training.fullpath`): every test query
ranked over the whole catalogue through the serving path (candidates → model → default rules
→ top-k) as of its date, scored against what happened later; the caller passes that path as
``list_ranker``. Without it (or when no test query has a later outcome) the guard falls back
to re-ranking the logged test pairs. With ``promote_if_better`` the new model is promoted
only if its primary NDCG@10 over all kinds is not below production's by more than
``tolerance`` (absolute). There is nothing to compare
with when no model is in production, or when the production model was trained on another
feature list (it cannot be served by today's feature pipeline either): then the new model
is promoted. A production model whose file fails its checksum is never replaced
automatically — someone must look at the registry first. A model trained on some query
kinds only is registered but never promoted automatically, since production serves them all.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import lightgbm as lgb
import pandas as pd

from features.catalogue import FEATURE_NAMES, FEATURE_SET_VERSION
from features.context import FeatureContext
from features.reference import Reference
from features.schema import QUERY_KINDS
from training.errors import ModelIntegrityError
from training.frames import TrainingFrames
from training.fullpath import RankerFactory, full_path_metrics, logged_relevance, query_instances
from training.metadata import ModelMetadata, TrainingWindow
from training.pipeline import (
    OracleFn,
    Prepared,
    TrainConfig,
    TrainResult,
    prepare,
    train_and_evaluate,
)
from training.registry import ModelRegistry
from training.report import EvaluationResults, write_report

log = logging.getLogger(__name__)

__all__ = ["Decision", "RunSummary", "decide", "run_training"]


@dataclass(frozen=True)
class Decision:
    """The promotion decision and the numbers it rests on.

    Attributes
    ----------
    promote : whether the new model goes (or would go) to production.
    reason : the decision in words, for the report and the CLI.
    new_ndcg : the new model's NDCG@k over all kinds on the test rows.
    production_ndcg : the production model's on the same rows (None if not compared).
    tolerance : how far below production the new model may be and still be promoted.
    """

    promote: bool
    reason: str
    new_ndcg: float
    production_ndcg: float | None
    tolerance: float


@dataclass(frozen=True)
class RunSummary:
    """What a run produced.

    Attributes
    ----------
    version : the registered version of the new model.
    promoted : whether it is now in production.
    decision : the guard's decision (computed even when promotion was not requested).
    production_before, production_after : the production pointer before and after the run.
    production_status : ``"none"``, ``"compared"`` or ``"incomparable: <why>"``.
    metrics : model -> kind (``"all"`` too) -> metric -> value, as in the report.
    report_path : the HTML report (its JSON summary sits beside it).
    windows : split boundaries; n_rows : row counts by part; seconds : wall time.
    """

    version: str
    promoted: bool
    decision: Decision
    production_before: str | None
    production_after: str | None
    production_status: str
    metrics: dict[str, dict[str, dict[str, float]]]
    report_path: Path
    windows: dict[str, str]
    n_rows: dict[str, int]
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def headline(self, model: str = "lambdarank", kind: str = "all", k: int = 10) -> float:
        """NDCG@k of one model and kind (NaN if absent)."""
        return float(self.metrics.get(model, {}).get(kind, {}).get(f"ndcg@{k}", float("nan")))


def decide(
    metrics: dict[str, dict[str, dict[str, float]]],
    *,
    tolerance: float,
    k: int = 10,
    production_status: str = "compared",
    all_kinds: bool = True,
) -> Decision:
    """The promotion guard (see the module docstring).

    Parameters
    ----------
    metrics : as in :attr:`TrainResult.metrics`; ``"production"`` present when compared.
    tolerance : absolute NDCG@k the new model may lose to production, >= 0.
    k : the headline cutoff.
    production_status : ``"none"``, ``"compared"``, ``"incomparable: ..."`` or
        ``"corrupt: ..."``.
    all_kinds : whether the new model was trained and tested on every query kind.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    name = f"ndcg@{k}"
    new_key, prod_key = primary_keys(metrics, k=k)
    new = float(metrics[new_key]["all"][name])
    prod = metrics.get(prod_key, {}).get("all", {}).get(name)
    prod_v = None if prod is None else float(prod)
    if not all_kinds:
        return Decision(
            False,
            "not promoted: trained on some query kinds only; production serves every kind",
            new,
            prod_v,
            tolerance,
        )
    if production_status.startswith("corrupt"):
        return Decision(
            False,
            f"not promoted: the production model failed its integrity "
            f"check ({production_status}); inspect the registry first",
            new,
            prod_v,
            tolerance,
        )
    if production_status == "none":
        return Decision(
            True, f"promote: no model in production (new {name} {new:.4f})", new, None, tolerance
        )
    if prod_v is None:
        return Decision(
            True,
            f"promote: production is {production_status}, so it cannot be "
            f"compared or served (new {name} {new:.4f})",
            new,
            None,
            tolerance,
        )
    if new >= prod_v - tolerance:
        return Decision(
            True,
            f"promote: new {name} {new:.4f} >= production {prod_v:.4f} - tolerance {tolerance:.4f}",
            new,
            prod_v,
            tolerance,
        )
    return Decision(
        False,
        f"keep production: new {name} {new:.4f} < production {prod_v:.4f} "
        f"- tolerance {tolerance:.4f}",
        new,
        prod_v,
        tolerance,
    )


FULL_PATH, PRODUCTION_FULL_PATH = "full_path", "production_full_path"


def primary_keys(
    metrics: dict[str, dict[str, dict[str, float]]], *, k: int = 10
) -> tuple[str, str]:
    """The metric entries the guard compares: the full path when it was measured (and has a
    query with a later outcome), else the re-ranking of logged pairs."""
    full = metrics.get(FULL_PATH, {}).get("all", {}).get(f"ndcg@{k}")
    if full is not None and not math.isnan(float(full)):
        return FULL_PATH, PRODUCTION_FULL_PATH
    return "lambdarank", "production"


def _full_path(
    result: TrainResult,
    *,
    prepared: Prepared,
    ctx: FeatureContext,
    list_ranker: RankerFactory,
    config: TrainConfig,
    production: tuple[lgb.Booster, Any] | None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Full-path metrics of the new model (and of production on the same queries)."""
    labels = prepared.rows[~prepared.rows["sampled"].to_numpy()]
    test, _ = prepared.subset("test", observed_only=True)
    instances = query_instances(test)
    relevance = logged_relevance(labels, instances, horizon_days=config.label.horizon_days)
    out = {
        FULL_PATH: full_path_metrics(
            list_ranker(ctx, result.booster, result.calibrator),
            instances,
            relevance,
            k=config.eval_k,
        ).metrics
    }
    if production is not None:
        out[PRODUCTION_FULL_PATH] = full_path_metrics(
            list_ranker(ctx, *production), instances, relevance, k=config.eval_k
        ).metrics
    return out


def _production(registry: ModelRegistry) -> tuple[str | None, lgb.Booster | None, str]:
    """The production version, its booster if comparable, and its status in words."""
    version = registry.production()
    if version is None:
        return None, None, "none"
    try:
        registry.verify(version)
    except ModelIntegrityError as exc:
        return version, None, f"corrupt: {exc}"
    try:
        loaded = registry.load(version, expected_features=FEATURE_NAMES)
    except ModelIntegrityError as exc:
        return version, None, f"incomparable: {exc}"
    return version, loaded.booster, "compared"


def run_training(
    frames: TrainingFrames,
    *,
    reference: Reference,
    registry: ModelRegistry,
    report_dir: Path,
    config: TrainConfig | None = None,
    oracle: OracleFn | None = None,
    promote_if_better: bool = False,
    tolerance: float = 0.005,
    as_of: pd.Timestamp | None = None,
    notes: str = "",
    list_ranker: RankerFactory | None = None,
) -> RunSummary:
    """Train, compare with production and the baselines, register, report, maybe promote.

    Parameters
    ----------
    frames : conformed entity frames (from the database or :func:`frames_from_world`).
    reference : reference data (cities, industries, IO table, chains).
    registry : where the new model is registered and production is read and switched.
    report_dir : where ``<version>.html`` and ``<version>.json`` are written.
    config : training configuration (kinds, split, parameters, seed).
    oracle : the world's true utility, reported as the ceiling (synthetic data only).
    promote_if_better : apply the promotion guard; otherwise only register a candidate.
    tolerance : absolute NDCG@10 the new model may lose to production and still be promoted.
    as_of : train on what was known that day: later outcomes are dropped and labels are
        censored at it (default: the latest outcome date).
    notes : free text stored in the model's metadata.
    list_ranker : the serving path around a model (``recommender.ranking.offline``), for
        the primary full-path metric; without it only logged pairs are re-ranked.

    Returns
    -------
    RunSummary
    """
    started = time.perf_counter()
    config = config or TrainConfig()
    if as_of is not None:
        as_of = pd.Timestamp(as_of)
        frames = frames.until(as_of)
        config = _with_data_end(config, as_of)
    if frames.outcomes.empty:
        raise ValueError("no outcomes to learn from: import outcomes (or pick a later --as-of)")
    data_end = pd.Timestamp(config.label.data_end or frames.outcomes["date"].max())
    ctx = frames.context(reference)
    prepared = prepare(ctx, frames.outcomes, config)
    before, prod_booster, status = _production(registry)
    result = train_and_evaluate(prepared, config, production=prod_booster, oracle=oracle)
    if list_ranker is not None:
        prod = None
        if prod_booster is not None and before is not None:
            prod = (prod_booster, registry.load(before).calibrator)
        result.metrics.update(
            _full_path(
                result,
                prepared=prepared,
                ctx=ctx,
                list_ranker=list_ranker,
                config=config,
                production=prod,
            )
        )
    decision = decide(
        result.metrics,
        tolerance=tolerance,
        k=config.eval_k,
        production_status=status,
        all_kinds=set(config.kinds) >= set(QUERY_KINDS),
    )
    metadata = _metadata(result, config, data_end=data_end, notes=notes)
    version = registry.register(result.booster.model_to_string(), metadata)
    promoted = promote_if_better and decision.promote
    if promoted:
        registry.promote(version)
    words = decision.reason if promote_if_better else f"candidate only (guard: {decision.reason})"
    if before is not None:
        words += f"; production before this run: {before} ({status})"
    report = write_report(
        Path(report_dir) / f"{version}.html",
        EvaluationResults(
            metrics=result.metrics,
            feature_importance=result.feature_importance,
            calibration=result.calibration,
            windows=result.windows,
            promotion=words,
            model_version=version,
            k=config.eval_k,
            brier=result.brier,
            n_rows=result.n_rows,
        ),
    )
    log.info(
        "model %s registered%s; report %s", version, " and promoted" if promoted else "", report
    )
    return RunSummary(
        version=version,
        promoted=promoted,
        decision=decision,
        production_before=before,
        production_after=registry.production(),
        production_status=status,
        metrics=result.metrics,
        report_path=report,
        windows=result.windows,
        n_rows=result.n_rows,
        seconds=time.perf_counter() - started,
        extra={"best_iteration": result.booster.current_iteration()},
    )


def _with_data_end(config: TrainConfig, as_of: pd.Timestamp) -> TrainConfig:
    return replace(config, label=replace(config.label, data_end=as_of))


def _metadata(
    result: TrainResult, config: TrainConfig, *, data_end: pd.Timestamp, notes: str
) -> ModelMetadata:
    params = {
        **config.params.lgb_params(),
        "num_boost_round": config.params.num_boost_round,
        "early_stopping_rounds": config.params.early_stopping_rounds,
        "best_iteration": result.booster.current_iteration(),
        "sampled_negatives": config.sampled_negatives,
        "pool_negatives": config.pool_negatives,
        "label_horizon_days": config.label.horizon_days,
        "seed": config.seed,
    }
    return ModelMetadata(
        feature_names=list(result.booster.feature_name()),
        feature_set_version=FEATURE_SET_VERSION,
        kinds=list(config.kinds),
        params=params,
        window=TrainingWindow(
            start=date.fromisoformat(result.windows["train_start"]),
            end=data_end.date(),
            as_of=data_end.date(),
        ),
        data_hash=result.data_hash,
        metrics=_json_metrics(result.metrics),
        calibration=result.calibrator.to_dict(),
        notes=notes,
    )


def _json_metrics(metrics: dict[str, dict[str, dict[str, float]]]) -> dict[str, Any]:
    return {
        m: {
            k: {n: (None if math.isnan(v) else float(v)) for n, v in per.items()}
            for k, per in d.items()
        }
        for m, d in metrics.items()
    }
