"""The production model, picked up without a restart.

``ModelProvider.current()`` is called once per request: it stats the registry's production
pointer (a cheap ``os.stat``) and, when it changed, loads the new model and swaps it in
under a lock. A request that already holds the previous model finishes with it, so a
promotion never fails a request in flight.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from features.catalogue import FEATURE_NAMES
from recommender.errors import ModelError
from recommender.ranking.forest import CompiledForest, compile_forest
from recommender.ranking.paths import TreePaths
from training.calibration import IsotonicCalibrator
from training.errors import TrainingError
from training.registry import POINTER_FILE, ModelRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServingModel:
    """A loaded, verified model ready to score.

    Scores come from the model's trees compiled to machine code
    (:mod:`recommender.ranking.forest`, compiled on first use, once) or, where they cannot
    be compiled (``compiled=False``, or lleaves fails), from LightGBM's ``predict``: the
    same numbers either way.
    """

    version: str
    booster: lgb.Booster
    calibrator: IsotonicCalibrator | None
    feature_names: tuple[str, ...]
    compiled: bool = True
    column: dict[str, int] = field(init=False, repr=False, compare=False)
    paths: TreePaths = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column", {n: j for j, n in enumerate(self.feature_names)})
        # the reasons' contribution table, built once per loaded model (~0.1 s for 250 trees)
        object.__setattr__(self, "paths", TreePaths(self.booster))

    def prepare(self) -> None:
        """Compile the trees now (else the first request does, ~1 s for 250 trees)."""
        _ = self.forest

    def scores(self, X: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """The model's raw score of every row of ``X`` (columns in ``feature_names``)."""
        forest = self.forest
        if forest is None:
            return np.asarray(self.booster.predict(X, num_threads=1), dtype=np.float64)
        return forest.predict(np.ascontiguousarray(X, dtype=np.float64))

    def best_scores(
        self, X: npt.NDArray[np.float32], *, keep: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The ``keep`` rows of ``X`` the model scores highest (all of them when there are
        no more), in their order in ``X``, and their scores."""
        raw = self.scores(X)
        if len(X) <= keep:
            return np.arange(len(X), dtype=np.int64), raw
        best = np.sort(np.argpartition(-raw, keep - 1)[:keep]).astype(np.int64)
        return best, raw[best]

    @cached_property
    def forest(self) -> CompiledForest | None:
        """The compiled trees (None: score with LightGBM), compiled on first use."""
        return compile_forest(self.booster) if self.compiled else None


def why_not_servable(registry: ModelRegistry, version: str) -> str | None:
    """Why this code cannot serve ``version`` (missing, corrupt, or trained on another
    feature catalogue), in one line, or None when it can."""
    try:
        registry.load(version, expected_features=list(FEATURE_NAMES))
    except TrainingError as exc:
        return str(exc)
    return None


class ModelSource(Protocol):
    """Where the ranking service gets its model, asked once per request."""

    def current(self) -> ServingModel:
        """The model to score this request with."""
        ...


class FixedModel:
    """Always the same model (offline evaluation of a model that is not in production)."""

    def __init__(self, model: ServingModel) -> None:
        self._model = model

    def current(self) -> ServingModel:
        """The model given at construction."""
        return self._model

    @property
    def version(self) -> str:
        """Its version label."""
        return self._model.version


class ModelProvider:
    """Serves the registry's production model and reloads it when the pointer moves."""

    def __init__(self, registry: ModelRegistry) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._model: ServingModel | None = None
        self._stamp: tuple[str | None, int, int] | None = None

    def _pointer_stamp(self) -> tuple[str | None, int, int]:
        """(production version, the pointer's mtime and inode): one ``stat`` a request; the
        pointer is read again only when the file changed (promotion and rollback replace it
        with ``os.replace``: a new inode, even within one mtime tick)."""
        pointer = Path(self.registry.root) / POINTER_FILE
        try:
            st = pointer.stat()
        except FileNotFoundError:
            return (None, 0, 0)
        known = self._stamp
        if known is not None and known[0] is not None and known[1:] == (st.st_mtime_ns, st.st_ino):
            return known
        return (self.registry.production(), st.st_mtime_ns, st.st_ino)

    def current(self) -> ServingModel:
        """The production model; raises :class:`ModelError` when there is none."""
        stamp = self._pointer_stamp()
        model = self._model
        if stamp != self._stamp or model is None:
            with self._lock:
                model = self._model
                if stamp != self._stamp or model is None:
                    try:
                        model = self._load(stamp[0])
                    except ModelError:
                        if self._model is None:
                            raise
                        # keep serving the model we have rather than fail every request
                        log.exception("could not load production model %s", stamp[0])
                        model = self._model
                    self._model = model
                    self._stamp = stamp
        return model

    def _load(self, version: str | None) -> ServingModel:
        if version is None:
            raise ModelError(
                "no production model: train one with `chainmatch train --promote-if-better`"
            )
        try:
            loaded = self.registry.load(version, expected_features=list(FEATURE_NAMES))
        except TrainingError as exc:
            raise ModelError(f"production model {version} cannot be served: {exc}") from exc
        model = ServingModel(
            version=version,
            booster=loaded.booster,
            calibrator=loaded.calibrator,
            feature_names=tuple(loaded.metadata.feature_names),
        )
        model.prepare()
        log.info("serving model %s", version)
        return model

    @property
    def version(self) -> str | None:
        """Version currently loaded (None before the first request)."""
        return self._model.version if self._model else None
