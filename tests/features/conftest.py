"""Fixtures of the feature tests: a hand-made mini world (no dependence on the synthetic world).

Cities sit on the equator one degree apart so distances are easy to work by hand:
宁波 (lon 1) and 蚌埠 (lon 0) are 111.195 km apart; 南京 (lon 2) and 滁州 (lon 3).
One chain: sensor.chip -> sensor.module -> sensor.device.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from features.context import FeatureContext
from features.reference import Reference

L1, S1, S2, S3 = "L1", "S1", "S2", "S3"  # short ids are fine: features never check uscc
A = np.array([[0.2, 0.0, 0.1], [0.05, 0.3, 0.0], [0.1, 0.0, 0.2]])


def mini_reference() -> Reference:
    cities = pd.DataFrame(
        {
            "city_code": ["330200", "340300", "320100", "341100"],
            "name": ["宁波市", "蚌埠市", "南京市", "滁州市"],
            "short_name": ["宁波", "蚌埠", "南京", "滁州"],
            "name_en": ["Ningbo", "Bengbu", "Nanjing", "Chuzhou"],
            "province": ["浙江省", "安徽省", "江苏省", "安徽省"],
            "level": ["prefecture"] * 4,
            "lon": [1.0, 0.0, 2.0, 3.0],
            "lat": [0.0, 0.0, 0.0, 0.0],
            "role": ["helping", "wanbei", "helping", "wanbei"],
            "partner_code": ["340300", "330200", "341100", "320100"],
        }
    )
    county_pairs = pd.DataFrame(
        {
            "helping_code": ["330203"],
            "helping_name": ["海曙区"],
            "wanbei_code": ["340321"],
            "wanbei_name": ["怀远县"],
        }
    )
    io_sectors = pd.DataFrame(
        {
            "io_code": ["01", "02", "03"],
            "name": ["电子", "汽车", "化工"],
            "name_en": ["e", "a", "c"],
        }
    )
    gbt_to_io = pd.DataFrame({"division": ["39", "36", "26"], "io_code": ["01", "02", "03"]})
    chain_nodes = pd.DataFrame(
        {
            "node_id": ["sensor.chip", "sensor.module", "sensor.device"],
            "chain_id": ["sensor"] * 3,
            "name": ["MEMS芯片", "传感器模组", "传感器终端"],
            "name_en": ["chip", "module", "device"],
            "tier": [0, 1, 2],
            "gbt_classes": ["3973", "3973", "3973"],
            "keywords": ["芯片", "模组", "终端"],
        }
    )
    chain_edges = pd.DataFrame(
        {
            "src": ["sensor.chip", "sensor.module"],
            "dst": ["sensor.module", "sensor.device"],
            "chain_id": ["sensor", "sensor"],
        }
    )
    parks = pd.DataFrame(
        {
            "park_id": ["P1"],
            "name": ["甬蚌产业合作园区"],
            "city_code": ["340300"],
            "leading_industries": ["智能传感器"],
            "level": ["省级"],
            "partner_city_code": ["330200"],
            "area_ha": [100.0],
            "lat": [0.0],
            "lon": [0.0],
            "chain_nodes": ["sensor.device"],
            "kind": ["co_built"],
            "gbt_divisions": ["39"],
        }
    )
    return Reference(
        cities=cities,
        county_pairs=county_pairs,
        industries=pd.DataFrame(columns=["code", "level", "section", "division", "name", "remark"]),
        io_sectors=io_sectors,
        gbt_to_io=gbt_to_io,
        io_A=A,
        io_L=np.linalg.inv(np.eye(3) - A),
        chains=pd.DataFrame({"chain_id": ["sensor"], "name": ["智能传感器"], "name_en": ["s"]}),
        chain_nodes=chain_nodes,
        chain_edges=chain_edges,
        parks=parks,
    )


def mini_frames() -> dict[str, pd.DataFrame]:
    enterprises = pd.DataFrame(
        {
            "uscc": [L1, S1, S2, S3],
            "name": ["龙头", "甬芯", "宁化", "蚌配"],
            "city_code": ["340300", "330200", "320100", "340300"],
            "district": ["怀远县", "海曙区", "", ""],
            "industry_code": ["3973", "3973", "2614", "3670"],
            "products": ["传感器终端", "MEMS芯片;传感器模组", "硅片;化工原料", "汽车座椅"],
            "inputs": ["传感器模组", "", "", ""],
            "chain_nodes": ["sensor.device", "sensor.module", "sensor.chip", ""],
            "employees": [1000, 100, 10, 50],
            "revenue_wan": [50000.0, 2000.0, 99.0, 500.0],
            "founded": [2000, 2010, 2020, 2015],
            "is_leading": [True, False, False, False],
            "srdi_level": ["none", "national", "province", "none"],
            "is_high_tech": [True, True, False, False],
            "listed": [True, False, False, False],
        }
    )
    parks = mini_reference().parks.drop(columns=["kind", "gbt_divisions"])
    needs = pd.DataFrame(
        {
            "need_id": ["N1"],
            "owner_kind": ["enterprise"],
            "owner_id": [L1],
            "description": ["采购传感器模组"],
            "chain_nodes": ["sensor.module"],
        }
    )
    outcomes = pd.DataFrame(
        {
            "query_kind": ["supplier"] * 4,
            "query_id": [L1] * 4,
            "candidate_id": [S1, S1, S2, S2],
            "stage": ["meeting", "signed", "recommended", "declined"],
            "date": pd.to_datetime(["2023-05-01", "2023-09-01", "2023-05-01", "2023-06-01"]),
            "event_id": ["E1", "", "", ""],
        }
    )
    return {"enterprises": enterprises, "parks": parks, "needs": needs, "outcomes": outcomes}


def mini_context(**overrides: pd.DataFrame) -> FeatureContext:
    frames = mini_frames() | overrides
    return FeatureContext.build(mini_reference(), **frames)


@pytest.fixture(scope="session")
def mini() -> SimpleNamespace:
    """The mini world's ids, IO matrix and builders (frames, reference, context)."""
    return SimpleNamespace(
        A=A,
        L1=L1,
        S1=S1,
        S2=S2,
        S3=S3,
        reference=mini_reference,
        frames=mini_frames,
        context=mini_context,
    )


@pytest.fixture(scope="session")
def mini_ctx() -> FeatureContext:
    """The mini world's feature context, built once."""
    return mini_context()
