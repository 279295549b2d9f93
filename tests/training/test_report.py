"""The evaluation report renders and shows the figures it was given."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from training.calibration import reliability_table
from training.report import EvaluationResults, lift_table, summary, write_report


def _results() -> EvaluationResults:
    metrics = {
        "lambdarank": {
            "all": {"ndcg@10": 0.8123, "mrr": 0.7001, "n_queries": 120.0},
            "supplier": {"ndcg@10": 0.8456, "mrr": 0.7302, "n_queries": 70.0},
            "investor": {"ndcg@10": 0.7654, "mrr": 0.6543, "n_queries": 50.0},
        },
        "rule": {
            "all": {"ndcg@10": 0.5000, "mrr": 0.4111, "n_queries": 120.0},
            "supplier": {"ndcg@10": 0.6000, "mrr": 0.4222, "n_queries": 70.0},
            "investor": {"ndcg@10": 0.4000, "mrr": 0.3333, "n_queries": 50.0},
        },
        "popularity": {"all": {"ndcg@10": 0.3210}, "supplier": {"ndcg@10": 0.3333}},
        "oracle": {"all": {"ndcg@10": 0.9876}},
    }
    importance = pd.DataFrame(
        {"feature": [f"f{i:02d}" for i in range(25)], "gain": np.arange(25, dtype=float) * 10}
    )
    p = np.array([0.05, 0.15, 0.15, 0.95])
    return EvaluationResults(
        metrics=metrics,
        feature_importance=importance,
        calibration=reliability_table(p, np.array([0, 0, 1, 1])),
        windows={"train_start": "2024-01-01", "test_start": "2025-07-01"},
        promotion="晋升: NDCG@10 0.8123 ≥ production 0.8000 − 0.005",
        model_version="20261127T120501-3fa9c2",
        brier=0.1234,
        n_rows={"train": 12345, "test": 678},
    )


def test_lift_is_the_ratio_to_the_rule_baseline() -> None:
    lift = lift_table(_results())
    assert set(lift) == {"lambdarank", "popularity", "oracle"}
    assert lift["lambdarank"]["all"] == 0.8123 / 0.5
    assert lift["lambdarank"]["supplier"] == 0.8456 / 0.6
    assert lift["popularity"]["all"] == 0.3210 / 0.5
    assert math.isnan(lift["popularity"]["investor"])  # popularity has no investor figure


def test_report_renders_with_the_numbers_passed_in(tmp_path: Path) -> None:
    out = write_report(tmp_path / "reports" / "eval.html", _results())
    assert out == tmp_path / "reports" / "eval.html"
    html = out.read_text(encoding="utf-8")
    for number in ["0.8123", "0.8456", "0.7654", "0.5000", "0.3210", "0.9876", "0.7302", "0.1234"]:
        assert number in html, number
    assert f"{0.8456 / 0.6:.4f}×" in html  # lift, supplier
    assert "12,345" in html
    assert "120" in html
    assert "20261127T120501-3fa9c2" in html
    assert "晋升: NDCG@10 0.8123 ≥ production 0.8000 − 0.005" in html
    assert "规则基线 rule baseline" in html
    assert "特征重要性" in html
    # top 20 of 25 features by gain: f24 .. f05 shown, f04 not
    assert "<td>f24</td>" in html
    assert "<td>f05</td>" in html
    assert "<td>f04</td>" not in html
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)) == 4


def test_json_summary_is_written_beside_the_report(tmp_path: Path) -> None:
    results = _results()
    out = write_report(tmp_path / "eval.html", results)
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(summary(results)))
    assert data["metrics"]["lambdarank"]["supplier"]["ndcg@10"] == 0.8456
    assert data["lift"]["popularity"]["investor"] is None
    assert data["feature_importance"][0] == {"feature": "f24", "gain": 240.0}
    assert len(data["feature_importance"]) == 20
    assert data["calibration"][1]["observed_rate"] == 0.5
    assert data["calibration"][2]["observed_rate"] is None


def test_report_without_calibration_or_importance_still_renders(tmp_path: Path) -> None:
    results = EvaluationResults(
        metrics={"lambdarank": {"all": {"ndcg@10": 0.42}}},
        feature_importance=pd.DataFrame({"feature": [], "gain": []}),
        calibration=None,
        windows={},
        promotion="not promoted: no production model to compare",
    )
    html = write_report(tmp_path / "r.html", results).read_text(encoding="utf-8")
    assert "0.4200" in html
    assert "无校准" in html
