"""Pair features on the hand-made mini world (see conftest.py for the numbers)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from features.catalogue import FEATURE_NAMES
from features.context import FeatureContext
from features.errors import SchemaError
from features.pairs import pair_details, pair_features

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
    np.testing.assert_allclose(f["hist_query_conversion"], [3 / 9] * 3, rtol=1e-6)
    np.testing.assert_allclose(f["hist_city_pair_conversion"], [3 / 7, 1 / 7, 1 / 5], rtol=1e-6)
    early = supplier(ctx, pd.Timestamp("2023-09-01"))  # the signing day itself is not before
    assert early["hist_pair_records"].tolist() == [1, 2, 0]
    assert early["hist_pair_best_grade"].tolist() == [1, 0, 0]


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


def test_details_name_cities_nodes_keyword_and_last_meeting(ctx: FeatureContext) -> None:
    d = pair_details(ctx, kind="supplier", query_ids=[L1, L1, L1], candidate_ids=[S1, S2, S3])
    assert d["paired_cities"].tolist() == ["宁波→蚌埠", "", ""]
    assert d["matched_nodes"].tolist() == ["传感器模组", "MEMS芯片", ""]
    assert d["best_keyword"].tolist() == ["传感器模组", "", ""]
    assert d["candidate_city"].tolist() == ["宁波", "南京", "蚌埠"]
    assert d.loc[0, "last_meeting_date"] == pd.Timestamp("2023-09-01")
    early = pair_details(
        ctx, kind="supplier", query_ids=[L1], candidate_ids=[S1], as_of=pd.Timestamp("2023-06-01")
    )
    assert early.loc[0, "last_meeting_event_id"] == "E1"
    assert early.loc[0, "last_meeting_date"] == pd.Timestamp("2023-05-01")


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
