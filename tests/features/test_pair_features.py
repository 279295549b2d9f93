"""Pair features on the hand-made mini world (see conftest.py for the numbers)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from features.catalogue import FEATURE_NAMES
from features.context import FeatureContext
from features.errors import SchemaError
from features.pairs import matched_node_names, pair_features

L1, S1, S2, S3 = "L1", "S1", "S2", "S3"

AS_OF = pd.Timestamp("2024-01-01")


@pytest.fixture
def ctx(mini_ctx: FeatureContext) -> FeatureContext:
    return mini_ctx


def supplier(ctx: FeatureContext, as_of: pd.Timestamp = AS_OF) -> pd.DataFrame:
    return pair_features(
        ctx, kind="supplier", query_ids=[L1] * 3, candidate_ids=[S1, S2, S3], as_of=as_of
    )


def test_columns_follow_the_catalogue_as_float32_in_input_order(ctx: FeatureContext) -> None:
    f = supplier(ctx)
    assert list(f.columns) == FEATURE_NAMES
    assert (f.dtypes == np.float32).all()
    rev = pair_features(
        ctx, kind="supplier", query_ids=[L1] * 3, candidate_ids=[S3, S2, S1], as_of=AS_OF
    )
    pd.testing.assert_frame_equal(rev.iloc[::-1].reset_index(drop=True), f)


def test_chain_family(ctx: FeatureContext, mini: SimpleNamespace) -> None:
    A = mini.A
    f = supplier(ctx)
    # S1 (div 39 -> sector 0) supplies L1 (sector 0); S2 is chemicals (sector 2); S3 autos (1)
    np.testing.assert_allclose(f["io_a_forward"], [A[0, 0], A[2, 0], A[1, 0]], rtol=1e-6)
    np.testing.assert_allclose(f["io_a_backward"], [A[0, 0], A[0, 2], A[0, 1]], rtol=1e-6)
    L = np.linalg.inv(np.eye(3) - A)
    np.testing.assert_allclose(f["io_l_forward"], [L[0, 0], L[2, 0], L[1, 0]], rtol=1e-6)
    assert f["same_sector"].tolist() == [1, 0, 0]
    # L1 needs the module (its need row, its inputs, and the node upstream of its device);
    # S1 makes the module, S2 the chip one step further up, S3 nothing on the chain
    assert f["node_need_match"].tolist() == [1, 0, 0]
    assert f["node_direct_upstream"].tolist() == [0, 1, 0]
    assert f["node_path_dist"].tolist() == [0, 1, 5]
    assert f["need_coverage"].tolist() == [1, 0, 0]


def test_text_family_is_positive_only_for_shared_wording(ctx: FeatureContext) -> None:
    f = supplier(ctx)
    assert f.loc[0, "text_need_products"] > 0.3
    assert f.loc[1:, "text_need_products"].tolist() == [0, 0]


def test_geo_and_programme_families(ctx: FeatureContext) -> None:
    f = supplier(ctx)
    # 宁波 1 degree, 南京 2 degrees, 蚌埠 0 degrees east of 蚌埠 on the equator
    np.testing.assert_allclose(f["distance_km"], [111.19508, 222.39017, 0.0], rtol=1e-5)
    assert f["same_province"].tolist() == [0, 0, 1]
    np.testing.assert_allclose(
        f["travel_hours"], [111.19508 / 80 + 0.5, 222.39017 / 80 + 0.5, 0], rtol=1e-5
    )
    assert f["official_pair"].tolist() == [1, 0, 0]  # 宁波-蚌埠
    assert f["county_pair"].tolist() == [1, 0, 0]  # 海曙区-怀远县
    assert f["cobuilt_partner"].tolist() == [1, 0, 0]  # P1 in 蚌埠, partner 宁波
    assert f["cross_programme"].tolist() == [1, 1, 0]


def test_quality_family(ctx: FeatureContext) -> None:
    f = supplier(ctx)
    np.testing.assert_allclose(f["size_log_ratio"][0], np.log(101) - np.log(1001), rtol=1e-6)
    np.testing.assert_allclose(f["cand_log_revenue"][1], np.log(100), rtol=1e-6)
    # supplier query: L1 (revenue 50000) buys from S1 (2000), S2 (99), S3 (500)
    np.testing.assert_allclose(
        f["buyer_supplier_log_revenue"],
        [np.log(50001) - np.log(2001), np.log(50001) - np.log(100), np.log(50001) - np.log(501)],
        rtol=1e-6,
    )
    assert f["cand_srdi_level"].tolist() == [2, 1, 0]
    assert f["cand_high_tech"].tolist() == [1, 0, 0]
    assert f["cand_age_years"].tolist() == [14, 4, 9]  # founded 2010, 2020, 2015; as of 2024


def test_history_family_as_of_two_dates(ctx: FeatureContext) -> None:
    f = supplier(ctx)
    # L1-S1: meeting 2023-05-01, signed 2023-09-01; L1-S2: recommended, declined
    assert f["hist_pair_records"].tolist() == [2, 2, 0]
    assert f["hist_pair_best_grade"].tolist() == [3, 0, 0]
    np.testing.assert_allclose(f["hist_cand_conversion"], [3 / 7, 1 / 7, 1 / 5], rtol=1e-6)
    # one pair each: S1's best grade 3 (meeting, signed), S2's 0; S3 none (the prior)
    np.testing.assert_allclose(f["hist_cand_grade_rate"], [4 / 5, 1 / 5, 1 / 4], rtol=1e-6)
    np.testing.assert_allclose(f["hist_query_conversion"], [3 / 9] * 3, rtol=1e-6)
    np.testing.assert_allclose(f["hist_city_pair_conversion"], [3 / 7, 1 / 7, 1 / 5], rtol=1e-6)
    early = supplier(ctx, pd.Timestamp("2023-09-01"))  # the signing day itself is not before
    assert early["hist_pair_records"].tolist() == [1, 2, 0]
    assert early["hist_pair_best_grade"].tolist() == [1, 0, 0]
    np.testing.assert_allclose(early["hist_cand_grade_rate"], [2 / 5, 1 / 5, 1 / 4], rtol=1e-6)


def test_reciprocity_family(ctx: FeatureContext) -> None:
    f = supplier(ctx)
    # S1's two positive records are both with L1 (sector 0), and L1's with S1 (sector 0)
    assert f["recip_cand_serves_sector"].tolist() == [1, 0, 0]
    assert f["recip_query_seeks_sector"].tolist() == [1, 0, 0]


def test_park_family_for_investor_queries(ctx: FeatureContext) -> None:
    f = pair_features(
        ctx, kind="investor", query_ids=["P1"] * 3, candidate_ids=[S1, S2, S3], as_of=AS_OF
    )
    assert f["kind_investor"].tolist() == [1, 1, 1]
    assert f["park_division_match"].tolist() == [1, 0, 0]  # P1 lists division 39
    assert f["park_node_match"].tolist() == [0, 0, 0]  # P1 wants the device
    # 蚌埠 firms need the module and none there makes it: S1 fills the gap
    assert f["park_gap_fill"].tolist() == [1, 0, 0]
    assert f["node_direct_upstream"].tolist() == [1, 0, 0]
    assert np.isnan(f["size_log_ratio"]).all()
    assert (supplier(ctx)[["park_division_match", "park_gap_fill"]] == 0).all().all()


def test_customer_kind_swaps_provider_and_demander(ctx: FeatureContext) -> None:
    f = pair_features(ctx, kind="customer", query_ids=[S1], candidate_ids=[L1], as_of=AS_OF)
    s = supplier(ctx).iloc[[0]].reset_index(drop=True)
    for col in ("io_a_forward", "node_need_match", "need_coverage", "text_need_products"):
        assert f.loc[0, col] == s.loc[0, col]
    assert f.loc[0, "kind_customer"] == 1


def test_per_pair_as_of_dates(ctx: FeatureContext) -> None:
    dates = pd.to_datetime(["2023-09-01", "2024-01-01"]).to_numpy()
    f = pair_features(ctx, kind="supplier", query_ids=[L1, L1], candidate_ids=[S1, S1], as_of=dates)
    assert f["hist_pair_records"].tolist() == [1, 2]


def test_an_outcome_after_the_as_of_date_changes_no_feature(mini: SimpleNamespace) -> None:
    frames = mini.frames()
    later = pd.DataFrame(
        {
            "query_kind": ["supplier", "supplier", "customer"],
            "query_id": [L1, L1, S3],
            "candidate_id": [S2, S3, L1],
            "stage": ["landed", "signed", "meeting"],
            "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2025-01-01"]),
            "event_id": ["E9", "E9", "E9"],
        }
    )
    leaked = mini.context(outcomes=pd.concat([frames["outcomes"], later], ignore_index=True))
    pd.testing.assert_frame_equal(supplier(leaked), supplier(mini.context()))


def test_matched_node_names_for_the_explanations(ctx: FeatureContext) -> None:
    rows = ctx.rows([S1, S2, S3], what="candidates")
    q = ctx.rows([L1, L1, L1], what="queries")
    assert matched_node_names(ctx, rows, q).tolist() == ["传感器模组", "MEMS芯片", ""]


def test_asks_family_reads_need_texts_and_revealed_preferences(mini: SimpleNamespace) -> None:
    frames = mini.frames()
    frames["needs"] = frames["needs"].assign(
        description=["采购传感器模组，要求具备洁净车间与车规级认证能力，优先考虑专精特新企业"]
    )
    frames["enterprises"] = frames["enterprises"].assign(
        products=["传感器终端", "MEMS芯片;传感器模组;洁净车间", "硅片;化工原料", "汽车座椅"]
    )
    ctx = mini.context(**frames)
    # "…车规级认证能力": the phrase stops at the first 能力/资质/认证 word
    assert set(ctx.asks.capabilities) == {"洁净车间", "车规级"}
    when = pd.Timestamp("2024-01-01")
    f = pair_features(
        ctx, kind="supplier", query_ids=[L1] * 3, candidate_ids=[S1, S2, S3], as_of=when
    )
    # S1 names one of the two required capabilities, S2 and S3 none
    np.testing.assert_allclose(f["ask_capability_share"], [0.5, 0.0, 0.0])
    np.testing.assert_allclose(f["ask_capability_missing"], [1.0, 2.0, 2.0])
    # 专精特新 asked for: S1 national (+1), S2 provincial (+1), S3 none (-1); no 皖北 ask
    np.testing.assert_allclose(f["ask_srdi"], [1.0, 1.0, -1.0])
    np.testing.assert_allclose(f["ask_wanbei"], [0.0, 0.0, 0.0])
    # L1's past positive partner records before 2024: S1's meeting and signing (宁波, national
    # 专精特新, revenue 2,000 万元), so 专精特新 providers fit fully, others not at all
    np.testing.assert_allclose(f["pref_partners"], [2.0, 2.0, 2.0])
    np.testing.assert_allclose(f["pref_srdi_fit"], [1.0, 1.0, 0.0])
    np.testing.assert_allclose(f["pref_wanbei_fit"], [1.0, 1.0, 0.0])  # S3 is in 蚌埠
    np.testing.assert_allclose(
        f["pref_size_gap"], np.log([2000.0, 99.0, 500.0]) - np.log(2000.0), rtol=1e-5
    )
    # S2 declined once (its contact was not recorded: the decline is the answer), so its
    # smoothed rate is (1 + 1) / (1 + 4); no answers read as the prior 1 / 4
    np.testing.assert_allclose(f["recip_provider_decline_rate"], [0.25, 0.4, 0.25])
    np.testing.assert_allclose(f["provider_wanbei"], [0.0, 0.0, 1.0])
    before = pair_features(
        ctx, kind="supplier", query_ids=[L1], candidate_ids=[S1], as_of=pd.Timestamp("2023-05-01")
    )
    assert before.loc[0, "pref_partners"] == 0.0  # nothing strictly before the first meeting
    assert np.isnan(before.loc[0, "pref_srdi_fit"])


def test_bad_kind_ids_and_lengths_are_named(ctx: FeatureContext) -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        pair_features(ctx, kind="buyer", query_ids=[L1], candidate_ids=[S1], as_of=AS_OF)
    with pytest.raises(KeyError, match="candidate_ids: 1 unknown ids"):
        pair_features(ctx, kind="supplier", query_ids=[L1], candidate_ids=["nope"], as_of=AS_OF)
    with pytest.raises(ValueError, match="same length"):
        pair_features(ctx, kind="supplier", query_ids=[L1, L1], candidate_ids=[S1], as_of=AS_OF)
    with pytest.raises(ValueError, match="investor queries must be park_ids"):
        pair_features(ctx, kind="investor", query_ids=[L1], candidate_ids=[S1], as_of=AS_OF)


def test_build_names_missing_columns(mini: SimpleNamespace) -> None:
    frames = mini.frames()
    frames["enterprises"] = frames["enterprises"].drop(columns=["products"])
    with pytest.raises(SchemaError, match="products"):
        mini.context(**frames)
