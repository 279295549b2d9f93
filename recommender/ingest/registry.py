"""Registry batch exports (企查查 / 天眼查 layouts) mapped into the enterprises contract.

Offices download firm lists from the business registries' commercial front-ends. Such a file
has a banner line above the header, Chinese headers, 国标行业 as names by level (门类 / 大类 /
中类 / 小类, no codes), 成立日期 as a date, 注册资本 with unit and currency, 所属省份 /
所属城市 / 所属区县, 经营范围 instead of 主营产品, 参保人数, 企业规模 L/M/S/XS and 登记状态.
:func:`derive_contract_columns` fills the contract's file columns (``industry_code``,
``city``, ``products``...) from those, vectorised over the distinct values; the validator then
checks the result like any other file. :func:`detect_layout` names the layout for the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.ingest.cities import CityResolver

__all__ = [
    "CURRENCY_RATES",
    "CURRENCY_WORDS",
    "LAYOUTS",
    "IndustryNames",
    "clean_scope",
    "derive_contract_columns",
    "detect_layout",
    "parse_capital",
]

# layout id -> how the report names it
LAYOUTS: Mapping[str, str] = {
    "contract": "数据约定格式 (docs/data-format.md)",
    "qichacha": "企查查批量导出",
    "tianyancha": "天眼查批量导出",
    "registry": "工商登记批量导出",
    "list": "企业名单 (只更新已有企业的所给列)",
}

# CNY per unit of the currency 注册资本 is stated in: yearly averages of the PBoC central
# parity for 2023 (rounded); registered capital is a size signal, not an amount to reconcile
CURRENCY_RATES: Mapping[str, float] = {
    "CNY": 1.0,
    "USD": 7.05,
    "EUR": 7.62,
    "HKD": 0.90,
    "JPY": 0.050,
    "GBP": 8.77,
    "TWD": 0.226,
    "SGD": 5.25,
    "KRW": 0.0054,
    "CHF": 7.85,
    "AUD": 4.68,
    "CAD": 5.22,
}
# how a currency is written after the amount (longest first when matched)
CURRENCY_WORDS: Mapping[str, str] = {
    "人民币": "CNY", "元人民币": "CNY", "rmb": "CNY", "cny": "CNY",
    "美元": "USD", "美金": "USD", "usd": "USD",
    "欧元": "EUR", "eur": "EUR",
    "港元": "HKD", "港币": "HKD", "hkd": "HKD",
    "日元": "JPY", "jpy": "JPY",
    "英镑": "GBP", "gbp": "GBP",
    "新台币": "TWD", "台币": "TWD",
    "新加坡元": "SGD", "韩元": "KRW", "瑞士法郎": "CHF", "澳元": "AUD", "加元": "CAD",
}  # fmt: skip
_CAPITAL = re.compile(
    r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>亿|万|千|百)?\s*(?:元)?\s*(?P<cur>[^\d\s]*)$"
)
_UNIT_WAN = {"亿": 10_000.0, "万": 1.0, "千": 0.1, "百": 0.01, None: 0.0001}

_MUNICIPALITIES = ("上海市", "上海", "北京市", "北京", "天津市", "天津", "重庆市", "重庆")
_CITY_PLACEHOLDERS = ("市辖区", "县", "省直辖县级行政区划", "")

# --------------------------------------------------------------------------- layouts
_QCC_MARKS = ("企查查", "qcc.com")
_TYC_MARKS = ("天眼查", "tianyancha")
_REGISTRY_COLUMNS = frozenset(
    {"status", "scope", "province", "industry_section", "industry_division", "industry_group",
     "industry_class", "industry_name", "founded_on", "registered_capital_wan", "size_band"}
)  # fmt: skip


def detect_layout(
    columns: Iterable[str], header: Sequence[str], banner: Sequence[str], *, partial: bool
) -> str:
    """The layout id of an enterprises file (a key of :data:`LAYOUTS`).

    A banner naming 企查查/天眼查 decides; else the header: 国标行业门类…小类 with 企业名称 is
    企查查's, 公司名称 with 登记状态 天眼查's, any other registry column a generic registry
    export. A file lacking required columns that cannot be derived is a list (partial update).
    """
    text = " ".join(banner).lower()
    cells = {c.strip() for c in header}
    gb_levels = {"国标行业门类", "国标行业大类", "国标行业中类", "国标行业小类"}
    registry_only = _REGISTRY_COLUMNS - {"founded_on", "registered_capital_wan", "size_band"}
    rules = (  # the first that holds decides
        (partial, "list"),
        (any(m in text for m in _QCC_MARKS), "qichacha"),
        (any(m in text for m in _TYC_MARKS), "tianyancha"),
        (bool(cells & gb_levels) and "企业名称" in cells, "qichacha"),
        ("公司名称" in cells and "登记状态" in cells, "tianyancha"),
        (bool(set(columns) & registry_only), "registry"),
    )
    return next((layout for holds, layout in rules if holds), "contract")


# --------------------------------------------------------------------------- industries
_PUNCT = re.compile(r"[\s、，,·・()（）\[\]【】\"'“”]+")
_LEADING_CODE = re.compile(r"^\s*([A-Ta-t]?\d{2,4}|[A-Ta-t])(?=[\s:：\-—_.、]|$)[\s:：\-—_.、]*")
_LEVEL_COLUMNS = (
    ("industry_class", 4),
    ("industry_group", 3),
    ("industry_division", 2),
    ("industry_section", 1),
)


def _norm_name(name: str) -> str:
    return _PUNCT.sub("", name).replace("和", "").replace("及", "").replace("与", "")


@dataclass(frozen=True)
class IndustryNames:
    """GB/T 4754-2017 names -> codes, exact then normalised (spaces, punctuation, 和/及/与,
    a trailing 业 dropped or added)."""

    exact: Mapping[str, tuple[str, ...]]
    loose: Mapping[str, tuple[str, ...]]
    level: Mapping[str, int]
    codes: frozenset[str]

    @classmethod
    def from_frame(cls, industries: pd.DataFrame) -> IndustryNames:
        """Build from the industries frame (columns ``code``, ``level``, ``name``)."""
        exact: dict[str, list[str]] = {}
        loose: dict[str, list[str]] = {}
        level: dict[str, int] = {}
        for code, lvl, name in zip(
            industries["code"].astype(str),
            industries["level"].astype(int),
            industries["name"].astype(str),
            strict=True,
        ):
            level[code] = int(lvl)
            exact.setdefault(name.strip(), []).append(code)
            key = _norm_name(name)
            for variant in {key, key.removesuffix("业"), key + "业"}:
                loose.setdefault(variant, []).append(code)
        return cls(
            exact={k: tuple(v) for k, v in exact.items()},
            loose={k: tuple(dict.fromkeys(v)) for k, v in loose.items()},
            level=level,
            codes=frozenset(level),
        )

    def lookup(self, text: str, *, level: int | None, within: str = "") -> str:
        """The code a name (or "code name") stands for, or "" when none or several fit.

        ``level`` prefers codes of that level (None: the deepest); ``within`` keeps codes
        under an already resolved coarser code (a section letter or a numeric prefix).
        """
        text = text.strip()
        if not text:
            return ""
        m = _LEADING_CODE.match(text)
        if m:
            code = m.group(1).upper()
            code = code[1:] if len(code) > 1 and code[0].isalpha() else code
            if code in self.codes:
                return code
        found = self.exact.get(text) or self.loose.get(_norm_name(text)) or ()
        fits = [c for c in found if self._under(c, within)] or ([] if within else list(found))
        if not fits:
            return ""
        if level is not None:
            at_level = [c for c in fits if self.level[c] == level]
            if len(at_level) == 1:
                return at_level[0]
        deepest = max(self.level[c] for c in fits)
        best = [c for c in fits if self.level[c] == deepest]
        return best[0] if len(best) == 1 else ""

    def _under(self, code: str, within: str) -> bool:
        if not within:
            return True
        if within.isalpha():
            return self._section(code) == within
        return code.startswith(within)

    def _section(self, code: str) -> str:
        if code.isalpha():
            return code
        # a numeric code's section is the section whose divisions include its first 2 digits
        return _SECTION_OF_DIVISION.get(code[:2], "")


# GB/T 4754-2017: divisions of each section (01-05 A, 06-12 B, 13-43 C, ...)
_SECTION_RANGES = (
    ("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("D", 44, 46), ("E", 47, 50), ("F", 51, 52),
    ("G", 53, 60), ("H", 61, 62), ("I", 63, 65), ("J", 66, 69), ("K", 70, 70), ("L", 71, 72),
    ("M", 73, 75), ("N", 76, 79), ("O", 80, 82), ("P", 83, 83), ("Q", 84, 85), ("R", 86, 90),
    ("S", 91, 96), ("T", 97, 97),
)  # fmt: skip
_SECTION_OF_DIVISION = {f"{d:02d}": s for s, lo, hi in _SECTION_RANGES for d in range(lo, hi + 1)}


def _industry_codes(frame: pd.DataFrame, names: IndustryNames) -> pd.Series:
    """industry_code from 国标行业 name columns, per distinct combination of the levels."""
    columns = [c for c, _ in _LEVEL_COLUMNS if c in frame.columns]
    if "industry_name" in frame.columns:
        columns.append("industry_name")
    keys = frame[columns[0]].astype(str)
    for column in columns[1:]:
        keys = keys + "\x1f" + frame[column].astype(str)
    codes, uniques = pd.factorize(keys)
    out: list[str] = []
    for key in uniques:
        cells = dict(zip(columns, str(key).split("\x1f"), strict=True))
        out.append(_resolve_levels(cells, names))
    return pd.Series(np.asarray(out, dtype=object)[codes], index=frame.index, dtype=object)


def _resolve_levels(cells: Mapping[str, str], names: IndustryNames) -> str:
    """Resolve coarse to fine; each level must sit under the one above. An unresolvable
    finer name keeps the coarser code; nothing resolvable gives the finest text as written
    (so that the validator reports it)."""
    code = ""
    finest_text = ""
    for column, level in reversed(_LEVEL_COLUMNS):
        text = cells.get(column, "")
        if not text:
            continue
        finest_text = text
        found = names.lookup(text, level=level, within=code)
        if found:
            code = found
    general = cells.get("industry_name", "")
    if general and (not code or names.level.get(code, 0) < 4):
        found = names.lookup(general, level=None, within=code)
        code = found or code
        finest_text = finest_text or general
    return code or finest_text


# --------------------------------------------------------------------------- scope text
_BRACKET_NOTE = re.compile(
    r"[（(][^（）()]*(?:依法|批准|许可|审批|凭营业执照|除|不含|须经|方可)[^（）()]*[）)]"
)
_LEGAL_SENTENCE = re.compile(
    r"[^；;。]*(?:依法须经批准|凭营业执照依法自主开展|具体经营项目以|许可证件为准|审批结果为准|"
    r"不得从事|以上经营范围|涉及许可经营|国家限制|分支机构经营)[^；;。]*"
)
_LABELS = re.compile(r"(?:一般经营项目|许可经营项目|一般项目|许可项目|经营范围)\s*[:：]")
_VERBS = r"(?:研发|研制|开发|生产|制造|加工|销售|批发|零售|安装|维修)"
_VERB_TAIL = re.compile(rf"(?:的)?{_VERBS}(?:[、和及与]{_VERBS})*$")
_ITEM_SPLIT = re.compile(r"[；;。、，,\n]+")
_GENERIC_ITEMS = frozenset(
    {
        "技术服务", "技术开发", "技术咨询", "技术交流", "技术转让", "技术推广", "货物进出口",
        "技术进出口", "进出口代理", "信息咨询服务", "企业管理咨询", "社会经济咨询服务",
        "软件开发", "会议及展览服务", "市场营销策划", "普通货物仓储服务", "住房租赁",
        "非居住房地产租赁", "机械设备租赁", "日用百货销售", "办公用品销售", "五金产品零售",
        "五金产品批发", "劳务服务", "物业管理", "技术", "", "等", "及", "和",
    }
)  # fmt: skip
_MAX_ITEMS = 30


def clean_scope(scope: str) -> str:
    """经营范围 as a ;-joined products text: legal boiler-plate, labels, generic service items
    and trailing verbs (…的研发、生产、销售) removed; items de-duplicated in order."""
    text = _BRACKET_NOTE.sub("", scope)
    text = _LEGAL_SENTENCE.sub("", text)
    text = _LABELS.sub(";", text)
    items: list[str] = []
    seen: set[str] = set()
    for raw in _ITEM_SPLIT.split(text):
        item = raw.strip(" \t*·.:：")
        if item in _GENERIC_ITEMS:
            continue
        item = _VERB_TAIL.sub("", item).strip()
        item = re.sub(r"^(?:从事|各类|一般)", "", item)
        if len(item) < 2 or item in _GENERIC_ITEMS or item in seen:
            continue
        seen.add(item)
        items.append(item)
        if len(items) >= _MAX_ITEMS:
            break
    return ";".join(items)


def _products_from_scope(scope: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(scope.astype(str))
    cleaned = np.asarray([clean_scope(str(u)) for u in uniques], dtype=object)
    return pd.Series(cleaned[codes] if len(codes) else [], index=scope.index, dtype=object)


# --------------------------------------------------------------------------- capital
def parse_capital(values: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """注册资本 text -> (10,000 CNY, ISO currency, bad mask).

    A plain number is 万元 CNY; ``1000万元人民币``, ``500万美元``, ``1.2亿元``, ``50000元``,
    ``300万(元)`` and thousands separators are read; other currencies are converted by
    :data:`CURRENCY_RATES` and their code kept. Empty cells give NaN and "".
    """
    text = (
        values.astype(str)
        .str.replace(",", "", regex=False)
        .str.replace(r"[()（）\s]", "", regex=True)
    )
    codes, uniques = pd.factorize(text)
    amounts = np.full(len(uniques), np.nan)
    currencies = np.full(len(uniques), "", dtype=object)
    bad = np.zeros(len(uniques), dtype=bool)
    for i, u in enumerate(uniques):
        parsed = _capital_one(str(u))
        if parsed is None:
            bad[i] = u != ""
        else:
            amounts[i], currencies[i] = parsed
    index = values.index
    if not len(codes):
        return (pd.Series([], dtype="float64"), pd.Series([], dtype=object), np.zeros(0, bool))
    return (
        pd.Series(amounts[codes], index=index, dtype="float64"),
        pd.Series(currencies[codes], index=index, dtype=object),
        bad[codes],
    )


def _capital_one(text: str) -> tuple[float, str] | None:
    if not text:
        return None
    m = _CAPITAL.match(text)
    if m is None:
        return None
    amount = float(m.group("num"))
    unit = m.group("unit")
    word = m.group("cur").lower()
    currency = "CNY"
    if word:
        currency = CURRENCY_WORDS.get(word, word.upper() if word.upper() in CURRENCY_RATES else "")
        if not currency:
            return None
    if unit is None and not word and not text.endswith("元"):
        unit_wan = 1.0  # a bare number: the contract's 万元
    else:
        unit_wan = _UNIT_WAN[unit]
    return round(amount * unit_wan * CURRENCY_RATES[currency], 4), currency


CAPITAL_MESSAGE = (
    "注册资本 such as 1000万元人民币, 500万美元, 1.2亿元 or a number in 万元 "
    f"(currencies: {', '.join(CURRENCY_RATES)})"
)


# --------------------------------------------------------------------------- places
def _places(frame: pd.DataFrame, cities: CityResolver) -> tuple[pd.Series, pd.Series]:
    """(city as a code or the text as written, district) from 所属省份/所属城市/所属区县."""
    n = len(frame)
    blank = pd.Series([""] * n, index=frame.index, dtype=object)
    province = frame["province"] if "province" in frame.columns else blank
    city = frame["city"] if "city" in frame.columns else blank
    district = frame["district"] if "district" in frame.columns else blank
    keys = province.astype(str) + "\x1f" + city.astype(str) + "\x1f" + district.astype(str)
    codes, uniques = pd.factorize(keys)
    out = np.empty(len(uniques), dtype=object)
    for i, key in enumerate(uniques):
        p, c, d = str(key).split("\x1f")
        code = cities.resolve_place(province=p, city=c, district=d)
        out[i] = code or "/".join(x for x in (p, c, d) if x)
    return pd.Series(out[codes] if n else [], index=frame.index, dtype=object), district


# --------------------------------------------------------------------------- all together
def _fill(frame: pd.DataFrame, column: str, values: pd.Series) -> None:
    """Fill ``column`` from ``values`` where the file left it empty (in place)."""
    if column in frame.columns:
        frame[column] = frame[column].where(frame[column].ne(""), values)
    else:
        frame[column] = values


def derive_contract_columns(
    frame: pd.DataFrame, *, cities: CityResolver, industries: IndustryNames
) -> pd.DataFrame:
    """A copy of an enterprises file frame with contract columns filled from registry ones.

    ``industry_code`` from the 国标行业 names, ``city`` (a code) from province/city/district
    (the district for Shanghai), ``products`` from 经营范围, ``founded`` from 成立日期 when
    the year is not given, ``employees`` without a trailing 人. Cells the file fills itself
    are kept; the registry-only columns are dropped.
    """
    out = frame.copy()
    levels = [c for c, _ in _LEVEL_COLUMNS if c in out.columns] + (
        ["industry_name"] if "industry_name" in out.columns else []
    )
    if levels:
        _fill(out, "industry_code", _industry_codes(out, industries))
    if "province" in out.columns or ("district" in out.columns and "city" in out.columns):
        city, _ = _places(out, cities)
        out["city"] = city
    elif "district" in out.columns and "city" not in out.columns:
        out["city"] = _places(out, cities)[0]
    if "scope" in out.columns:
        _fill(out, "products", _products_from_scope(out["scope"]))
    if "products" in out.columns and levels:
        # a scope of nothing but boiler-plate (or one-character items): the industry's name
        name = pd.Series("", index=out.index, dtype=object)
        for column in levels:  # finest first
            name = name.where(name.ne(""), out[column])
        _fill(out, "products", name)
    if "employees" in out.columns:
        out["employees"] = out["employees"].str.replace(r"\s*人$", "", regex=True)
    drop = [c for c in ("province", "scope", "industry_name", *dict(_LEVEL_COLUMNS)) if c in out]
    return out.drop(columns=drop)


DERIVABLE: Mapping[str, tuple[str, ...]] = {
    "industry_code": (
        "industry_section", "industry_division", "industry_group", "industry_class",
        "industry_name",
    ),
    "products": ("scope",),
    "city": ("province", "district"),
}  # fmt: skip
