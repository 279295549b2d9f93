# ruff: noqa: E501  (data tables: one row per line reads better than wrapped rows)
"""Wanbei development zones (2018 catalogue) and the ten "7+3" co-built parks.

The catalogue's prefecture guess (``anhui_prefecture_heuristic``) is replaced by a table
checked by hand against each zone's name and 城市/区县 cell; coordinates that fall nearer to a
county of another prefecture (or were flagged as outside the province) are replaced by the
seat of the zone's county, or its city when the zone names no county.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from features.errors import ReferenceDataError
from features.refdata.cities import OFFICIAL_PAIRS, WANBEI_CODES

log = logging.getLogger(__name__)

# catalogue code -> (prefecture code, county/district named by the zone, '' if none)
ZONE_PREFECTURE: dict[str, tuple[str, str]] = {
    "G341124": ("340400", ""), "G341129": ("341100", ""), "G341130": ("341500", ""),
    "G342091": ("340300", ""), "S349021": ("340300", ""), "S349087": ("340400", ""),
    "S349089": ("340400", "寿县"), "S349102": ("341100", ""), "S349104": ("341100", "定远县"),
    "S349047": ("341500", "金寨县"), "S347019": ("340300", ""), "S347022": ("340300", "怀远县"),
    "S347023": ("340300", "五河县"), "S347024": ("340300", "固镇县"),
    "S347034": ("340400", "凤台县"), "S347088": ("340400", ""), "S347092": ("340600", "杜集区"),
    "S347008": ("340600", ""), "S347093": ("340600", ""), "S347009": ("340600", "濉溪县"),
    "S347103": ("341100", "来安县"), "S347038": ("341100", "全椒县"),
    "S347040": ("341100", "凤阳县"), "S347036": ("341100", "天长市"),
    "S347037": ("341100", "明光市"), "S347025": ("341200", ""), "S347105": ("341200", "颍东区"),
    "S347026": ("341200", "颍泉区"), "S347028": ("341200", "临泉县"),
    "S347029": ("341200", "太和县"), "S347030": ("341200", "阜南县"),
    "S347031": ("341200", "颍上县"), "S347015": ("341300", ""), "S347106": ("341300", "砀山县"),
    "S347016": ("341300", "萧县"), "S347017": ("341300", "灵璧县"), "S347018": ("341300", "泗县"),
    "S347042": ("341500", "裕安区"), "S347044": ("341500", "叶集区"),
    "S347045": ("341500", "霍邱县"), "S347046": ("341500", "舒城县"),
    "S347048": ("341500", "霍山县"), "S347010": ("341600", ""), "S347011": ("341600", "谯城区"),
    "S347012": ("341600", "涡阳县"), "S347013": ("341600", "蒙城县"),
    "S347014": ("341600", "利辛县"), "S348033": ("340400", ""), "S348027": ("341200", "界首市"),
}  # fmt: skip

# park_id, name, host city, helping partner, host county ('' = city), host catalogue zone
# ('' = none), leading industries (modest, from the programme's public descriptions)
CO_BUILT: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("CB01", "六松现代产业园", "341500", "310117", "", "", "装备制造、新材料、电子信息"),
    ("CB02", "闵行·淮南科创产业园", "340400", "310112", "", "", "电子信息、装备制造、新材料"),
    ("CB03", "东方美谷亳州产业园", "341600", "310120", "", "", "美妆日化、中医药、健康食品"),
    ("CB04", "徐淮产业合作园区", "340600", "320300", "", "", "装备制造、新材料、新能源"),
    ("CB05", "苏阜产业园区", "341200", "320500", "", "", "电子信息、装备制造、新材料"),
    ("CB06", "南京江北新材料科技园定远合作产业园", "341100", "320100", "定远县", "", "新材料、精细化工"),
    ("CB07", "南京经开区凤阳省际合作园", "341100", "320100", "凤阳县", "", "硅基新材料、装备制造"),
    ("CB08", "江宁—明光合作产业园", "341100", "320100", "明光市", "", "装备制造、新材料"),
    ("CB09", "杭州宿州产业园区", "341300", "330100", "", "", "电子信息、装备制造、数字经济"),
    ("CB10", "甬蚌产业合作园区", "340300", "330200", "固镇县", "S347024", "智能传感器、集成电路、汽车零部件"),
)  # fmt: skip

# 主导产业 term -> (GB/T divisions, chain nodes); exact terms after splitting on 、，,;；
INDUSTRY_TERMS: dict[str, tuple[str, str]] = {
    "电子信息": ("39", "ic.components"), "电子": ("39", "ic.components"),
    "机械电子": ("34;39", "equip.components;ic.components"),
    "电子电器": ("38;39", "ic.components"),
    "智能传感器": ("39", "sensor.mems_chip;sensor.packaging;sensor.module"),
    "集成电路": ("39;65", "ic.design;ic.fab;ic.package"),
    "生物医药": ("27", "biomed.api;biomed.formulation"), "医药": ("27", "biomed.api;biomed.formulation"),
    "生化医药": ("27", "biomed.api;biomed.formulation"), "医药化工": ("26;27", "biomed.api"),
    "中药材": ("01;27", "biomed.herb_planting;biomed.decoction_pieces"),
    "中医药": ("27", "biomed.decoction_pieces;biomed.formulation"),
    "装备制造": ("34;35", "equip.components;equip.intelligent"),
    "高端装备制造": ("34;35", "equip.machine_tools;equip.robots;equip.intelligent"),
    "先进制造": ("34;35", "equip.intelligent"), "机械装备": ("34;35", "equip.components;equip.intelligent"),
    "机械": ("34", "equip.components"), "专用设备": ("35", "equip.intelligent"),
    "矿山机械": ("35", "equip.intelligent"), "矿业装备": ("35", "equip.intelligent"),
    "汽车": ("36", "nev.parts;nev.vehicle"), "汽车零部件": ("36", "nev.parts"),
    "汽车零配件": ("36", "nev.parts"), "汽车及零配件": ("36", "nev.parts;nev.vehicle"),
    "汽车摩托车零配件": ("36;37", "nev.parts"),
    "新能源汽车": ("36;38", "nev.vehicle;nev.battery;nev.motor"),
    "新能源": ("38", "newmat.pv_module;nev.battery"),
    "新材料": ("26;30", ""), "硅基新材料": ("30;32", "newmat.silicon;newmat.pv_glass"),
    "煤基新材料": ("26", ""), "玻璃制品": ("30", "newmat.pv_glass"), "建材": ("30", ""),
    "有色金属": ("32", ""), "铁矿加工": ("08;31", ""),
    "食品": ("13;14", "food.food_mfg"), "健康食品": ("14", "food.food_mfg"),
    "农副产品加工": ("13", "food.agri_processing"), "农产品加工": ("13", "food.agri_processing"),
    "粮油加工": ("13", "food.agri_processing"), "肉制品加工": ("13", "food.agri_processing"),
    "饮料": ("15", "food.beverage"),
    "纺织服装": ("17;18", ""), "轻工纺织": ("17", ""), "纺织": ("17", ""), "轻纺": ("17", ""),
    "轻纺织造": ("17", ""), "服装": ("18", ""), "服饰": ("18", ""), "鞋服": ("18;19", ""),
    "皮革": ("19", ""), "合成革": ("29", ""),
    "林木产品加工": ("20", ""), "木竹产品加工": ("20", ""), "家具": ("21", ""),
    "婴童用品": ("24", ""), "丝网纱门": ("33", ""),
    "化工": ("26", ""), "精细化工": ("26", ""), "盐化工": ("26", ""), "生物化工": ("26", ""),
    "煤化工": ("25;26", ""), "煤气化工": ("25;26", ""), "煤制天然气": ("25", ""),
    "美妆日化": ("26", ""),
    "智能家电": ("38", ""), "电光源": ("38", ""), "循环经济": ("42", ""),
    "仓储物流": ("59", ""), "商贸物流": ("51;59", ""),
    "数据信息": ("64;65", ""), "数字经济": ("65", ""),
}  # fmt: skip

PARK_COLUMNS = [
    "park_id", "name", "city_code", "leading_industries", "level", "partner_city_code",
    "area_ha", "lat", "lon", "chain_nodes", "kind", "gbt_divisions", "coord_source",
]  # fmt: skip
_SPLIT = re.compile(r"[、，,;；]")


def parse_industries(text: str) -> tuple[str, str, list[str]]:
    """Map a 主导产业 text to GB/T divisions and chain nodes.

    Parameters
    ----------
    text : e.g. "汽车零部件、装备制造、电子信息".

    Returns
    -------
    divisions : ';'-joined sorted 2-digit divisions ('34;35;36;39').
    nodes : ';'-joined chain node ids in first-seen order.
    unmatched : terms not in :data:`INDUSTRY_TERMS`.
    """
    divisions: set[str] = set()
    nodes: list[str] = []
    unmatched: list[str] = []
    for term in (t.strip() for t in _SPLIT.split(text)):
        if not term:
            continue
        if term not in INDUSTRY_TERMS:
            unmatched.append(term)
            continue
        divs, term_nodes = INDUSTRY_TERMS[term]
        divisions.update(divs.split(";"))
        nodes.extend(n for n in term_nodes.split(";") if n and n not in nodes)
    return ";".join(sorted(divisions)), ";".join(nodes), unmatched


def _county_seats(adcodes: pd.DataFrame) -> pd.DataFrame:
    a = adcodes[adcodes["adcode"].str.endswith("000000") & adcodes["lon"].notna()]
    a = a[a["code6"].str.startswith("34") & (a["code6"].str[4:] != "00")]
    return a.assign(prefecture=a["code6"].str[:4] + "00")


def _seat(seats: pd.DataFrame, prefecture: str, county: str) -> tuple[float, float]:
    hit = seats[(seats["prefecture"] == prefecture) & (seats["name"] == county)]
    if len(hit) != 1:
        raise ReferenceDataError(
            f"expected one county {county!r} in prefecture {prefecture}, found {len(hit)}"
        )
    return float(hit["lon"].iloc[0]), float(hit["lat"].iloc[0])


def prefecture_disagreements(zones: pd.DataFrame, cities: pd.DataFrame) -> list[str]:
    """Zones where the catalogue's ``anhui_prefecture_heuristic`` differs from the checked table."""
    names = cities.set_index("city_code")["name"]
    out = []
    for code, guess in zip(zones["代码"], zones["anhui_prefecture_heuristic"], strict=True):
        checked = names[ZONE_PREFECTURE[code][0]]
        if guess != checked:
            out.append(f"{code}: heuristic {guess!r}, checked {checked!r}")
    return out


def build_parks(zones: pd.DataFrame, cities: pd.DataFrame, adcodes: pd.DataFrame) -> pd.DataFrame:
    """Parks table: the catalogue's Wanbei zones plus the co-built parks CB01..CB10.

    Parameters
    ----------
    zones : dev_zones catalogue, read as text.
    cities : output of :func:`features.refdata.cities.build_cities`.
    adcodes : output of :func:`features.refdata.cities.read_adcodes`.

    Returns
    -------
    DataFrame with :data:`PARK_COLUMNS`; ``coord_source`` is 'catalogue', 'county_seat',
    'city' or 'host_zone'.
    """
    w = zones[zones["is_wanbei"].astype(str) == "True"].copy()
    unknown = sorted(set(w["代码"]) - set(ZONE_PREFECTURE))
    if unknown:
        raise ReferenceDataError(
            f"Wanbei zones {unknown} have no checked prefecture; add them to ZONE_PREFECTURE"
        )
    for line in prefecture_disagreements(w, cities):
        log.warning("prefecture corrected: %s", line)
    seats = _county_seats(adcodes)
    city_lon = dict(zip(cities["city_code"], cities["lon"].astype(float), strict=True))
    city_lat = dict(zip(cities["city_code"], cities["lat"].astype(float), strict=True))
    zone_xy: dict[str, tuple[float, float]] = {}
    partner = {v: k for k, v in OFFICIAL_PAIRS.items()}
    rows: list[dict[str, object]] = []
    for z in w.itertuples(index=False):
        code = str(z.代码)
        pref, county = ZONE_PREFECTURE[code]
        lon, lat = float(str(z.经度_WGS84)), float(str(z.纬度_WGS84))
        d = np.hypot((seats["lon"] - lon) * np.cos(np.radians(lat)), seats["lat"] - lat)
        nearest_pref = str(seats["prefecture"].iloc[int(np.argmin(d.to_numpy()))])
        source = "catalogue"
        if str(z.geocode_outside_province) == "True" or nearest_pref != pref:
            if county:
                lon, lat = _seat(seats, pref, county)
                source = "county_seat"
            else:
                lon, lat = city_lon[pref], city_lat[pref]
                source = "city"
        zone_xy[code] = (lon, lat)
        divisions, nodes, _ = parse_industries(str(z.主导产业))
        rows.append(
            {
                "park_id": code, "name": str(z.开发区名称), "city_code": pref,
                "leading_industries": str(z.主导产业), "level": str(z.批准级别),
                "partner_city_code": partner.get(pref, ""), "area_ha": float(str(z.核准面积_公顷)),
                "lat": lat, "lon": lon, "chain_nodes": nodes, "kind": "catalogue",
                "gbt_divisions": divisions, "coord_source": source,
            }
        )  # fmt: skip
    for park_id, name, host, helping, county, zone, industries in CO_BUILT:
        if host not in WANBEI_CODES or OFFICIAL_PAIRS.get(helping) != host:
            raise ReferenceDataError(f"{park_id}: {helping}->{host} is not an official pair")
        if zone:
            (lon, lat), source = zone_xy[zone], "host_zone"
        elif county:
            (lon, lat), source = _seat(seats, host, county), "county_seat"
        else:
            lon, lat, source = city_lon[host], city_lat[host], "city"
        divisions, nodes, _ = parse_industries(industries)
        rows.append(
            {
                "park_id": park_id, "name": name, "city_code": host,
                "leading_industries": industries, "level": "省际合作园区",
                "partner_city_code": helping, "area_ha": float("nan"), "lat": lat, "lon": lon,
                "chain_nodes": nodes, "kind": "co_built", "gbt_divisions": divisions,
                "coord_source": source,
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=PARK_COLUMNS)
