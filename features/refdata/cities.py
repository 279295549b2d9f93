"""Cities of the programme's four provinces and the official pairings, from admin_geo/adcodes.csv.

One row per prefecture-level city of Jiangsu, Zhejiang and Anhui and per district of
Shanghai (the programme pairs Shanghai districts, not the whole city, with Wanbei cities).
"""

from __future__ import annotations

import pandas as pd

from features.errors import ReferenceDataError

PROVINCE_PREFIXES = ("31", "32", "33", "34")

# Pinyin of every unit the builder emits, keyed by 6-digit code. A unit that appears in a new
# edition of adcodes.csv without an entry here stops the build (add it here).
NAME_EN: dict[str, str] = {
    # Shanghai districts
    "310101": "Huangpu", "310104": "Xuhui", "310105": "Changning", "310106": "Jing'an",
    "310107": "Putuo", "310109": "Hongkou", "310110": "Yangpu", "310112": "Minhang",
    "310113": "Baoshan", "310114": "Jiading", "310115": "Pudong", "310116": "Jinshan",
    "310117": "Songjiang", "310118": "Qingpu", "310120": "Fengxian", "310151": "Chongming",
    # Jiangsu
    "320100": "Nanjing", "320200": "Wuxi", "320300": "Xuzhou", "320400": "Changzhou",
    "320500": "Suzhou", "320600": "Nantong", "320700": "Lianyungang", "320800": "Huai'an",
    "320900": "Yancheng", "321000": "Yangzhou", "321100": "Zhenjiang", "321200": "Taizhou",
    "321300": "Suqian",
    # Zhejiang
    "330100": "Hangzhou", "330200": "Ningbo", "330300": "Wenzhou", "330400": "Jiaxing",
    "330500": "Huzhou", "330600": "Shaoxing", "330700": "Jinhua", "330800": "Quzhou",
    "330900": "Zhoushan", "331000": "Taizhou", "331100": "Lishui",
    # Anhui
    "340100": "Hefei", "340200": "Wuhu", "340300": "Bengbu", "340400": "Huainan",
    "340500": "Ma'anshan", "340600": "Huaibei", "340700": "Tongling", "340800": "Anqing",
    "341000": "Huangshan", "341100": "Chuzhou", "341200": "Fuyang", "341300": "Suzhou",
    "341500": "Lu'an", "341600": "Bozhou", "341700": "Chizhou", "341800": "Xuancheng",
}  # fmt: skip

# 《沪苏浙城市结对合作帮扶皖北城市实施方案》 (NDRC, 2021-12-08): helping unit -> Wanbei city
OFFICIAL_PAIRS: dict[str, str] = {
    "310112": "340400",  # 闵行区 - 淮南
    "310117": "341500",  # 松江区 - 六安
    "310120": "341600",  # 奉贤区 - 亳州
    "320100": "341100",  # 南京 - 滁州
    "320500": "341200",  # 苏州 - 阜阳
    "320300": "340600",  # 徐州 - 淮北
    "330100": "341300",  # 杭州 - 宿州
    "330200": "340300",  # 宁波 - 蚌埠
}
WANBEI_CODES = tuple(sorted(OFFICIAL_PAIRS.values()))
HELPING_CODES = tuple(sorted(OFFICIAL_PAIRS))

# County-level pairs of 杭州 and 宿州 that a public source names (see data/reference/SOURCES.md).
# The 2022 plan pairs 8 杭州 districts with 宿州's 4 counties, 1 district and 3 parks; only the
# pairs below could be confirmed, the others are left out rather than guessed.
COUNTY_PAIRS: tuple[tuple[str, str], ...] = (
    ("330105", "341322"),  # 拱墅区 - 萧县 (新华丝路, 2023-07-12)
)

CITY_COLUMNS = [
    "city_code", "name", "short_name", "name_en", "province", "level",
    "lon", "lat", "role", "partner_code",
]  # fmt: skip
COUNTY_PAIR_COLUMNS = ["helping_code", "helping_name", "wanbei_code", "wanbei_name"]


def read_adcodes(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise the raw adcode table: 12-digit code as text, 6-digit ``code6``.

    Parameters
    ----------
    frame : raw admin_geo/adcodes.csv read with ``adcode`` as text.

    Returns
    -------
    DataFrame with ``adcode``, ``code6``, ``name``, ``lon``, ``lat``.
    """
    missing = {"adcode", "name", "longitude", "latitude"} - set(frame.columns)
    if missing:
        raise ReferenceDataError(
            f"adcodes table lacks columns {sorted(missing)}; got {list(frame.columns)}"
        )
    code = frame["adcode"].astype(str).str.strip()
    bad = code[code.str.len() != 12]
    if len(bad):
        raise ReferenceDataError(
            f"adcodes must be 12 digits, got {bad.iloc[0]!r} (and {len(bad) - 1} more)"
        )
    return pd.DataFrame(
        {
            "adcode": code,
            "code6": code.str[:6],
            "name": frame["name"].astype(str),
            "lon": frame["longitude"].astype(float),
            "lat": frame["latitude"].astype(float),
        }
    )


def _short(name: str) -> str:
    for suffix in ("新区", "区", "市"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def build_cities(adcodes: pd.DataFrame) -> pd.DataFrame:
    """Cities table: Jiangsu/Zhejiang/Anhui prefectures and Shanghai districts.

    Parameters
    ----------
    adcodes : output of :func:`read_adcodes`.

    Returns
    -------
    DataFrame with :data:`CITY_COLUMNS`, sorted by ``city_code``.
    """
    a = adcodes[adcodes["adcode"].str.endswith("000000")]
    a = a[a["code6"].str[:2].isin(PROVINCE_PREFIXES)]
    prov = a[a["code6"].str[2:] == "0000"]
    province = pd.Series(prov["name"].to_numpy(), index=prov["code6"].str[:2].to_numpy())
    prefecture = (a["code6"].str[4:] == "00") & (a["code6"].str[2:4] != "00")
    is_sh = a["code6"].str[:2] == "31"
    units = a[(prefecture & ~is_sh) | (is_sh & (a["code6"].str[:4] == "3101") & ~prefecture)]
    units = units.sort_values("code6")
    unknown = sorted(set(units["code6"]) - set(NAME_EN))
    if unknown:
        raise ReferenceDataError(
            f"no English name for units {unknown}; expected every unit in NAME_EN "
            "(features/refdata/cities.py)"
        )
    missing = sorted(set(NAME_EN) - set(units["code6"]))
    if missing:
        raise ReferenceDataError(f"units {missing} of NAME_EN are absent from adcodes.csv")
    partner = {**OFFICIAL_PAIRS, **{w: h for h, w in OFFICIAL_PAIRS.items()}}
    codes = units["code6"]
    role = pd.Series("other", index=units.index)
    role[codes.str[:2] == "34"] = "anhui_other"
    role[codes.isin(WANBEI_CODES)] = "wanbei"
    role[codes.isin(HELPING_CODES)] = "helping"
    out = pd.DataFrame(
        {
            "city_code": codes,
            "name": units["name"],
            "short_name": units["name"].map(_short),
            "name_en": codes.map(NAME_EN),
            "province": codes.str[:2].map(province),
            "level": codes.str[:2].map(lambda p: "district" if p == "31" else "prefecture"),
            "lon": units["lon"],
            "lat": units["lat"],
            "role": role,
            "partner_code": codes.map(partner).fillna(""),
        }
    )
    return out[CITY_COLUMNS].reset_index(drop=True)


def build_county_pairs(adcodes: pd.DataFrame) -> pd.DataFrame:
    """County-level pairs with their names looked up in the adcode table.

    Parameters
    ----------
    adcodes : output of :func:`read_adcodes`.

    Returns
    -------
    DataFrame with :data:`COUNTY_PAIR_COLUMNS` (one row per entry of :data:`COUNTY_PAIRS`).
    """
    units = adcodes[adcodes["adcode"].str.endswith("000000")]
    names = dict(zip(units["code6"], units["name"], strict=True))
    rows = []
    for helping, wanbei in COUNTY_PAIRS:
        for code in (helping, wanbei):
            if code not in names:
                raise ReferenceDataError(f"county pair code {code} is not in adcodes.csv")
        rows.append((helping, names[helping], wanbei, names[wanbei]))
    return pd.DataFrame(rows, columns=COUNTY_PAIR_COLUMNS, dtype=str)
