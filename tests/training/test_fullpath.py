"""Full-path evaluation: hand-worked list metrics, relevance windows, and a case where
re-ranking the logged pairs and scoring the lists a user gets disagree."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from training.fullpath import full_path_metrics, list_metrics, logged_relevance, query_instances
from training.pipeline import metrics_by_kind
from training.run import decide, primary_keys

DAY = pd.Timestamp("2025-03-01")


def test_list_metrics_by_hand() -> None:
    # list a, b, c; relevant b (grade 2, gain 3) and d (grade 3, gain 7), which the list missed
    m = list_metrics(["a", "b", "c"], {"b": 2, "d": 3}, k=3)
    dcg = 3 / np.log2(3)
    idcg = 7 / np.log2(2) + 3 / np.log2(3)
    assert m["ndcg@3"] == pytest.approx(dcg / idcg)
    assert m["recall@3"] == pytest.approx(0.5)
    assert list_metrics(["d", "b"], {"b": 2, "d": 3}, k=3)["ndcg@3"] == pytest.approx(1.0)
    # fractional (expected) grades are gains too
    assert list_metrics(["x"], {"x": 0.5, "y": 0.25}, k=1)["ndcg@1"] == pytest.approx(1.0)
    assert np.isnan(list_metrics(["a"], {"a": 0}, k=5)["ndcg@5"])
    with pytest.raises(ValueError, match="k must be an integer >= 1, got 0"):
        list_metrics(["a"], {"a": 1}, k=0)


def _labels(rows: list[tuple[str, str, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["query_kind", "query_id", "candidate_id", "exposed", "grade"]
    ).assign(exposed=lambda f: pd.to_datetime(f["exposed"]))


def test_logged_relevance_keeps_later_pairs_inside_the_horizon_only() -> None:
    labels = _labels(
        [
            ("supplier", "Q", "A", "2025-03-01", 2),  # the instance's own pair
            ("supplier", "Q", "B", "2025-05-01", 3),  # shown later, within 180 days
            ("supplier", "Q", "C", "2025-12-01", 4),  # beyond the horizon
            ("supplier", "Q", "D", "2025-02-01", 4),  # before the instance
            ("supplier", "Q", "E", "2025-03-01", 0),  # no positive stage
            ("supplier", "R", "F", "2025-03-01", 1),  # another query
        ]
    )
    inst = query_instances(labels[labels["query_id"] == "Q"].iloc[:1])
    rel = logged_relevance(labels, inst, horizon_days=180)
    assert dict(zip(rel["candidate_id"], rel["grade"], strict=True)) == {"A": 2, "B": 3}


class _Fixed:
    """A ranker that returns one fixed list whatever the query."""

    def __init__(self, listed: list[str]) -> None:
        self.listed = listed

    def top(self, kind: str, query_id: str, *, as_of: pd.Timestamp, k: int) -> Sequence[str]:
        return self.listed[:k]


def test_full_path_and_logged_reranking_disagree_on_a_hand_built_case() -> None:
    # one query; the earlier rule showed X (nothing came of it) and Y (intention, grade 2)
    logged = pd.DataFrame(
        {
            "query_kind": ["supplier", "supplier"],
            "query_id": ["Q", "Q"],
            "candidate_id": ["X", "Y"],
            "exposed": [DAY, DAY],
            "grade": [0, 2],
            "qid": [0, 0],
        }
    )
    # model A orders the logged pair right (Y over X) ...
    rerank_a = metrics_by_kind(logged, np.array([0.1, 0.9]), k=2)["all"]["ndcg@2"]
    # ... model B wrong (X over Y)
    rerank_b = metrics_by_kind(logged, np.array([0.9, 0.1]), k=2)["all"]["ndcg@2"]
    assert rerank_a == pytest.approx(1.0)
    assert rerank_b == pytest.approx(1 / np.log2(3))
    # over the whole catalogue A's list is filled with firms nobody met and loses Y, while
    # B's puts Y first: the full path prefers B
    inst = query_instances(logged)
    rel = logged_relevance(logged, inst, horizon_days=180)
    full_a = full_path_metrics(_Fixed(["M", "N", "X", "Y"]), inst, rel, k=2).metrics
    full_b = full_path_metrics(_Fixed(["Y", "X", "M"]), inst, rel, k=2).metrics
    assert full_a["all"]["ndcg@2"] == pytest.approx(0.0)
    assert full_b["all"]["ndcg@2"] == pytest.approx(1.0)
    assert full_a["supplier"]["n_queries"] == 1.0
    # the promotion guard follows the full path when it is there
    metrics = {
        "lambdarank": {"all": {"ndcg@10": rerank_a}},
        "production": {"all": {"ndcg@10": rerank_b}},
        "full_path": {"all": {"ndcg@10": full_a["all"]["ndcg@2"]}},
        "production_full_path": {"all": {"ndcg@10": full_b["all"]["ndcg@2"]}},
    }
    assert primary_keys(metrics) == ("full_path", "production_full_path")
    d = decide(metrics, tolerance=0.005)
    assert not d.promote
    assert d.new_ndcg == 0.0
    assert d.production_ndcg == 1.0
    no_full = {k: v for k, v in metrics.items() if not k.endswith("full_path")}
    assert decide(no_full, tolerance=0.005).promote


def test_instances_without_a_later_outcome_are_skipped_and_counted() -> None:
    inst = pd.DataFrame({"query_kind": ["investor"], "query_id": ["P1"], "exposed": [DAY]})
    rel = pd.DataFrame(columns=["query_kind", "query_id", "exposed", "candidate_id", "grade"])
    res = full_path_metrics(_Fixed(["A"]), inst, rel, k=10)
    assert res.metrics["investor"]["n_skipped"] == 1.0
    assert res.metrics["all"]["n_queries"] == 0.0
    assert res.lists["candidate_id"].tolist() == ["A"]
