"""The one city resolver: a Chinese name or an adcode (or province/city/district) -> city_code.

Used by imports (``city`` columns, registry exports' 所属省份/所属城市/所属区县), by
``chainmatch keys create --city``, by the ranking filters of ``chainmatch rank --city`` and by
the API's city parameters, so that 蚌埠, 蚌埠市, 340300, 上海市 with 闵行区, 闵行 and 闵行区
are read the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from recommender.errors import ValidationError

__all__ = ["CITY_EXAMPLES", "CityResolver", "city_codes"]

_SUFFIXES = ("市", "区", "县")
# municipalities whose districts are the cities of the programme (only Shanghai's are listed)
_MUNICIPALITIES = ("上海", "北京", "天津", "重庆")
_PLACEHOLDERS = ("市辖区", "县", "省直辖县级行政区划")
_SUBDIVISIONS = ("区", "县", "市", "镇", "乡", "街道")
CITY_EXAMPLES = "蚌埠市, 蚌埠, 340300, 闵行区, 闵行 or 上海市闵行区"
_SPACES = re.compile(r"\s+")


class CityResolver:
    """Resolve city names and adcodes to the ``city_code`` of a cities frame.

    Accepted spellings of a city: its name (蚌埠市, 闵行区), its short name (蚌埠, 闵行),
    either with the province in front (安徽省蚌埠市, 上海市闵行区), its 6-digit adcode
    (340300) or 12-digit statistical code (340300000000). A county or district code that
    is not itself a city resolves to its prefecture (340321 怀远县 -> 340300) when that
    prefecture is in the frame. A city name followed by one of its subdivisions (安徽省蚌埠市
    怀远县, 上海市闵行区莘庄镇) resolves to that city. A spelling shared by two cities
    resolves to neither.

    Parameters
    ----------
    cities : frame with columns ``city_code``, ``name``, ``short_name`` (and optionally
        ``province``).
    """

    def __init__(self, cities: pd.DataFrame) -> None:
        missing = [c for c in ("city_code", "name", "short_name") if c not in cities.columns]
        if missing:
            raise ValueError(
                f"cities frame needs columns city_code, name, short_name; missing {missing}, "
                f"got {list(cities.columns)}"
            )
        codes = cities["city_code"].astype("str").str.strip().tolist()
        self._codes: frozenset[str] = frozenset(codes)
        index: dict[str, str] = {}
        clashes: set[str] = set()
        provinces = (
            cities["province"].astype("str").tolist() if "province" in cities.columns else None
        )

        def add(key: str, code: str) -> None:
            key = _SPACES.sub("", key)
            if not key or key == "nan":
                return
            if index.get(key, code) != code:
                clashes.add(key)
            index[key] = code

        for i, code in enumerate(codes):
            add(code, code)
            add(code + "000000", code)
            names = [str(cities["name"].iat[i]), str(cities["short_name"].iat[i])]
            for name in names:
                add(name, code)
                stem = name[:-1] if name.endswith(_SUFFIXES) and len(name) > 2 else name
                add(stem, code)
                if provinces is not None:
                    add(provinces[i] + name, code)
                    add(provinces[i] + stem, code)
        for key in clashes:
            del index[key]
        self._index = index
        self.ambiguous: frozenset[str] = frozenset(clashes)

    @property
    def codes(self) -> frozenset[str]:
        """Every city_code of the frame."""
        return self._codes

    def resolve(self, values: pd.Series) -> pd.Series:
        """Return the city_code of every value ("" where it names no single city).

        Vectorised over the distinct values: each distinct spelling is looked up once.
        """
        text = values.astype("str").str.replace(r"\s+", "", regex=True)
        uniques = pd.unique(text.to_numpy(dtype=object))
        found = {u: self.resolve_one(str(u)) for u in uniques}
        return text.map(found).astype("str")

    def resolve_one(self, value: str) -> str:
        """The city_code of one spelling, or "" when it names no single city."""
        key = _SPACES.sub("", value)
        code = self._index.get(key)
        if code is not None:
            return code
        if key.isdigit() and len(key) in (6, 12):
            prefecture = key[:4] + "00"
            if prefecture in self._codes:
                return prefecture
        if len(key) > 3 and key.endswith(_SUBDIVISIONS) and not key.isdigit():
            # 安徽省蚌埠市怀远县, 上海市闵行区莘庄镇: the longest leading city name (with or
            # without its province), when what follows is a subdivision of it
            for cut in range(len(key) - 2, 1, -1):
                code = self._index.get(key[:cut])
                if code is not None and key[:cut].endswith(_SUFFIXES):
                    return code
        return ""

    def resolve_place(self, *, province: str = "", city: str = "", district: str = "") -> str:
        """The city_code of a 所属省份/所属城市/所属区县 triple ("" when none fits).

        For a municipality (上海市 as province or city, or 市辖区 as city) the district is the
        city (上海市/上海市/闵行区 -> 310112); elsewhere the city decides, with the province
        in front to tell apart cities of the same short name; a district alone is tried last
        (闵行 -> 310112). A district of another city is never taken for a Shanghai one
        (舟山市普陀区 is not 上海市普陀区).
        """
        p, c, d = (_SPACES.sub("", x) for x in (province, city, district))
        municipal = any(x.startswith(_MUNICIPALITIES) for x in (p, c) if x)
        if municipal or c in _PLACEHOLDERS:
            head = p if p and not c.startswith(_MUNICIPALITIES) else c
            for key in (head + d, d) if d else ():
                code = self.resolve_one(key)
                if code:
                    return code
            return self.resolve_one(c) if c and c not in _PLACEHOLDERS else ""
        if c:
            return self.resolve_one(p + c) if p and self.resolve_one(p + c) else self.resolve_one(c)
        if d and not p:
            return self.resolve_one(d)
        return ""

    def code_of(self, value: str, *, what: str = "city") -> str:
        """The city_code of one spelling, or raise ``ValidationError`` saying what was expected.

        ``what`` names the parameter in the message (e.g. ``--city``).
        """
        code = self.resolve_one(value.strip())
        if code:
            return code
        hint = " (it names more than one city)" if _SPACES.sub("", value) in self.ambiguous else ""
        raise ValidationError(
            f"{what}: expected a known city ({CITY_EXAMPLES}), got {value!r}{hint}"
        )


def city_codes(
    values: Iterable[str], cities: pd.DataFrame, *, what: str = "city"
) -> tuple[str, ...]:
    """The city_code of every spelling (蚌埠, 蚌埠市, 340300, 闵行, 上海市闵行区...), in order.

    Raises
    ------
    ValidationError
        Naming ``what`` (e.g. ``--city``) and the first spelling that is no known city.
    """
    values = tuple(values)
    if not values:  # most requests name no city: no index to build
        return ()
    resolver = CityResolver(cities)
    return tuple(resolver.code_of(v, what=what) for v in values)
