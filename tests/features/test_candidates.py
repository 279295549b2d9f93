"""Candidate generation on the mini world."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from features.candidates import CandidateGenerator
from features.context import FeatureContext

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
