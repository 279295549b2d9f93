"""One model for every query kind, or one model per kind: the measurement behind the choice.

The production layout is **one LambdaRank model with the query kind as a feature** (the
``kind_*`` columns). On the standard world (20,000 firms, seed 7, time split) the per-kind
models scored no better on NDCG@10 — within the test window's noise on every kind — and one
model is simpler to register, promote, roll back and serve (one production pointer, one
feature list, one calibrator). :func:`compare_layouts` reruns the comparison; the benchmark
prints it.
"""

from __future__ import annotations

import numpy as np

from training.pipeline import Prepared, TrainConfig, fit_on_rows, metrics_by_kind

__all__ = ["compare_layouts"]


def compare_layouts(
    prepared: Prepared, config: TrainConfig
) -> dict[str, dict[str, dict[str, float]]]:
    """Test metrics of the single model and of one model per kind, on the same test rows.

    Parameters
    ----------
    prepared : labelled, featurised rows (:func:`training.pipeline.prepare`).
    config : the training configuration (same parameters for every model).

    Returns
    -------
    dict
        ``{"single": metrics, "per_kind": metrics}``, each ``kind -> metric -> value`` as in
        :attr:`training.pipeline.TrainResult.metrics`.
    """
    tr_rows, tr_X = prepared.subset("train")
    va_rows, va_X = prepared.subset("valid", observed_only=True)
    te_rows, te_X = prepared.subset("test", observed_only=True)
    single = fit_on_rows(tr_rows, tr_X, va_rows, va_X, params=config.params)
    per_kind = np.zeros(len(te_rows))
    for kind in sorted(te_rows["query_kind"].unique()):
        tr = (tr_rows["query_kind"] == kind).to_numpy()
        va = (va_rows["query_kind"] == kind).to_numpy()
        te = (te_rows["query_kind"] == kind).to_numpy()
        if not tr.any():
            continue
        booster = fit_on_rows(tr_rows[tr], tr_X[tr], va_rows[va], va_X[va], params=config.params)
        per_kind[te] = np.asarray(booster.predict(te_X[te]))
    return {
        "single": metrics_by_kind(te_rows, np.asarray(single.predict(te_X)), k=config.eval_k),
        "per_kind": metrics_by_kind(te_rows, per_kind, k=config.eval_k),
    }
