"""Entity frame schemas: required columns, dtypes, defaults."""

from __future__ import annotations

import pandas as pd
import pytest

from features.errors import SchemaError
from features.schema import ENTERPRISE, OUTCOME, check_frame, conform, empty_frame, split_multi


def test_conform_fills_optional_columns_with_typed_defaults() -> None:
    raw = pd.DataFrame(
        {
            "uscc": ["91340300MA2TEST001"],
            "name": ["蚌埠示例传感科技有限公司"],
            "city_code": ["340300"],
            "industry_code": ["3973"],
            "products": ["MEMS芯片;压力传感器"],
            "employees": [120],
        }
    )
    out = conform(raw, ENTERPRISE)
    assert list(out.columns) == ENTERPRISE.names
    assert out.loc[0, "srdi_level"] == "none"
    assert not bool(out.loc[0, "is_leading"])
    assert out["employees"].dtype == "Int64"
    assert out.loc[0, "employees"] == 120
    assert pd.isna(out.loc[0, "founded"])
    check_frame(out, ENTERPRISE)
    assert "district" not in raw.columns  # the caller's frame is not mutated


def test_missing_required_column_is_named() -> None:
    raw = pd.DataFrame({"uscc": ["x"], "name": ["n"]})
    with pytest.raises(SchemaError, match=r"city_code.*industry_code.*products"):
        check_frame(raw, ENTERPRISE, where="test")


def test_mistyped_column_is_named_with_expected_and_got() -> None:
    frame = empty_frame(OUTCOME).assign(date=pd.Series(["2024-01-01"] * 0, dtype=object))
    with pytest.raises(SchemaError, match=r"date \(expected date, got object\)"):
        check_frame(frame, OUTCOME)


def test_split_multi_accepts_chinese_separators() -> None:
    assert split_multi("MEMS芯片；传感器、模组，封装| ") == ["MEMS芯片", "传感器", "模组", "封装"]


def test_conform_of_a_conformed_frame_is_equal_and_independent() -> None:
    raw = pd.DataFrame(
        {
            "uscc": ["91340300MA2TEST001"],
            "name": ["蚌埠示例传感科技有限公司"],
            "city_code": ["340300"],
            "industry_code": ["3973"],
            "products": ["MEMS芯片"],
        }
    )
    once = conform(raw, ENTERPRISE)
    twice = conform(once, ENTERPRISE)
    pd.testing.assert_frame_equal(once, twice)
    twice.loc[0, "name"] = "改名"
    assert once.loc[0, "name"] == "蚌埠示例传感科技有限公司"
