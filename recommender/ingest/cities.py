"""Turning the city written in a file (a Chinese name or an adcode) into a ``city_code``."""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["CityResolver"]

_SUFFIXES = ("市", "区", "县")
_SPACES = re.compile(r"\s+")


class CityResolver:
    """Resolve city names and adcodes to the ``city_code`` of a cities frame.

    Accepted spellings of a city: its name (蚌埠市, 闵行区), its short name (蚌埠, 闵行),
    either with the province in front (安徽省蚌埠市, 上海市闵行区), its 6-digit adcode
    (340300) or 12-digit statistical code (340300000000). A county or district code that
    is not itself a city resolves to its prefecture (340321 怀远县 -> 340300) when that
    prefecture is in the frame. A spelling shared by two cities resolves to neither.

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
        return ""
