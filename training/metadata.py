"""Metadata of a trained model: what it needs to be reproduced, checked and explained.

Stored by :class:`training.registry.ModelRegistry` in each version's ``metadata.json``.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import sklearn

from training.errors import RegistryError

__all__ = ["ModelMetadata", "TrainingWindow", "data_hash", "library_versions"]


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on, for its metadata."""
    return {
        "python": platform.python_version(),
        "lightgbm": lightgbm.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }


def data_hash(frame: pd.DataFrame) -> str:
    """sha256 over a frame's column names and row hashes (index excluded), hex."""
    h = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _as_date(value: date | str) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(value, datetime):  # also pd.Timestamp
        return value.date()
    return value


@dataclass(frozen=True)
class TrainingWindow:
    """Dates of the training data: outcomes from ``start`` to ``end``, features as of ``as_of``."""

    start: date
    end: date
    as_of: date

    def __post_init__(self) -> None:
        for name in ("start", "end", "as_of"):
            object.__setattr__(self, name, _as_date(getattr(self, name)))


@dataclass(frozen=True)
class ModelMetadata:
    """What a trained model needs to be reproduced, checked and explained.

    Attributes
    ----------
    feature_names : the model's features, in the column order it was trained on.
    feature_set_version : ``features.catalogue.FEATURE_SET_VERSION`` at training time.
    kinds : query kinds the model ranks (``supplier``, ``investor``, ``customer``).
    params : LightGBM parameters (JSON-ready).
    window : the training window.
    data_hash : hash of the training frame (see :func:`data_hash`).
    metrics : evaluation figures (JSON-ready, e.g. ``{"supplier": {"ndcg@10": 0.81}}``).
    calibration : :meth:`IsotonicCalibrator.to_dict` output, or None.
    library_versions : defaults to the running versions (:func:`library_versions`).
    notes : free text.
    """

    feature_names: Sequence[str]
    feature_set_version: str
    kinds: Sequence[str]
    params: dict[str, Any]
    window: TrainingWindow
    data_hash: str
    metrics: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] | None = None
    library_versions: dict[str, str] = field(default_factory=library_versions)
    notes: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "feature_names", tuple(self.feature_names))
        object.__setattr__(self, "kinds", tuple(self.kinds))
        if not self.feature_names:
            raise RegistryError("feature_names must not be empty")

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings, sequences as lists)."""
        out = asdict(self)
        out["feature_names"] = list(self.feature_names)
        out["kinds"] = list(self.kinds)
        out["training_window"] = {k: v.isoformat() for k, v in out.pop("window").items()}
        return out

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> ModelMetadata:
        """Inverse of :meth:`to_json_dict`; ignores the registry's own keys."""
        w = data["training_window"]
        return cls(
            feature_names=data["feature_names"],
            feature_set_version=data["feature_set_version"],
            kinds=data["kinds"],
            params=data["params"],
            window=TrainingWindow(start=w["start"], end=w["end"], as_of=w["as_of"]),
            data_hash=data["data_hash"],
            metrics=data.get("metrics", {}),
            calibration=data.get("calibration"),
            library_versions=data.get("library_versions", {}),
            notes=data.get("notes", ""),
        )
