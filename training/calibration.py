"""Success probabilities from rank scores: isotonic calibration, reliability table, Brier score.

A ranker's scores order candidates but are not probabilities. :class:`IsotonicCalibrator`
maps them to P(success) (e.g. P(signed or better)) with a monotone step-linear function fitted
on a held-out window. The fitted function is a pair of threshold lists, so it is stored in a
model's ``metadata.json`` as plain numbers (:meth:`IsotonicCalibrator.to_dict`), never pickled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from features.errors import NotFittedError
from training.errors import InvalidInputError

__all__ = ["IsotonicCalibrator", "brier_score", "reliability_table"]

FloatArray = npt.NDArray[np.float64]


def _as_1d_float(values: npt.ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError(
            f"{name} must be finite, got {int((~np.isfinite(arr)).sum())} NaN/inf"
        )
    return arr


def _pair(p: npt.ArrayLike, y: npt.ArrayLike, p_name: str) -> tuple[FloatArray, FloatArray]:
    pa, ya = _as_1d_float(p, p_name), _as_1d_float(y, "y")
    if len(pa) != len(ya):
        raise InvalidInputError(
            f"{p_name} and y must have the same length, got {len(pa)} and {len(ya)}"
        )
    if not np.isin(ya, (0.0, 1.0)).all():
        raise InvalidInputError(
            f"y must hold 0/1 outcomes, got values {np.unique(ya)[:5].tolist()}"
        )
    return pa, ya


class IsotonicCalibrator:
    """Monotone map from rank scores to probabilities.

    Follows the scikit-learn estimator contract: ``__init__`` stores parameters, :meth:`fit`
    learns ``x_thresholds_``/``y_thresholds_`` and returns self, :meth:`transform` checks it
    was fitted. Between thresholds the map is linear, outside them it is clipped to the end
    values (``IsotonicRegression(out_of_bounds="clip")``).

    Parameters
    ----------
    increasing : whether a higher score means a higher probability.
    """

    def __init__(self, *, increasing: bool = True) -> None:
        self.increasing = increasing

    def fit(self, scores: npt.ArrayLike, y: npt.ArrayLike) -> IsotonicCalibrator:
        """Fit on scores and 0/1 outcomes.

        Parameters
        ----------
        scores : rank scores, 1-D, finite.
        y : 1 where the pair succeeded, else 0; same length as ``scores``.

        Returns
        -------
        self
        """
        s, ya = _pair(scores, y, "scores")
        if len(s) == 0:
            raise InvalidInputError("cannot fit a calibrator on 0 rows")
        iso = IsotonicRegression(
            y_min=0.0, y_max=1.0, increasing=self.increasing, out_of_bounds="clip"
        )
        iso.fit(s, ya)
        self.x_thresholds_: FloatArray = np.asarray(iso.X_thresholds_, dtype=np.float64)
        self.y_thresholds_: FloatArray = np.asarray(iso.y_thresholds_, dtype=np.float64)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "x_thresholds_"):
            raise NotFittedError(
                "IsotonicCalibrator is not fitted; call fit() or from_dict() first"
            )

    def transform(self, scores: npt.ArrayLike) -> FloatArray:
        """Probabilities for ``scores`` (same shape), in [0, 1]."""
        self._check_fitted()
        s = _as_1d_float(scores, "scores")
        # np.interp clips to the end values, as IsotonicRegression(out_of_bounds="clip") does
        return np.interp(s, self.x_thresholds_, self.y_thresholds_)

    def to_dict(self) -> dict[str, Any]:
        """The fitted map as JSON-ready lists: ``{"kind", "increasing", "x", "y"}``."""
        self._check_fitted()
        return {
            "kind": "isotonic",
            "increasing": self.increasing,
            "x": [float(v) for v in self.x_thresholds_],
            "y": [float(v) for v in self.y_thresholds_],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IsotonicCalibrator:
        """Rebuild a fitted calibrator from :meth:`to_dict` output.

        Raises
        ------
        InvalidInputError
            If the dict is not an isotonic map with sorted ``x`` and matching ``y`` in [0, 1].
        """
        if data.get("kind") != "isotonic":
            raise InvalidInputError(f"expected kind 'isotonic', got {data.get('kind')!r}")
        x = np.asarray(data.get("x", []), dtype=np.float64)
        y = np.asarray(data.get("y", []), dtype=np.float64)
        if x.ndim != 1 or len(x) == 0 or x.shape != y.shape:
            raise InvalidInputError(
                f"x and y must be non-empty lists of equal length, got {len(x)} and {len(y)}"
            )
        if np.any(np.diff(x) < 0) or np.any((y < 0) | (y > 1)):
            raise InvalidInputError("x must be sorted ascending and y must lie in [0, 1]")
        out = cls(increasing=bool(data.get("increasing", True)))
        out.x_thresholds_ = x
        out.y_thresholds_ = y
        return out


def brier_score(p: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean squared difference between probabilities and 0/1 outcomes (lower is better).

    Returns NaN for empty input.
    """
    pa, ya = _pair(p, y, "p")
    return float(np.mean((pa - ya) ** 2)) if len(pa) else float("nan")


def reliability_table(p: npt.ArrayLike, y: npt.ArrayLike, n_bins: int = 10) -> pd.DataFrame:
    """Data of a reliability curve: predicted against observed success rate per bin.

    Parameters
    ----------
    p : predicted probabilities in [0, 1].
    y : 0/1 outcomes.
    n_bins : number of equal-width bins on [0, 1]; bin i holds ``lower <= p < upper``, the
        last bin also holds ``p == 1``.

    Returns
    -------
    DataFrame with one row per bin (empty bins included): ``bin`` (0-based), ``lower``,
    ``upper``, ``n``, ``mean_predicted`` and ``observed_rate`` (NaN for empty bins).
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise InvalidInputError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    pa, ya = _pair(p, y, "p")
    if np.any((pa < 0) | (pa > 1)):
        raise InvalidInputError("p must lie in [0, 1]")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip((pa * n_bins).astype(np.intp), 0, n_bins - 1)
    n = np.bincount(idx, minlength=n_bins)
    sum_p = np.bincount(idx, weights=pa, minlength=n_bins)
    sum_y = np.bincount(idx, weights=ya, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.where(n > 0, sum_p / n, np.nan)
        rate = np.where(n > 0, sum_y / n, np.nan)
    return pd.DataFrame(
        {
            "bin": np.arange(n_bins),
            "lower": edges[:-1],
            "upper": edges[1:],
            "n": n,
            "mean_predicted": mean_p,
            "observed_rate": rate,
        }
    )
