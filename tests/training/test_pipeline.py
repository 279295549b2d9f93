"""The learning loop end to end on a small world: quality, determinism, the promotion guard."""

from __future__ import annotations

import math
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from features.catalogue import FEATURE_NAMES, FEATURE_SET_VERSION
from features.context import FeatureContext
from features.reference import Reference, load_reference
from training.errors import ModelIntegrityError
from training.frames import TrainingFrames, frames_from_world
from training.pipeline import OracleFn, Prepared, TrainConfig, prepare, train_and_evaluate
from training.rankers import fit_lambdarank
from training.registry import ModelMetadata, ModelRegistry, TrainingWindow
from training.run import decide, run_training
from training.world import World, generate_world, true_utility

N_FIRMS = 2000


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def world(reference: Reference) -> World:
    return generate_world(reference, n_firms=N_FIRMS, seed=7)


@pytest.fixture(scope="module")
def frames(world: World, reference: Reference) -> TrainingFrames:
    return frames_from_world(world, reference)


@pytest.fixture(scope="module")
def oracle(world: World) -> OracleFn:
    def fn(kind: str, q: np.ndarray, c: np.ndarray, as_of: np.ndarray) -> np.ndarray:
        return np.asarray(true_utility(world.truth, kind, q, c, as_of=as_of))

    return fn


def _prepare(frames: TrainingFrames, reference: Reference, config: TrainConfig) -> Prepared:
    ctx = FeatureContext.build(
        reference=reference,
        enterprises=frames.enterprises,
        parks=frames.parks,
        needs=frames.needs,
        outcomes=frames.outcomes,
        participants=frames.participants,
    )
    return prepare(ctx, frames.outcomes, config)


@pytest.fixture(scope="module")
def prepared(frames: TrainingFrames, reference: Reference) -> Prepared:
    return _prepare(frames, reference, TrainConfig())


def test_frames_from_world_turn_city_names_into_adcodes(frames: TrainingFrames) -> None:
    codes = set(frames.enterprises["city_code"])
    assert "340300" in codes or "340100" in codes or len(codes) > 10
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert frames.outcomes["date"].dtype.kind == "M"


def test_prepare_splits_by_time_and_samples_negatives_for_training_only(
    prepared: Prepared,
) -> None:
    rows = prepared.rows
    assert list(prepared.X.columns) == FEATURE_NAMES
    assert len(prepared.X) == len(rows)
    by_part = rows.groupby("part")["exposed"]
    assert by_part.max()["train"] < prepared.valid_start <= by_part.min()["valid"]
    assert by_part.max()["valid"] < prepared.test_start <= by_part.min()["test"]
    sampled = rows[rows["sampled"]]
    assert len(sampled) > 0
    # candidate-list and pool negatives for training, pool negatives for early stopping on
    # the validation window, none in the test window (the secondary metrics use shown rows)
    assert set(sampled["part"]) == {"train", "valid"}
    assert (sampled["grade"] == 0).all()
    per_instance = sampled[sampled["part"] == "valid"].groupby("qid").size()
    assert per_instance.max() <= TrainConfig().pool_negatives
    # a sampled negative is never a candidate that was shown in the same query instance
    key = ["query_kind", "query_id", "exposed", "candidate_id"]
    shown = rows.loc[~rows["sampled"], key]
    assert sampled[key].merge(shown, on=key).empty
    # one query instance never straddles two parts
    assert rows.groupby("qid")["part"].nunique().max() == 1


@pytest.mark.slow
def test_trained_model_beats_the_rule_baseline(prepared: Prepared, oracle: OracleFn) -> None:
    result = train_and_evaluate(prepared, TrainConfig(), oracle=oracle)
    m = result.metrics
    ndcg = {name: m[name]["all"]["ndcg@10"] for name in m}
    assert ndcg["lambdarank"] > 1.1 * ndcg["rule"]
    assert ndcg["lambdarank"] > ndcg["popularity"]
    assert ndcg["oracle"] > ndcg["rule"]
    assert 0 < ndcg["lambdarank"] <= 1
    assert m["lambdarank"]["all"]["n_queries"] == sum(
        m["lambdarank"][k]["n_queries"] for k in ("customer", "investor", "supplier")
    )
    assert result.feature_importance["gain"].iloc[0] > 0
    assert 0 <= result.brier <= 1
    p = result.test_scores["p_signed"].to_numpy()
    assert ((p >= 0) & (p <= 1)).all()


@pytest.mark.slow
def test_training_is_deterministic_given_a_seed(
    frames: TrainingFrames, reference: Reference, prepared: Prepared
) -> None:
    again = _prepare(frames, reference, TrainConfig())
    assert again.data_hash() == prepared.data_hash()
    pd.testing.assert_frame_equal(again.X, prepared.X)
    texts = []
    for p in (prepared, again):
        tr_rows, tr_X = p.subset("train")
        va_rows, va_X = p.subset("valid", observed_only=True)
        booster = fit_lambdarank(
            tr_X,
            tr_rows["grade"].to_numpy(),
            tr_rows["qid"].to_numpy(),
            X_valid=va_X,
            y_valid=va_rows["grade"].to_numpy(),
            qid_valid=va_rows["qid"].to_numpy(),
            params=TrainConfig().params,
        )
        texts.append(booster.model_to_string())
    assert texts[0] == texts[1]


def _shuffle_early_labels(outcomes: pd.DataFrame, before: str, seed: int) -> pd.DataFrame:
    """Permute candidates within each query instance exposed before ``before``: the
    training labels become noise, later outcomes (the test window) stay as they were."""
    key = ["query_kind", "query_id", "candidate_id"]
    first = outcomes.groupby(key, as_index=False)["date"].min().rename(columns={"date": "exp"})
    early = first[first["exp"] < pd.Timestamp(before)].copy()
    rng = np.random.default_rng(seed)
    early["new"] = early.groupby(["query_kind", "query_id", "exp"])["candidate_id"].transform(
        lambda s: rng.permutation(s.to_numpy())
    )
    out = outcomes.merge(early[[*key, "new"]], on=key, how="left")
    out["candidate_id"] = out["new"].fillna(out["candidate_id"]).astype(object)
    return out.drop(columns="new")


@pytest.mark.slow
def test_promotion_guard_keeps_a_better_production_model(
    frames: TrainingFrames, reference: Reference, oracle: OracleFn, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path / "models")
    reports = tmp_path / "reports"
    first = run_training(
        frames,
        reference=reference,
        registry=registry,
        report_dir=reports,
        oracle=oracle,
        promote_if_better=True,
    )
    assert first.promoted
    assert first.production_status == "none"
    assert registry.production() == first.version
    assert first.report_path.is_file()
    assert first.report_path.with_suffix(".json").is_file()
    info = registry.show(first.version)
    assert list(info.metadata.feature_names) == FEATURE_NAMES
    assert info.metadata.feature_set_version == FEATURE_SET_VERSION
    assert info.metadata.calibration is not None
    assert info.metadata.metrics["lambdarank"]["all"]["ndcg@10"] == pytest.approx(first.headline())
    assert info.metadata.library_versions["lightgbm"] == lgb.__version__

    test_start = first.windows["valid_start"]
    worse_frames = TrainingFrames(
        enterprises=frames.enterprises,
        parks=frames.parks,
        needs=frames.needs,
        outcomes=_shuffle_early_labels(frames.outcomes, test_start, seed=1),
        participants=frames.participants,
    )
    second = run_training(
        worse_frames,
        reference=reference,
        registry=registry,
        report_dir=reports,
        oracle=oracle,
        promote_if_better=True,
        tolerance=0.005,
    )
    assert second.production_status == "compared"
    assert second.headline("lambdarank") < second.headline("production") - 0.005
    assert not second.promoted
    assert not second.decision.promote
    assert second.decision.reason.startswith("keep production")
    assert registry.production() == first.version
    assert second.version in {i.version for i in registry.list()}
    assert "keep production" in second.report_path.read_text(encoding="utf-8")

    # tamper with the production model: loading refuses it and no run replaces it blindly
    path = registry.root / first.version / "model.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Tree=0", "Tree=00"), "utf-8")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        registry.load(first.version)
    third = run_training(
        frames,
        reference=reference,
        registry=registry,
        report_dir=reports,
        promote_if_better=True,
    )
    assert third.production_status.startswith("corrupt")
    assert not third.promoted
    assert registry.production() == first.version


def _tiny_model(features: list[str]) -> str:
    rng = np.random.default_rng(0)
    X = rng.random((50, len(features)))
    data = lgb.Dataset(X, (X[:, 0] > 0.5).astype(int), feature_name=features)
    params = {"objective": "binary", "verbose": -1, "num_threads": 1}
    return lgb.train(params, data, num_boost_round=2).model_to_string()


def test_a_production_model_on_other_features_is_incomparable(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    features = ["same_sector", "official_pair"]
    meta = ModelMetadata(
        feature_names=features,
        feature_set_version="fs-old",
        kinds=["supplier"],
        params={},
        window=TrainingWindow("2024-01-01", "2024-06-30", "2024-06-30"),
        data_hash="x",
    )
    version = registry.register(_tiny_model(features), meta)
    registry.promote(version)
    from training.run import _production

    found, booster, status = _production(registry)
    assert found == version
    assert booster is None
    assert status.startswith("incomparable")
    decision = decide(
        {"lambdarank": {"all": {"ndcg@10": 0.4}}}, tolerance=0.005, production_status=status
    )
    assert decision.promote
    assert "cannot be compared" in decision.reason


@pytest.mark.parametrize(
    ("new", "prod", "tolerance", "promote"),
    [
        (0.50, 0.50, 0.005, True),
        (0.496, 0.50, 0.005, True),
        (0.494, 0.50, 0.005, False),
        (0.60, 0.50, 0.0, True),
        (0.499, 0.50, 0.0, False),
    ],
)
def test_decide_applies_the_tolerance(
    new: float, prod: float, tolerance: float, promote: bool
) -> None:
    metrics = {"lambdarank": {"all": {"ndcg@10": new}}, "production": {"all": {"ndcg@10": prod}}}
    d = decide(metrics, tolerance=tolerance)
    assert d.promote is promote
    assert d.new_ndcg == new
    assert d.production_ndcg == prod


def test_decide_never_promotes_partial_or_over_a_corrupt_production() -> None:
    metrics = {"lambdarank": {"all": {"ndcg@10": 0.9}}}
    assert decide(metrics, tolerance=0.0, production_status="none").promote
    assert not decide(metrics, tolerance=0.0, production_status="none", all_kinds=False).promote
    corrupt = decide(metrics, tolerance=0.0, production_status="corrupt: sha256 differs")
    assert not corrupt.promote
    assert math.isclose(corrupt.new_ndcg, 0.9)
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        decide(metrics, tolerance=-0.1)
