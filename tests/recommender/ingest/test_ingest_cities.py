"""One city resolver for imports, keys, filters and the API (recommender.ingest.cities)."""

from __future__ import annotations

import pandas as pd
import pytest

from features.reference import Reference, load_reference
from recommender.errors import ValidationError
from recommender.ingest.cities import CityResolver, city_codes


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def resolver(reference: Reference) -> CityResolver:
    return CityResolver(reference.cities)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("蚌埠", "340300"), ("蚌埠市", "340300"), ("340300", "340300"), ("安徽省蚌埠市", "340300"),
        ("340321", "340300"),  # 怀远县's code: its prefecture
        ("闵行", "310112"), ("闵行区", "310112"), ("上海市闵行区", "310112"),
        (" 宁 波 ", "330200"), ("火星", ""),
        ("安徽省蚌埠市怀远县", "340300"), ("上海市闵行区莘庄镇", "310112"),  # with a subdivision
        ("浙江省舟山市普陀区", "330900"), ("广东省深圳市南山区", ""), ("苏州工业园区", ""),
    ],
)  # fmt: skip
def test_spellings(resolver: CityResolver, text: str, expected: str) -> None:
    assert resolver.resolve_one(text) == expected
    assert resolver.resolve(pd.Series([text])).tolist() == [expected]


@pytest.mark.parametrize(
    ("province", "city", "district", "expected"),
    [
        ("上海市", "上海市", "闵行区", "310112"),
        ("上海市", "市辖区", "松江区", "310117"),
        ("", "上海市", "奉贤", "310120"),
        ("上海", "", "闵行区", "310112"),
        ("安徽省", "蚌埠市", "怀远县", "340300"),
        ("浙江省", "舟山市", "普陀区", "330900"),  # not 上海市普陀区
        ("", "", "闵行区", "310112"),
        ("浙江省", "", "普陀区", ""),  # a district alone, outside Shanghai: unknown
        ("上海市", "上海市", "", ""),  # Shanghai without its district is no programme city
    ],
)
def test_places(
    resolver: CityResolver, province: str, city: str, district: str, expected: str
) -> None:
    assert resolver.resolve_place(province=province, city=city, district=district) == expected


def test_city_codes_raise_naming_the_parameter(reference: Reference) -> None:
    assert city_codes(["蚌埠", "闵行区", "330200"], reference.cities) == (
        "340300", "310112", "330200",
    )  # fmt: skip
    with pytest.raises(ValidationError, match=r"--city: expected a known city .* got '火星'"):
        city_codes(["蚌埠", "火星"], reference.cities, what="--city")
