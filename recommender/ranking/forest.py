"""The model's trees compiled to machine code, for scoring a request's candidates.

LightGBM's ``predict`` took 4.0 ms of CPU for a request's 500 candidates and the
production model's 250 trees (200k-firm benchmark world). lleaves (LLVM, through llvmlite)
compiles the same model text into one native function that took 0.58 ms for the same rows,
with the same answers (same thresholds, missing-value directions and objective transform,
in double precision). Compiling takes about a second for 250 trees, once per loaded model
and process, in memory (no binary is written next to the model: one built for another CPU
would crash).

When lleaves cannot compile a model, :func:`compile_forest` logs why and answers None, and
the caller scores with LightGBM itself: the answers are the same, only slower.
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import cast

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)
FloatArray = npt.NDArray[np.float64]

# a compiled forest whose answers differ from LightGBM's by more than this on the probe rows
# (zeros, all missing, and random rows with missing values) is not used
_CHECK_ATOL = 1e-9


class CompiledForest:
    """A booster's trees as one native function (lleaves)."""

    def __init__(self, compiled: object) -> None:
        self._compiled = compiled

    def predict(self, X: npt.NDArray[np.float64]) -> FloatArray:
        """One score a row; ``X`` in the model's feature order (float64, C order)."""
        out = self._compiled.predict(X, n_jobs=1)  # type: ignore[attr-defined]
        return cast(FloatArray, out)


def compile_forest(booster: lgb.Booster) -> CompiledForest | None:
    """The booster compiled, or None (logged) when lleaves cannot compile it or its answers
    on a few probe rows differ from LightGBM's."""
    try:
        import lleaves

        with tempfile.TemporaryDirectory(prefix="chainmatch-forest-") as tmp:
            path = os.path.join(tmp, "model.txt")
            booster.save_model(path)
            model = lleaves.Model(model_file=path)
            model.compile()
        forest = CompiledForest(model)
        probe = _probe_rows(booster.num_feature())
        want = np.asarray(booster.predict(probe, num_threads=1), dtype=np.float64)
        got = forest.predict(probe)
    except Exception:  # lleaves raises assertion, value and LLVM errors alike
        log.warning("could not compile the model's trees; scoring with LightGBM", exc_info=True)
        return None
    if not np.allclose(got, want, rtol=0.0, atol=_CHECK_ATOL):
        log.warning("compiled trees disagree with LightGBM on probe rows; scoring with LightGBM")
        return None
    return forest


def _probe_rows(n_features: int) -> FloatArray:
    rng = np.random.default_rng(0)
    rows = rng.normal(0.0, 3.0, size=(32, n_features))
    rows[rng.random(rows.shape) < 0.3] = np.nan
    return np.vstack([np.zeros(n_features), np.full(n_features, np.nan), rows])
