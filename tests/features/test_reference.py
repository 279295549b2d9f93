"""Reference data: counts, hand-checked IO numbers, chain graphs, parks, reproducible build."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.errors import ReferenceDataError
from features.refdata import TABLES, build_reference
from features.refdata.parks import parse_industries
from features.reference import DEFAULT_REF_DIR, Reference, load_reference

SHARED = Path("/work/shared/data")


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


def test_roles_and_official_pairs(ref: Reference) -> None:
    c = ref.cities.set_index("city_code")
    assert len(c) == 56  # 16 Shanghai districts + 13 Jiangsu + 11 Zhejiang + 16 Anhui
    assert sorted(c.index[c["role"] == "wanbei"]) == [
        "340300", "340400", "340600", "341100", "341200", "341300", "341500", "341600",
    ]  # fmt: skip
    assert sorted(c.index[c["role"] == "helping"]) == [
        "310112", "310117", "310120", "320100", "320300", "320500", "330100", "330200",
    ]  # fmt: skip
    assert (c["role"] == "anhui_other").sum() == 8
    paired = c[c["partner_code"] != ""]
    assert len(paired) == 16
    # symmetric: the partner's partner is the city itself
    assert (c.loc[paired["partner_code"], "partner_code"].to_numpy() == paired.index).all()
    assert c.at["310112", "partner_code"] == "340400"  # 闵行 - 淮南
    assert c.at["330200", "partner_code"] == "340300"  # 宁波 - 蚌埠
    assert [str(c.at["340300", k]) for k in ("name", "short_name", "name_en")] == [
        "蚌埠市",
        "蚌埠",
        "Bengbu",
    ]
    assert c.at["310112", "level"] == "district"
    assert c.at["310115", "short_name"] == "浦东"


def test_county_pairs_link_hangzhou_and_suzhou(ref: Reference) -> None:
    cp = ref.county_pairs
    assert list(cp.columns) == ["helping_code", "helping_name", "wanbei_code", "wanbei_name"]
    assert (cp["helping_code"].str[:4] == "3301").all()
    assert (cp["wanbei_code"].str[:4] == "3413").all()


def test_industry_hierarchy(ref: Reference) -> None:
    counts = ref.industries["level"].value_counts().sort_index().tolist()
    # 473 groups: the 199 single-class groups the raw table omits are restored; 1381 classes
    # (the standard announces 1,380; see data/reference/SOURCES.md)
    assert counts == [20, 97, 473, 1381]
    ind = ref.industries.set_index("code")
    assert ind.at["3973", "name"] == "集成电路制造"
    assert ind.at["3741", "name"] == "飞机制造"  # repaired transcription error in the raw table
    assert ind.at["39", "section"] == "C"
    assert str(ind.at["372", "name"]) == "城市轨道交通设备制造"
    assert str(ind.at["3720", "name"]) == "城市轨道交通设备制造"


def test_hand_checked_io_coefficient(ref: Reference) -> None:
    flows = pd.read_csv(DEFAULT_REF_DIR / "io_flows.csv", dtype={"io_code": str})
    # metals (14) sold to transport equipment (18); GO of 18, both in 10,000 CNY
    assert flows.at[13, "18"] == pytest.approx(65_901_025.733)
    assert flows.at[17, "GO"] == pytest.approx(862_471_384.696)
    # by hand: 65,901,025.73 / 862,471,384.70 = 0.0764 + 8,211.9 / 862,471,384.7 = 0.0764095
    assert ref.io_A[13, 17] == pytest.approx(0.0764095, abs=1e-6)


def test_leontief_inverse(ref: Reference) -> None:
    n = len(ref.io_sectors)
    assert ref.io_A.shape == ref.io_L.shape == (42, 42)
    assert (np.diag(ref.io_L) >= 1.0).all()
    np.testing.assert_allclose(ref.io_L @ (np.eye(n) - ref.io_A), np.eye(n), atol=1e-10)
    # a column's intermediate inputs are less than its output
    assert ref.io_A.sum(axis=0).max() < 1.0


def test_bridge_covers_every_division_once(ref: Reference) -> None:
    b = ref.gbt_to_io
    assert b["division"].tolist() == [f"{i:02d}" for i in range(1, 98)]
    manufacturing = ref.industries.query("level == 2 and section == 'C'")["code"]
    assert set(manufacturing) <= set(b["division"])
    assert set(b["io_code"]) <= set(ref.io_sectors["io_code"])


def test_known_sector_mappings(ref: Reference) -> None:
    names = ref.io_sectors["name"]
    got = ref.sector_of(pd.Series(["39", "C3973", "27", "2740", "A", None, "99", "3612"]))
    assert names[got[0]] == "通信设备、计算机和其他电子设备"
    assert got[0] == got[1] == 19
    assert names[got[2]] == "化学产品"  # pharma sits in chemical products in the 42 table
    assert got[2] == got[3] == 11
    assert got[4:7].tolist() == [-1, -1, -1]
    assert names[got[7]] == "交通运输设备"
    assert ref.sector_of(pd.Series([], dtype=str)).shape == (0,)


def test_chains_are_dags_with_real_classes(ref: Reference) -> None:
    nodes = ref.chain_nodes.set_index("node_id")
    edges = ref.chain_edges
    assert set(ref.chains["chain_id"]) >= {
        "sensor",
        "ic",
        "nev",
        "newmat",
        "biomed",
        "food",
        "equip",
    }
    assert set(edges["src"]) | set(edges["dst"]) <= set(nodes.index)
    assert (nodes.loc[edges["src"], "chain_id"].to_numpy() == edges["chain_id"]).all()
    assert (nodes.loc[edges["dst"], "chain_id"].to_numpy() == edges["chain_id"]).all()
    # tiers strictly increase along every edge, which also rules out cycles
    assert (
        nodes.loc[edges["src"], "tier"].to_numpy() < nodes.loc[edges["dst"], "tier"].to_numpy()
    ).all()
    classes = set(ref.industries.query("level == 4")["code"])
    for node_id, cls, keywords in zip(
        nodes.index, nodes["gbt_classes"], nodes["keywords"], strict=True
    ):
        listed = set(str(cls).split(";"))
        assert listed <= classes, f"{node_id}: {listed - classes}"
        assert str(keywords)
    sizes = nodes.groupby("chain_id").size()
    assert sizes.between(5, 10).all()
    assert int(str(nodes.at["sensor.mems_chip", "tier"])) == 1
    assert int(str(nodes.at["sensor.module", "tier"])) == 3


def test_parks(ref: Reference) -> None:
    p = ref.parks.set_index("park_id")
    assert (p["kind"] == "catalogue").sum() == 49
    assert p.index[p["kind"] == "co_built"].tolist() == [f"CB{i:02d}" for i in range(1, 11)]
    wanbei = set(ref.cities.query("role == 'wanbei'")["city_code"])
    assert set(p["city_code"]) <= wanbei
    gz = p.loc["S347024"]
    assert (gz["name"], gz["city_code"], gz["partner_city_code"]) == (
        "安徽固镇经济开发区",
        "340300",
        "330200",
    )
    assert p.at["CB10", "city_code"] == "340300"
    assert (p.at["CB10", "lon"], p.at["CB10", "lat"]) == (gz["lon"], gz["lat"])
    assert "sensor.module" in str(p.at["CB10", "chain_nodes"]).split(";")
    # 苏滁现代产业园 was geocoded into 六安's 金寨; it now sits on 滁州
    assert p.at["S349102", "coord_source"] == "city"
    assert p.at["S349102", "lon"] == pytest.approx(118.327944)
    # every park lies within 150 km of its city
    city = ref.cities.set_index("city_code").loc[p["city_code"]]
    km = np.hypot((p["lon"].to_numpy() - city["lon"].to_numpy()) * 94.0,
                  (p["lat"].to_numpy() - city["lat"].to_numpy()) * 111.0)  # fmt: skip
    assert km.max() < 150


def test_parse_industries() -> None:
    assert parse_industries("汽车零部件、装备制造，电子信息") == (
        "34;35;36;39", "nev.parts;equip.components;equip.intelligent;ic.components", [],
    )  # fmt: skip
    assert parse_industries("轻工")[2] == ["轻工"]


def test_missing_table_is_named(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match=r"cities\.csv"):
        load_reference(tmp_path)


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs /work/shared/data")
def test_build_reproduces_committed_tables(tmp_path: Path) -> None:
    counts = build_reference(SHARED, tmp_path)
    assert counts["parks"] == 59
    for name in TABLES:
        assert filecmp.cmp(
            tmp_path / f"{name}.csv", DEFAULT_REF_DIR / f"{name}.csv", shallow=False
        ), name
    # the committed raw copies rebuild the same tables too
    again = tmp_path / "again"
    build_reference(DEFAULT_REF_DIR / "raw", again)
    for name in TABLES:
        assert filecmp.cmp(again / f"{name}.csv", DEFAULT_REF_DIR / f"{name}.csv", shallow=False), (
            name
        )
