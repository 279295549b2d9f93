"""Reading and validating import files against tiny hand-built reference frames (no database)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.uscc import uscc_check_digit
from recommender.errors import ImportValidationError
from recommender.ingest.cities import CityResolver
from recommender.ingest.reading import detect_encoding, read_table
from recommender.ingest.validate import validate_table

CITIES = pd.DataFrame(
    {
        "city_code": ["340300", "310112", "330200", "341200"],
        "name": ["蚌埠市", "闵行区", "宁波市", "阜阳市"],
        "short_name": ["蚌埠", "闵行", "宁波", "阜阳"],
        "province": ["安徽省", "上海市", "浙江省", "安徽省"],
    }
)
INDUSTRIES = {"C", "39", "397", "3973", "3983", "6520"}


def code(serial: int, city: str = "340300") -> str:
    body = f"91{city}MA{serial:07d}"
    return body + uscc_check_digit(body)


def write(tmp_path: Path, text: str, name: str = "f.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def check(tmp_path: Path, kind: str, text: str, **known: set[str]):  # type: ignore[no-untyped-def]
    table = read_table(write(tmp_path, text), kind=kind)
    return validate_table(
        table, cities=CityResolver(CITIES), industry_codes=INDUSTRIES, known=known
    )


def test_city_resolver_spellings() -> None:
    resolver = CityResolver(CITIES)
    spellings = ["蚌埠市", "蚌埠", " 蚌 埠 ", "安徽省蚌埠市", "340300", "340300000000", "340321",
                 "闵行区", "闵行", "上海市闵行区", "310112", "东京", "", "999999"]  # fmt: skip
    got = resolver.resolve(pd.Series(spellings, dtype="str")).tolist()
    assert got == ["340300"] * 7 + ["310112"] * 4 + ["", "", ""]


def test_city_resolver_drops_ambiguous_names() -> None:
    cities = pd.DataFrame(
        {"city_code": ["320100", "350100"], "name": ["鼓楼区", "鼓楼区"], "short_name": ["a", "b"]}
    )
    resolver = CityResolver(cities)
    assert resolver.resolve_one("鼓楼区") == ""
    assert resolver.resolve_one("a") == "320100"
    assert "鼓楼区" in resolver.ambiguous


def test_city_resolver_requires_columns() -> None:
    with pytest.raises(ValueError, match=r"missing \['short_name'\]"):
        CityResolver(CITIES.drop(columns="short_name"))


def test_valid_enterprises_are_conformed(tmp_path: Path) -> None:
    text = (
        "统一社会信用代码,企业名称,城市,行业代码,主营产品,从业人数,营业收入(万元),成立年份,"
        "是否龙头企业,专精特新,高新技术企业,上市,产业链环节,备注\n"
        f'{code(1).lower()},甲公司,蚌埠,C3973,芯片,"1,200",3500.5,2016,是,省级,Y,0,a，b、c,x\n'
        f"{code(2, '310112')},乙公司,上海市闵行区,6520,设计,,,,,,,,,\n"
    )
    result = check(tmp_path, "enterprises", text)
    assert result.errors == []
    frame = result.frame
    assert frame["uscc"].tolist() == [code(1), code(2, "310112")]
    assert frame["city_code"].tolist() == ["340300", "310112"]
    assert frame["industry_code"].tolist() == ["3973", "6520"]
    assert frame["employees"].iloc[0] == 1200
    assert frame["employees"].isna().tolist() == [False, True]
    assert frame["revenue_wan"].iloc[0] == 3500.5
    assert np.isnan(frame["revenue_wan"].iloc[1])
    assert frame["is_leading"].tolist() == [True, False]
    assert frame["is_high_tech"].tolist() == [True, False]
    assert frame["srdi_level"].tolist() == ["province", "none"]
    assert frame["chain_nodes"].tolist() == ["a;b;c", ""]
    assert str(frame["employees"].dtype) == "Int64"
    assert result.keys == frozenset({code(1), code(2, "310112")})


def test_every_bad_cell_is_reported_with_its_line(tmp_path: Path) -> None:
    bad_check = code(3)[:17] + ("0" if code(3)[17] != "0" else "1")
    text = (
        "uscc,name,city,industry_code,products,employees,founded,srdi_level\n"
        f"{code(1)},甲,蚌埠,3973,芯片,10,2001,none\n"
        "\n"  # a blank line keeps the numbering
        f"{bad_check},乙,火星,9999,芯片,-3,1700,市级\n"
        f"{code(1)},丙,宁波,3983,,2.5,2020,national\n"
    )
    result = check(tmp_path, "enterprises", text)
    found = [(e.line, e.column) for e in result.errors]
    assert found == [
        (4, "uscc"), (4, "city"), (4, "industry_code"), (4, "employees"), (4, "founded"),
        (4, "srdi_level"), (5, "products"), (5, "employees"), (5, "uscc"),
    ]  # fmt: skip
    assert result.errors[0].expected == f"check character {code(3)[17]} (GB 32100-2015) at the end"
    assert result.errors[-1].got == f"{code(1)} (first on line 2)"
    assert len(result.frame) == 1
    assert result.total_rows == 3


def test_dates_in_several_spellings(tmp_path: Path) -> None:
    text = (
        "event_id,name,date,city\n"
        "E1,a,2024-03-05,蚌埠\nE2,b,2024/3/5,蚌埠\nE3,c,2024年3月5日,蚌埠\nE4,d,45356,蚌埠\n"
        "E5,e,2024-02-30,蚌埠\nE6,f,05/03/2024,蚌埠\n"
    )
    result = check(tmp_path, "events", text)
    assert [(e.line, e.got) for e in result.errors] == [(6, "2024-02-30"), (7, "05/03/2024")]
    assert result.frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-05"] * 4
    assert str(result.frame["date"].dtype) == "datetime64[ns]"


def test_references_use_file_and_known_keys(tmp_path: Path) -> None:
    text = (
        "需求编号,需求方类型,需求方编号,需求描述\n"
        f"N1,企业,{code(1).lower()},找芯片\nN2,园区,P1,招商\nN3,园区,P9,招商\nN4,公司,P1,x\n"
    )
    result = check(tmp_path, "needs", text, enterprises={code(1)}, parks={"P1"})
    assert [(e.line, e.column) for e in result.errors] == [(4, "owner_id"), (5, "owner_kind")]
    assert result.frame["owner_id"].tolist() == [code(1), "P1"]
    assert result.frame["owner_kind"].tolist() == ["enterprise", "park"]


def test_participants_and_outcomes(tmp_path: Path) -> None:
    parts = (
        "event_id,uscc,role,min_meetings,available_slots\n"
        f"E1,{code(1)},龙头,,0;1\nE1,{code(2)},配套,1,\nE1,{code(2)},配套,1,x\n"
    )
    result = check(tmp_path, "participants", parts, events={"E1"}, enterprises={code(1), code(2)})
    assert [(e.line, e.column) for e in result.errors] == [
        (4, "available_slots"),
        (4, "event_id+uscc"),
    ]
    assert result.keys == frozenset({f"E1|{code(1)}", f"E1|{code(2)}"})
    outcomes = (
        "query_kind,query_id,candidate_id,stage,date,amount_wan\n"
        f"supplier,{code(1)},{code(2)},签约,2024-05-01,1800\n"
        f"investor,P1,{code(2)},落地,2024-06-01,\n"
        f"investor,{code(1)},{code(2)},finished,2024-06-01,\n"
    )
    result = check(tmp_path, "outcomes", outcomes, enterprises={code(1), code(2)}, parks={"P1"})
    assert [(e.line, e.column) for e in result.errors] == [(4, "query_id"), (4, "stage")]
    assert result.frame["stage"].tolist() == ["signed", "landed"]
    assert result.frame["amount_wan"].iloc[0] == 1800.0


def test_encoding_detection() -> None:
    text = "统一社会信用代码,企业名称\n"
    assert detect_encoding(text.encode("utf-8")) == ("utf-8", text)
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode("utf-8")) == ("utf-8-sig", text)
    assert detect_encoding(text.encode("gbk")) == ("gb18030", text)


def test_gbk_file_reads_the_same_as_utf8(tmp_path: Path) -> None:
    text = f"uscc,name,city,industry_code,products\n{code(1)},蚌埠华感微电子,蚌埠市,3973,芯片\n"
    a = read_table(write(tmp_path, text, "a.csv", "gbk"), kind="enterprises")
    b = read_table(write(tmp_path, text, "b.csv", "utf-8-sig"), kind="enterprises")
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert (a.encoding, b.encoding) == ("gb18030", "utf-8-sig")


def test_missing_columns_are_all_named(tmp_path: Path) -> None:
    with pytest.raises(ImportValidationError) as caught:
        read_table(write(tmp_path, "uscc,name\nx,y\n"), kind="enterprises")
    assert [e.column for e in caught.value.errors] == ["city", "industry_code", "products"]
    assert caught.value.errors[0].got == "uscc, name"


def test_unknown_columns_are_listed_not_rejected(tmp_path: Path) -> None:
    table = read_table(
        write(tmp_path, f"uscc,name,city,industry_code,products,备注\n{code(1)},a,蚌埠,3973,p,x\n"),
        kind="enterprises",
    )
    assert table.ignored == ("备注",)
    assert table.lines.tolist() == [2]


def _check_participants(  # type: ignore[no-untyped-def]
    tmp_path: Path, text: str, roles: dict[str, str] | None = None
):
    table = read_table(write(tmp_path, text), kind="participants")
    firms = {code(i) for i in range(1, 8)}
    return validate_table(
        table,
        cities=CityResolver(CITIES),
        industry_codes=INDUSTRIES,
        known={"events": {"E1", "E2"}, "enterprises": firms},
        roles=roles,
    )


def test_preference_lists_are_parsed_from_chinese_headers(tmp_path: Path) -> None:
    text = (
        "活动编号,统一社会信用代码,角色,必须对接,拒绝对接\n"
        f"E1,{code(1)},龙头,{code(2).lower()}，{code(2)},{code(3)}\n"
        f"E1,{code(2)},配套,{code(1)},\n"
        f"E1,{code(3)},配套,,{code(1)}\n"
    )
    result = _check_participants(tmp_path, text)
    assert result.errors == []
    assert result.frame["must_meet"].tolist() == [code(2), code(1), ""]
    assert result.frame["no_meet"].tolist() == [code(3), "", code(1)]


def test_a_bad_must_meet_code_is_a_row_error_naming_line_and_column(tmp_path: Path) -> None:
    wrong = code(2)[:17] + ("0" if code(2)[17] != "0" else "1")
    text = (
        "event_id,uscc,role,must_meet\n"
        f"E1,{code(1)},leading,\n"
        f"E1,{code(2)},supporting,{code(1)};{wrong};ABC\n"
    )
    result = _check_participants(tmp_path, text)
    assert [(e.line, e.column, e.got) for e in result.errors] == [(3, "must_meet", f"{wrong};ABC")]
    assert "统一社会信用代码" in result.errors[0].expected
    assert result.frame["uscc"].tolist() == [code(1)]  # the bad row is not kept


def test_a_counterpart_must_be_at_the_event_with_the_opposite_role(tmp_path: Path) -> None:
    text = (
        "event_id,uscc,role,must_meet,no_meet\n"
        f"E1,{code(1)},leading,{code(3)},{code(2)}\n"  # code(3) registered for E2 only
        f"E1,{code(2)},supporting,{code(4)},\n"  # code(4) is stored, but leading is wanted
        f"E1,{code(5)},leading,{code(2)},{code(6)}\n"  # code(6): stored supporting -> fine
        f"E2,{code(3)},supporting,,{code(5)}\n"  # code(5) is at E1, not E2
        f"E1,{code(7)},leading,{code(2)},{code(2)}\n"  # both lists
    )
    stored = {f"E1|{code(4)}": "supporting", f"E1|{code(6)}": "supporting"}
    result = _check_participants(tmp_path, text, stored)
    got = [(e.line, e.column, e.got) for e in result.errors]
    assert got == [
        (2, "must_meet", code(3)),
        (3, "must_meet", code(4)),
        (5, "no_meet", code(5)),
        (6, "no_meet", code(2)),
    ]
    assert result.errors[0].expected.startswith("USCCs of supporting participants of event E1")
    assert result.errors[1].expected.startswith("USCCs of leading participants of event E1")
    assert result.frame["uscc"].tolist() == [code(5)]
