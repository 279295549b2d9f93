"""Chain-based targeting (以商招商): anchors by role, 沪苏浙 filter and the park's own firms
passed to the ranking service, reciprocal-rank fusion by hand, reasons; and the evaluation
of a merged list against the park's later outcomes, worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from recommender.errors import NotFoundError, ValidationError
from recommender.projects.targeting import HSZ_PROVINCES, RRF_K, chain_targets, evaluate_targets
from recommender.ranking.results import RankedCandidate, RankedList, RankFilters


class FakeRanker:
    """Answers fixed lists and records what it was asked."""

    def __init__(self, lists: dict[tuple[str, str], list[str]]) -> None:
        self.lists = lists
        self.calls: list[tuple[str, str, int, RankFilters | None]] = []

    def rank(
        self,
        kind: str,
        query_id: str,
        *,
        k: int = 20,
        filters: RankFilters | None = None,
        as_of: pd.Timestamp | None = None,
    ) -> RankedList:
        self.calls.append((kind, query_id, k, filters))
        ids = self.lists[(kind, query_id)][:k]
        cands = [
            RankedCandidate(
                rank=i + 1, candidate_id=c, name=f"企业{c}", city_code="330200", city_name="宁波市",
                industry_code="3670", products="零部件", score=1.0 - i / 10, final_score=1.0,
                p_success=None, reasons=[],
            )
            for i, c in enumerate(ids)
        ]  # fmt: skip
        return RankedList(kind, query_id, "", "m-7", pd.Timestamp("2026-01-01"), cands)


LEAD, SUPP = "L1", "S1"  # a leading and a supporting firm already in the park
NAMES = {LEAD: "龙头甲", SUPP: "配套乙"}


def test_merged_by_reciprocal_rank_with_anchors_and_reasons() -> None:
    ranker = FakeRanker({("supplier", LEAD): ["A", "B", "C"], ("customer", SUPP): ["B", "D"]})
    got = chain_targets(
        ranker, park_id="CB10", members=[LEAD, SUPP], leading={LEAD: True, SUPP: False},
        names=NAMES, k=3,
    )  # fmt: skip
    # B: 1/(60+2) + 1/(60+1) beats A: 1/61; C 1/63 and D 1/62: D before C
    assert [t.candidate_id for t in got.targets] == ["B", "A", "D"]
    assert got.targets[0].score == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1), abs=1e-6)
    assert [(a.uscc, a.direction, a.rank) for a in got.targets[0].anchors] == [
        (SUPP, "downstream", 1), (LEAD, "upstream", 2),
    ]  # fmt: skip
    assert got.targets[0].reasons_zh[0].startswith("以商招商·下游客户: 园区企业配套乙")
    assert got.model_versions == ["m-7"]
    kinds = sorted((c[0], c[1]) for c in ranker.calls)
    assert kinds == [("customer", SUPP), ("supplier", LEAD)]
    filters = ranker.calls[0][3]
    assert filters is not None
    assert filters.provinces == HSZ_PROVINCES
    assert filters.exclude_ids == (LEAD, SUPP)


def test_one_named_anchor_and_the_errors() -> None:
    ranker = FakeRanker({("supplier", "X9"): ["A"]})
    got = chain_targets(
        ranker, park_id="CB10", members=[SUPP], leading={SUPP: False, "X9": True},
        names={}, anchor="X9",
    )  # fmt: skip
    assert [t.candidate_id for t in got.targets] == ["A"]
    assert [c[1] for c in ranker.calls] == ["X9"]
    with pytest.raises(NotFoundError):
        chain_targets(ranker, park_id="CB10", members=[], leading={}, names={}, anchor="nope")
    with pytest.raises(ValidationError, match="no known firms"):
        chain_targets(ranker, park_id="CB10", members=[], leading={}, names={})
    with pytest.raises(ValidationError, match="k must be"):
        chain_targets(ranker, park_id="CB10", members=[SUPP], leading={SUPP: False},
                      names={}, k=0)  # fmt: skip


def test_evaluation_against_later_outcomes_by_hand() -> None:
    later = pd.DataFrame(
        {
            "query_kind": ["investor"] * 5 + ["supplier"],
            "query_id": ["CB10", "CB10", "CB10", "CB10", "CB02", "CB10"],
            "candidate_id": ["A", "A", "C", "E", "B", "B"],
            "stage": ["meeting", "signed", "meeting", "landed", "landed", "signed"],
        }
    )
    # grades: A 3 (signed), C 1, E 4 (never shown); B's outcomes are another park's/kind's
    got = evaluate_targets(["B", "A", "D", "C"], later, park_id="CB10", k=3)
    dcg = (2**3 - 1) / math.log2(3)  # A at rank 2; B and D are not relevant
    idcg = (2**4 - 1) / math.log2(2) + (2**3 - 1) / math.log2(3) + (2**1 - 1) / math.log2(4)
    assert got == {
        "precision@3": pytest.approx(1 / 3, abs=1e-6),
        "recall@3": pytest.approx(1 / 3, abs=1e-6),
        "ndcg@3": pytest.approx(dcg / idcg, abs=1e-6),
        "n_relevant": 3,
    }
    perfect = evaluate_targets(["E", "A", "C"], later, park_id="CB10", k=3)
    assert perfect["ndcg@3"] == pytest.approx(1.0)
    none = evaluate_targets(["A"], later.iloc[:0], park_id="CB10", k=3)
    assert math.isnan(none["ndcg@3"])
    assert none["n_relevant"] == 0
