"""Candidate generation on the mini world."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.candidates import CandidateGenerator, best_first, city_scores, prior_percentile
from features.context import FeatureContext
from features.topk import SortedLists, top_across

L1, S1, S2, S3 = "L1", "S1", "S2", "S3"


@pytest.fixture
def ctx(mini_ctx: FeatureContext) -> FeatureContext:
    return mini_ctx


def test_supplier_candidates_are_non_leading_firms_best_first(ctx: FeatureContext) -> None:
    got = CandidateGenerator(ctx).generate("supplier", L1).tolist()
    # S1 and S2 are past partners (latest first: S1 signed in 2023-09, S2 declined 2023-06)
    assert got[:2] == [S1, S2]
    assert L1 not in got
    assert set(got) <= {S1, S2, S3}


def test_a_deregistered_firm_is_never_a_candidate(mini: SimpleNamespace) -> None:
    frames = mini.frames()
    # S1 makes exactly what L1 needs and is its past partner: the first candidate while live
    frames["enterprises"] = frames["enterprises"].assign(
        status=["active", "deregistered", "active", "active"]
    )
    ctx = mini.context(**frames)
    assert not ctx.live[ctx.rows([S1], what="firm")[0]]
    for kind, query in (("supplier", L1), ("investor", "P1")):
        got = CandidateGenerator(ctx).generate(kind, query).tolist()
        assert S1 not in got
        assert got  # the others still come


def test_past_partners_respect_the_as_of_date(ctx: FeatureContext) -> None:
    gen = CandidateGenerator(ctx, quotas={"history": 1.0, "node": 0, "text": 0, "sector": 0})
    # on 2023-05-01 nothing is in the past yet: the other sources fill the list
    first = gen.generate("supplier", L1, as_of=pd.Timestamp("2023-05-01")).tolist()
    assert set(first) == {S1, S2, S3}
    assert gen.generate("supplier", L1, n=1, as_of=pd.Timestamp("2023-07-01")).tolist() == [S2]


def test_node_source_finds_the_maker_of_a_needed_node(ctx: FeatureContext) -> None:
    gen = CandidateGenerator(ctx, quotas={"history": 0, "node": 1.0, "text": 0, "sector": 0})
    assert gen.generate("supplier", L1, n=1).tolist() == [S1]
    # the park wants the device (made by L1, a leading firm but from 蚌埠, not 沪苏浙);
    # the module fills the gap and S1 in 宁波 makes it, S2 (南京) the chip one step up
    assert gen.generate("investor", "P1", n=2).tolist() == [S1, S2]


def test_customer_candidates_are_leading_firms(ctx: FeatureContext) -> None:
    assert CandidateGenerator(ctx).generate("customer", S1).tolist() == [L1]


def test_cap_and_n_limit_the_list(ctx: FeatureContext) -> None:
    assert len(CandidateGenerator(ctx, cap=2).generate("supplier", L1)) == 2
    assert len(CandidateGenerator(ctx).generate("supplier", L1, n=1)) == 1
    with pytest.raises(ValueError, match="cap must be an integer >= 1, got 0"):
        CandidateGenerator(ctx, cap=0)
    with pytest.raises(ValueError, match="must be a park"):
        CandidateGenerator(ctx).generate("investor", L1)


def test_firms_registered_at_the_same_event_are_proposed(mini: SimpleNamespace) -> None:
    participants = pd.DataFrame(
        {
            "event_id": ["E1", "E1", "E2"],
            "uscc": [L1, S3, S2],
            "role": ["leading", "supporting", "supporting"],
        }
    )
    ctx = mini.context(participants=participants)
    gen = CandidateGenerator(ctx, quotas={"event": 1.0})
    assert gen.generate("supplier", L1, n=1).tolist() == [S3]


# -- place score, prior percentile, threshold merge ---------------------------------------

NINGBO_BENGBU = 1.0 + math.exp(-111.195 / 250.0)  # paired, one degree apart on the equator


def _more_firms(mini: SimpleNamespace, rows: dict[str, Any]) -> FeatureContext:
    frames = mini.frames()
    extra = pd.DataFrame(rows)
    base = frames["enterprises"]
    extra = extra.reindex(columns=base.columns)
    for col in ("district", "inputs"):
        extra[col] = ""
    extra["founded"] = 2010
    extra["revenue_wan"] = 1000.0
    extra["is_leading"] = False
    extra["is_high_tech"] = extra["is_high_tech"].fillna(False).astype(bool)
    extra["listed"] = extra["listed"].fillna(False).astype(bool)
    enterprises = pd.concat([base, extra.astype(base.dtypes.to_dict())], ignore_index=True)
    return cast(FeatureContext, mini.context(enterprises=enterprises))


MORE: dict[str, Any] = {
    "uscc": ["S4", "S5", "S6"],
    "name": ["甬小", "宁大", "滁大"],
    "city_code": ["330200", "320100", "341100"],
    "industry_code": ["3973", "3973", "3973"],
    "products": ["传感器模组", "传感器模组", "汽车座椅"],
    "chain_nodes": ["sensor.module", "sensor.module", ""],
    "employees": [5, 2000, 5000],
    "srdi_level": ["none", "national", "national"],
    "is_high_tech": [False, True, True],
    "listed": [False, True, True],
}


def test_city_scores_add_the_pairing_bonus_to_distance_decay(ctx: FeatureContext) -> None:
    S = city_scores(ctx)
    bengbu, ningbo, nanjing = (int(ctx.city[r]) for r in ctx.rows([L1, S1, S2], what="id"))
    assert S[bengbu, ningbo] == pytest.approx(NINGBO_BENGBU, abs=1e-4)
    assert S[ningbo, bengbu] == pytest.approx(NINGBO_BENGBU, abs=1e-4)
    assert S[bengbu, nanjing] == pytest.approx(math.exp(-222.39 / 250.0), abs=1e-4)
    assert S[bengbu, bengbu] == pytest.approx(1.0)


def test_prior_percentile_ranks_within_the_pool_only() -> None:
    prior = np.array([3.0, 1.0, 2.0, 2.0, 9.0])
    pool = np.array([True, True, True, True, False])
    assert prior_percentile(prior, pool).tolist() == [1.0, 0.25, 0.75, 0.75, 0.0]


def test_place_source_ranks_by_city_score_plus_prior(mini: SimpleNamespace) -> None:
    ctx = _more_firms(mini, MORE)
    gen = CandidateGenerator(ctx, quotas={"place": 1.0})
    # supplier pool (non-leading) by prior: S4 1/6, S2 2/6, S3 3/6, S1 4/6, S5 5/6, S6 1.
    # From 蚌埠: S1 宁波 1.641 + 0.667; S4 宁波 1.641 + 0.167; S3 蚌埠 1 + 0.5;
    # S6 滁州 exp(-333.6/250) = 0.263 + 1; S5 南京 0.411 + 0.833; S2 南京 0.411 + 0.333
    assert gen.generate("supplier", L1).tolist() == [S1, "S4", S3, "S6", "S5", S2]


def test_investor_node_levels_are_ordered_by_place_then_prior(mini: SimpleNamespace) -> None:
    ctx = _more_firms(mini, MORE)
    gen = CandidateGenerator(ctx, quotas={"node": 1.0})
    # 沪苏浙 pool by prior: S4 0.25, S2 0.5, S1 0.75, S5 1.0 (S6 is in 滁州, Anhui).
    # Makers of the module (the park's gap): S1 and S4 in the paired 宁波 (1.641 + prior)
    # before S5 in 南京 (0.411 + 1.0), although S5 has the best prior; then S2 (chip, upstream)
    assert gen.generate("investor", "P1").tolist() == [S1, "S4", "S5", S2]


def _lists() -> SortedLists:
    keys = np.array([1, 0, 0, 1, 0])
    rows = np.array([20, 10, 11, 21, 12])
    value = np.zeros(22)
    value[[10, 11, 12, 20, 21]] = [0.9, 0.5, 0.1, 0.8, 0.7]
    return SortedLists.build(keys, rows, value, 2)


def test_top_across_takes_the_best_offset_plus_value() -> None:
    lists = _lists()
    # scores: 10: 0.9, 11: 0.5, 12: 0.1 (offset 0); 20: 0.95, 21: 0.85 (offset 0.15)
    offsets = np.array([0.0, 0.15])
    assert top_across(lists, np.array([0, 1]), offsets, 3).tolist() == [20, 10, 21]
    assert top_across(lists, np.array([0, 1]), offsets, 10).tolist() == [20, 10, 21, 11, 12]
    assert top_across(lists, np.array([1]), np.array([0.0]), 1).tolist() == [20]
    assert top_across(lists, np.array([0, 1]), offsets, 0).tolist() == []


def test_sorted_lists_refuse_values_outside_the_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"values must lie in \[0, 1\], got min"):
        SortedLists.build(np.array([0]), np.array([0]), np.array([1.5]), 1)


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 300),
    n_keys=st.integers(1, 12),
    k=st.integers(1, 320),
    seed=st.integers(0, 2**32 - 1),
)
def test_top_across_equals_scoring_every_row(n_rows: int, n_keys: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, n_keys, n_rows)
    value = rng.random(n_rows)
    lists = SortedLists.build(keys, np.arange(n_rows), value, n_keys)
    use = rng.permutation(n_keys)[: rng.integers(1, n_keys + 1)]
    offsets = rng.random(len(use)) * 2
    got = top_across(lists, use, offsets, k)
    off = dict(zip(use.tolist(), offsets.tolist(), strict=True))
    mine = np.flatnonzero(np.isin(keys, use))
    score = value[mine] + np.array([off[int(x)] for x in keys[mine]])
    want = mine[np.argsort(-score, kind="stable")][:k]
    assert got.tolist() == want.tolist()


def test_best_first_is_the_head_of_a_stable_argsort_ties_and_nan_included() -> None:
    rng = np.random.default_rng(0)
    for _ in range(500):
        n, k = int(rng.integers(0, 60)), int(rng.integers(1, 70))
        keys = rng.integers(0, 5, n).astype(np.float64)  # many ties at the cut
        keys[rng.random(n) < 0.1] = np.nan
        want = np.argsort(keys, kind="stable")[:k]
        np.testing.assert_array_equal(best_first(keys, k), want)


def test_node_lists_kept_per_node_profile_are_the_lists_a_fresh_generator_makes() -> None:
    """Firms (and parks) with the same node bits share one node-source list: asking in any
    order gives each query what a generator that never saw another query gives it."""
    from features.reference import load_reference
    from training.frames import frames_from_world
    from training.world import generate_world

    reference = load_reference()
    world = generate_world(reference, n_firms=800, seed=5)
    ctx = frames_from_world(world, reference).context(reference)
    leading = ctx.firms["is_leading"].astype(bool).to_numpy()
    queries = (
        [("supplier", str(u)) for u in ctx.firms.loc[leading, "uscc"].head(25)]
        + [("customer", str(u)) for u in ctx.firms.loc[~leading, "uscc"].head(25)]
        + [("investor", str(p)) for p in ctx.parks["park_id"].head(10)]
    )
    shared = CandidateGenerator(ctx)
    as_of = pd.Timestamp("2025-06-01")
    for kind, q in queries:
        got = shared.generate(kind, q, n=200, as_of=as_of)
        want = CandidateGenerator(ctx).generate(kind, q, n=200, as_of=as_of)
        assert got.tolist() == want.tolist(), (kind, q)
    kept = [key for key in shared._memos if key[0] == "node"]
    assert 0 < len(kept) < len(queries)  # some queries shared a profile
