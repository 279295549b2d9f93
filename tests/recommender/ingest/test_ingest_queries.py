"""Batch ranking input: query files with or without a header, ids or names, bad rows skipped."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import typer

from features.uscc import uscc_check_digit
from recommender.commands.rank import output_format
from recommender.errors import ImportValidationError
from recommender.ingest.queries import read_query_file, resolve_queries


def code(city: str, i: int) -> str:
    body = f"91{city}MA{i:07d}"
    return body + uscc_check_digit(body)


L1, L2, S1 = code("330200", 1), code("310112", 2), code("340300", 3)
FIRMS = pd.DataFrame(
    {
        "uscc": [L1, L2, S1],
        "name": [
            "宁波甬芯传感科技股份有限公司",
            "上海闵芯（集团）有限公司",
            "蚌埠华感微电子有限公司",
        ],
        "is_leading": [True, True, False],
    }
)
PARKS = pd.DataFrame({"park_id": ["CB10", "S347022"], "name": ["甬蚌产业合作园区", "蚌埠高新区"]})


def write(tmp_path: Path, text: str, name: str = "q.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_header_with_uscc_column_and_every_kind_of_bad_row(tmp_path: Path) -> None:
    text = (
        f"序号,统一社会信用代码,企业名称\n1,{L1},甲\n2,{S1},乙\n3,CB10,丙\n"
        f"4,{code('340300', 9)},丁\n5,{L1.lower()},戊\n6,,己\n7,{L2},庚\n"
    )
    cells, column, what = read_query_file(write(tmp_path, text, encoding="gbk"))
    assert (column, what) == ("统一社会信用代码", "id")
    got = resolve_queries(cells, kind="supplier", firms=FIRMS, parks=PARKS, column=column)
    assert got.ids == [L1, L2]
    assert got.lines == [2, 8]
    assert [e.line for e in got.skipped] == [3, 4, 5, 6, 7]
    assert got.skipped[4].got == "己"  # no USCC: the name was tried
    reasons = [e.expected for e in got.skipped]
    assert "not marked 龙头企业" in reasons[0]
    assert "this is a park" in reasons[1]
    assert "统一社会信用代码 or name" in reasons[2]
    assert "not already on line 2" in reasons[3]
    assert "统一社会信用代码 or name" in reasons[4]
    assert all(e.column == "统一社会信用代码" for e in got.skipped)


def test_no_header_ids_and_names_mixed(tmp_path: Path) -> None:
    text = f"{L1}\n上海闵芯(集团)有限公司\n\n不存在的公司\n"
    cells, column, what = read_query_file(write(tmp_path, text))
    assert (column, what) == ("", "any")
    got = resolve_queries(cells, kind="supplier", firms=FIRMS, parks=PARKS)
    assert got.ids == [L1, L2]  # the name matches with ASCII brackets too
    assert [(e.line, e.column, e.got) for e in got.skipped] == [(4, "(column 1)", "不存在的公司")]


def test_park_names_in_an_xlsx_for_investor_lists(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["园区名称", "备注"])
    ws.append(["甬蚌产业合作园区", "x"])
    ws.append(["S347022", "y"])
    ws.append([L1, "a firm"])
    path = tmp_path / "parks.xlsx"
    wb.save(path)
    cells, column, what = read_query_file(path)
    assert (column, what) == ("园区名称", "name")
    got = resolve_queries(cells, kind="investor", firms=FIRMS, parks=PARKS, column=column)
    assert got.ids == ["CB10", "S347022"]
    assert [(e.line, "not a park" in e.expected) for e in got.skipped] == [(4, True)]


def test_customer_lists_want_supporting_firms(tmp_path: Path) -> None:
    cells, _, _ = read_query_file(write(tmp_path, f"query_id\n{S1}\n{L1}\n"))
    got = resolve_queries(cells, kind="customer", firms=FIRMS, parks=PARKS)
    assert got.ids == [S1]
    assert "leading firm" in got.skipped[0].expected


@pytest.mark.parametrize(
    ("name", "text"),
    [("missing.csv", None), ("q.docx", "x"), ("empty.csv", "\n\n")],
)
def test_unreadable_query_files(tmp_path: Path, name: str, text: str | None) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(ImportValidationError):
        read_query_file(path)


@pytest.mark.parametrize(
    ("fmt", "out", "expected"),
    [
        ("table", None, "table"),
        ("json", None, "json"),
        ("table", "lists.csv", "csv"),
        ("table", "名单.XLSX", "xlsx"),
        ("table", "lists.json", "json"),
        ("csv", "lists.csv", "csv"),
    ],
)
def test_output_format_from_the_out_suffix(fmt: str, out: str | None, expected: str) -> None:
    assert output_format(fmt, Path(out) if out else None) == expected


@pytest.mark.parametrize(
    ("fmt", "out"), [("csv", None), ("xlsx", "lists.csv"), ("table", "lists.txt"), ("pdf", None)]
)
def test_output_format_refuses_what_cannot_be_written(fmt: str, out: str | None) -> None:
    with pytest.raises(typer.BadParameter):
        output_format(fmt, Path(out) if out else None)


def test_deregistered_firms_are_no_queries(tmp_path: Path) -> None:
    firms = FIRMS.assign(status=["active", "deregistered", "active"])
    cells, _, _ = read_query_file(write(tmp_path, f"{L1}\n{L2}\n"))
    got = resolve_queries(cells, kind="supplier", firms=firms, parks=PARKS)
    assert got.ids == [L1]
    assert [(e.line, "注销/吊销" in e.expected) for e in got.skipped] == [(2, True)]
