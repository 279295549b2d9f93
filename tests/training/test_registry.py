"""Model registry: round trip, refused models, promotion and rollback, atomic pointer."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest

from training.calibration import IsotonicCalibrator
from training.errors import (
    ModelIntegrityError,
    ModelNotFoundError,
    RegistryError,
    TrainingError,
)
from training.registry import (
    POINTER_FILE,
    ModelMetadata,
    ModelRegistry,
    TrainingWindow,
    data_hash,
    library_versions,
)

FEATURES = ["same_sector", "official_pair", "distance_km"]


@pytest.fixture(scope="module")
def booster() -> lgb.Booster:
    rng = np.random.default_rng(0)
    X = rng.random((60, 3))
    y = (X[:, 0] > 0.5).astype(int)
    data = lgb.Dataset(X, y, feature_name=FEATURES, params={"verbose": -1})
    return lgb.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 4, "seed": 1},
        data,
        num_boost_round=3,
    )


def _metadata(**changes: object) -> ModelMetadata:
    fields: dict[str, object] = {
        "feature_names": FEATURES,
        "feature_set_version": "fs-1",
        "kinds": ["supplier"],
        "params": {"objective": "lambdarank", "num_leaves": 4},
        "window": TrainingWindow(date(2025, 1, 1), date(2025, 12, 31), date(2026, 1, 1)),
        "data_hash": "abc123",
        "metrics": {"supplier": {"ndcg@10": 0.8125}},
        "calibration": IsotonicCalibrator().fit([0.0, 1.0, 2.0], [0, 0, 1]).to_dict(),
    }
    fields.update(changes)
    return ModelMetadata(**fields)  # type: ignore[arg-type]


class _Clock:
    """Fixed start time, one second per call."""

    def __init__(self) -> None:
        self.t = datetime(2026, 11, 27, 12, 5, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        now = self.t
        self.t = self.t.replace(second=(self.t.second + 1) % 60)
        return now


def test_register_then_load_round_trips(tmp_path: Path, booster: lgb.Booster) -> None:
    registry = ModelRegistry(tmp_path / "models", clock=_Clock())
    version = registry.register(booster.model_to_string(), _metadata())
    assert version.startswith("20261127T120501-")
    assert len(version.split("-")[1]) == 6

    stored = json.loads((tmp_path / "models" / version / "metadata.json").read_text())
    assert stored["feature_names"] == FEATURES
    assert stored["training_window"] == {
        "start": "2025-01-01",
        "end": "2025-12-31",
        "as_of": "2026-01-01",
    }
    assert stored["library_versions"] == library_versions()
    assert stored["calibration"]["kind"] == "isotonic"
    assert len(stored["sha256"]) == 64

    loaded = registry.load(version, expected_features=FEATURES)
    X = np.random.default_rng(1).random((5, 3))
    np.testing.assert_allclose(loaded.booster.predict(X), booster.predict(X))
    assert loaded.metadata == _metadata()
    assert loaded.calibrator is not None
    np.testing.assert_allclose(loaded.calibrator.transform([0.0, 2.0]), [0.0, 1.0])
    assert [i.version for i in registry.list()] == [version]
    assert registry.show(version).metadata.metrics == {"supplier": {"ndcg@10": 0.8125}}


def test_tampered_model_file_is_refused(tmp_path: Path, booster: lgb.Booster) -> None:
    registry = ModelRegistry(tmp_path)
    version = registry.register(booster.model_to_string(), _metadata())
    model_file = tmp_path / version / "model.txt"
    model_file.write_text(model_file.read_text().replace("shrinkage=", "shrinkage=9"))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        registry.load(version)
    with pytest.raises(ModelIntegrityError, match="sha256"):
        registry.promote(version)
    assert registry.production() is None


def test_wrong_feature_list_is_refused(tmp_path: Path, booster: lgb.Booster) -> None:
    registry = ModelRegistry(tmp_path)
    version = registry.register(booster.model_to_string(), _metadata())
    with pytest.raises(ModelIntegrityError, match="trained on features"):
        registry.load(version, expected_features=list(reversed(FEATURES)))
    with pytest.raises(ModelIntegrityError, match="trained on features"):
        registry.load(version, expected_features=FEATURES[:2])
    assert issubclass(ModelIntegrityError, TrainingError)


def test_register_refuses_metadata_that_disagrees_with_the_model(
    tmp_path: Path, booster: lgb.Booster
) -> None:
    registry = ModelRegistry(tmp_path)
    with pytest.raises(ModelIntegrityError, match="metadata says"):
        registry.register(booster.model_to_string(), _metadata(feature_names=["a", "b", "c"]))
    with pytest.raises(ModelIntegrityError, match="not a LightGBM"):
        registry.register("hello", _metadata())
    assert registry.list() == []


def test_unknown_or_malformed_versions_are_not_found(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    with pytest.raises(ModelNotFoundError, match="no model 20260101T000000-abcdef"):
        registry.show("20260101T000000-abcdef")
    with pytest.raises(ModelNotFoundError, match="not a version id"):
        registry.load("../../etc")
    assert registry.production() is None
    assert registry.list() == []


def test_promote_and_rollback_sequence(tmp_path: Path, booster: lgb.Booster) -> None:
    registry = ModelRegistry(tmp_path, clock=_Clock())
    text = booster.model_to_string()
    a, b, c = (registry.register(text, _metadata()) for _ in range(3))
    assert [i.version for i in registry.list()] == sorted([a, b, c]) == [a, b, c]

    with pytest.raises(RegistryError, match="no earlier production model"):
        registry.rollback()
    registry.promote(a)
    registry.promote(b)
    registry.promote(b)  # no change
    registry.promote(c)
    assert registry.production() == c
    assert [i.production for i in registry.list()] == [False, False, True]

    assert registry.rollback() == b
    assert registry.production() == b
    assert registry.rollback() == a
    with pytest.raises(RegistryError, match="no earlier production model"):
        registry.rollback()
    assert registry.production() == a
    registry.promote(c)
    assert registry.rollback() == a
    assert [(e["action"], e["version"]) for e in registry.history()] == [
        ("promote", a),
        ("promote", b),
        ("promote", c),
        ("rollback", b),
        ("rollback", a),
        ("promote", c),
        ("rollback", a),
    ]


def test_rollback_after_an_interrupted_switch_goes_to_the_version_before_the_live_one(
    tmp_path: Path, booster: lgb.Booster
) -> None:
    registry = ModelRegistry(tmp_path, clock=_Clock())
    text = booster.model_to_string()
    a, b, c = (registry.register(text, _metadata()) for _ in range(3))
    registry.promote(a)
    registry.promote(b)
    registry.promote(c)
    # simulate a crash after the history was written but before the pointer moved to c
    (tmp_path / POINTER_FILE).write_text(b + "\n")
    assert registry.rollback() == a


def test_pointer_is_switched_with_os_replace(
    tmp_path: Path, booster: lgb.Booster, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = ModelRegistry(tmp_path)
    version = registry.register(booster.model_to_string(), _metadata())
    targets: list[str] = []
    real_replace = os.replace

    def recording_replace(src: str | Path, dst: str | Path) -> None:
        targets.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    registry.promote(version)
    assert targets == ["PRODUCTION.history.json", POINTER_FILE]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_readers_never_see_a_partial_pointer(tmp_path: Path, booster: lgb.Booster) -> None:
    registry = ModelRegistry(tmp_path, clock=_Clock())
    text = booster.model_to_string()
    versions = [registry.register(text, _metadata()) for _ in range(2)]
    registry.promote(versions[0])
    seen: list[str | None] = []
    stop = threading.Event()

    def read() -> None:
        reader = ModelRegistry(tmp_path)
        while not stop.is_set():
            seen.append(reader.production())

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for i in range(200):
            registry.promote(versions[(i + 1) % 2])
    finally:
        stop.set()
        thread.join()
    assert seen
    assert set(seen) <= set(versions)


def test_data_hash_depends_on_values_and_columns() -> None:
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert data_hash(frame) == data_hash(frame.copy())
    assert data_hash(frame) != data_hash(frame.assign(a=[1, 3]))
    assert data_hash(frame) != data_hash(frame.rename(columns={"a": "c"}))
