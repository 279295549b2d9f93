"""Ranking metrics: hand-worked values and agreement with pytrec_eval."""

from __future__ import annotations

import math

import numpy as np
import pytest
import pytrec_eval
from hypothesis import given, settings
from hypothesis import strategies as st

from training.errors import InvalidInputError
from training.metrics import (
    MetricResult,
    evaluate,
    map_at_k,
    mrr,
    ndcg_at_k,
    per_query,
    recall_at_k,
    trec_eval_metrics,
    trec_measures,
    trec_per_query,
)

# The 3-item example worked on paper.
#   item  rel  score  rank   gain 2^rel-1   discount 1/log2(rank+1)
#   a     0    0.9    1      0              1
#   b     2    0.5    2      3              1/log2(3) = 0.6309298
#   c     1    0.1    3      1              1/log2(4) = 0.5
# DCG@3  = 0 + 3*0.6309298 + 1*0.5       = 2.3927893
# IDCG@3 = 3*1 + 1*0.6309298             = 3.6309298   (ideal order b, c, a)
# NDCG@3 = 2.3927893 / 3.6309298         = 0.6590019
# NDCG@2 = 1.8927893 / 3.6309298         = 0.5212960
# NDCG@1 = 0 / 3                         = 0
# AP@3   = (P@2 + P@3) / min(3, 2) = (1/2 + 2/3) / 2 = 0.5833333
# recall@1 = 0, recall@2 = 1/2, recall@3 = 1;  reciprocal rank = 1/2
REL3 = np.array([0, 2, 1])
SCORE3 = np.array([0.9, 0.5, 0.1])
Q3 = np.array(["q", "q", "q"])
ID3 = np.array(["a", "b", "c"])


def test_three_item_example_matches_the_paper_values() -> None:
    assert ndcg_at_k(REL3, SCORE3, Q3, ID3, k=3).value == pytest.approx(0.6590019, abs=1e-7)
    assert ndcg_at_k(REL3, SCORE3, Q3, ID3, k=2).value == pytest.approx(0.5212960, abs=1e-7)
    assert ndcg_at_k(REL3, SCORE3, Q3, ID3, k=1).value == 0.0
    assert map_at_k(REL3, SCORE3, Q3, ID3, k=3).value == pytest.approx(0.5833333, abs=1e-7)
    assert recall_at_k(REL3, SCORE3, Q3, ID3, k=1).value == 0.0
    assert recall_at_k(REL3, SCORE3, Q3, ID3, k=2).value == 0.5
    assert recall_at_k(REL3, SCORE3, Q3, ID3, k=3).value == 1.0
    assert mrr(REL3, SCORE3, Q3, ID3).value == 0.5
    assert mrr(REL3, SCORE3, Q3, ID3, k=1).value == 0.0


def test_perfect_ranking_scores_one() -> None:
    rel = np.array([4, 3, 1, 0, 0, 2, 0])
    query = np.array([1, 1, 1, 1, 2, 2, 2])
    ids = np.arange(7)
    scores = rel.astype(float)
    result = evaluate(rel, scores, query, ids, k=2)
    assert {name: r.value for name, r in result.items()} == {
        "ndcg@2": 1.0,
        "map@2": 1.0,
        "recall@2": pytest.approx((2 / 3 + 1) / 2),  # q1 has 3 relevant, only 2 fit in k=2
        "mrr": 1.0,
    }
    assert result["ndcg@2"] == MetricResult(value=1.0, n_queries=2, n_skipped=0)


def test_ties_are_broken_by_candidate_id_ascending() -> None:
    # all scores equal, so the ranking is by id: a, b, c
    scores = np.zeros(3)
    query = np.zeros(3, dtype=int)
    # the relevant item is b -> rank 2
    assert mrr([0, 1, 0], scores, query, ["a", "b", "c"]).value == 0.5
    # row order does not matter: same items, rows shuffled, relevant item still b
    assert mrr([1, 0, 0], scores, query, ["b", "c", "a"]).value == 0.5
    # the relevant item is c -> rank 3
    assert mrr([0, 0, 1], scores, query, ["b", "a", "c"]).value == pytest.approx(1 / 3)
    # integer ids sort numerically: 2 < 10, so item 10 ranks second
    assert mrr([1, 0], [0.0, 0.0], [0, 0], [10, 2]).value == 0.5


def test_row_order_does_not_change_the_result() -> None:
    rng = np.random.default_rng(3)
    rel = rng.integers(0, 3, 40)
    scores = rng.integers(0, 4, 40).astype(float)
    query = np.repeat(np.arange(4), 10)
    ids = np.tile(np.arange(10), 4)
    perm = rng.permutation(40)
    a = per_query(rel, scores, query, ids, k=5)
    b = per_query(rel[perm], scores[perm], query[perm], ids[perm], k=5)
    assert a.equals(b)


def test_k_larger_than_the_list_uses_every_candidate() -> None:
    assert ndcg_at_k(REL3, SCORE3, Q3, ID3, k=50).value == pytest.approx(0.6590019, abs=1e-7)
    # AP@50 divides by min(50, 2 relevant) = 2
    assert map_at_k(REL3, SCORE3, Q3, ID3, k=50).value == pytest.approx(0.5833333, abs=1e-7)


def test_queries_without_a_relevant_candidate_are_left_out_and_counted() -> None:
    rel = np.array([0, 2, 1, 0, 0])
    scores = np.array([0.9, 0.5, 0.1, 0.3, 0.2])
    query = np.array(["q", "q", "q", "empty", "empty"])
    ids = np.array(["a", "b", "c", "x", "y"])
    result = ndcg_at_k(rel, scores, query, ids, k=3)
    assert result.value == pytest.approx(0.6590019, abs=1e-7)
    assert (result.n_queries, result.n_skipped) == (1, 1)
    table = per_query(rel, scores, query, ids, k=3)
    assert list(table.index) == ["empty", "q"]
    assert table.loc["empty", "n_relevant"] == 0
    assert math.isnan(table.loc["empty", "ndcg@3"])


def test_only_empty_queries_give_nan_with_zero_evaluated() -> None:
    result = recall_at_k([0, 0], [1.0, 2.0], ["q", "q"], ["a", "b"], k=1)
    assert math.isnan(result.value)
    assert (result.n_queries, result.n_skipped) == (0, 1)


def test_trec_variant_on_the_three_item_example() -> None:
    # linear gain: DCG = 2/log2(3) + 1/2 = 1.7618597, IDCG = 2 + 1/log2(3) = 2.6309298
    values = trec_eval_metrics(REL3, SCORE3, Q3, ID3, k=10)
    assert values["ndcg_cut_10"] == pytest.approx(1.7618597 / 2.6309298, abs=1e-7)
    assert values["map"] == pytest.approx(0.5833333, abs=1e-7)
    assert values["recip_rank"] == 0.5


def test_trec_variant_breaks_ties_by_docno_descending_and_scores_empty_queries_zero() -> None:
    # equal scores: trec_eval ranks c, b, a; only a is relevant, so it sits at rank 3
    values = trec_per_query([1, 0, 0, 0], [0.0] * 4, ["q", "q", "q", "z"], ["a", "b", "c", "x"])
    assert values.loc["q", "recip_rank"] == pytest.approx(1 / 3)
    assert values.loc["z"].tolist() == [0.0] * 5
    assert set(values.columns) == trec_measures(10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k must be an integer >= 1, got 0"),
        ({"k": 2.5}, "k must be an integer >= 1, got 2.5"),
        ({"k": True}, "k must be an integer >= 1, got True"),
    ],
)
def test_bad_k_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ndcg_at_k(REL3, SCORE3, Q3, ID3, **kwargs)  # type: ignore[arg-type]


def test_bad_arrays_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="same length"):
        ndcg_at_k(REL3, SCORE3[:2], Q3, ID3, k=3)
    with pytest.raises(InvalidInputError, match="integers >= 0"):
        ndcg_at_k([0.5, 1, 0], SCORE3, Q3, ID3, k=3)
    with pytest.raises(InvalidInputError, match="finite"):
        ndcg_at_k(REL3, [np.nan, 1, 0], Q3, ID3, k=3)
    with pytest.raises(InvalidInputError, match="occur once"):
        ndcg_at_k(REL3, SCORE3, Q3, ["a", "a", "c"], k=3)


def test_empty_input_gives_nan() -> None:
    empty = np.array([])
    result = ndcg_at_k(empty, empty, empty, empty, k=10)
    assert math.isnan(result.value)
    assert (result.n_queries, result.n_skipped) == (0, 0)


def _random_long_frame(
    rng: np.random.Generator, n_queries: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rels, scores, queries, ids = [], [], [], []
    for qi in range(n_queries):
        size = int(rng.integers(1, 25))
        # ids of varied length so string order differs from numeric order ("d10" < "d9")
        docs = rng.choice(200, size=size, replace=False)
        p_zero = rng.choice([0.5, 0.8, 1.0])  # some queries have no relevant item at all
        rel = np.where(rng.random(size) < p_zero, 0, rng.integers(1, 5, size))
        rels.append(rel)
        scores.append(rng.integers(0, 5, size) / 4.0)  # few distinct scores: many ties
        queries.append(np.full(size, f"q{qi}"))
        ids.append(np.array([f"d{d}" for d in docs]))
    return (
        np.concatenate(rels),
        np.concatenate(scores),
        np.concatenate(queries),
        np.concatenate(ids),
    )


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 3, 10])
def test_trec_variant_equals_pytrec_eval_on_random_rankings_with_ties(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    rel, scores, query, ids = _random_long_frame(rng, n_queries=60)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q, d, r, s in zip(query, ids, rel, scores, strict=True):
        qrels.setdefault(q, {})[d] = int(r)
        run.setdefault(q, {})[d] = float(s)
    measures = {f"ndcg_cut.{k}", f"map_cut.{k}", "map", f"recall.{k}", "recip_rank"}
    expected = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)

    ours = trec_per_query(rel, scores, query, ids, k=k)
    assert set(ours.columns) == trec_measures(k)
    assert set(ours.index) == set(expected)
    for q, row in ours.iterrows():
        for name, value in row.items():
            assert value == pytest.approx(expected[q][name], abs=1e-9), (q, name)
    means = trec_eval_metrics(rel, scores, query, ids, k=k)
    for name, value in means.items():
        reference = np.mean([expected[q][name] for q in expected])
        assert value == pytest.approx(reference, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["q1", "q2", "q3"]),
            st.integers(0, 30),
            st.integers(0, 4),
            st.sampled_from([0.0, 0.5, 1.0, -1.0]),
        ),
        min_size=1,
        max_size=60,
        unique_by=lambda r: (r[0], r[1]),
    ),
    k=st.integers(1, 12),
)
def test_trec_variant_equals_pytrec_eval_on_generated_rankings(
    rows: list[tuple[str, int, int, float]], k: int
) -> None:
    query = np.array([r[0] for r in rows])
    ids = np.array([f"d{r[1]}" for r in rows])
    rel = np.array([r[2] for r in rows])
    scores = np.array([r[3] for r in rows])
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q, d, r, s in zip(query, ids, rel, scores, strict=True):
        qrels.setdefault(str(q), {})[str(d)] = int(r)
        run.setdefault(str(q), {})[str(d)] = float(s)
    measures = {f"ndcg_cut.{k}", f"map_cut.{k}", "map", f"recall.{k}", "recip_rank"}
    expected = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    ours = trec_per_query(rel, scores, query, ids, k=k)
    for q, row in ours.iterrows():
        for name, value in row.items():
            assert value == pytest.approx(expected[q][name], abs=1e-9), (q, name)
