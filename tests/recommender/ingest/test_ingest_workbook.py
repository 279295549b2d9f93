"""XLSX reading (recommender.ingest.workbook): sheet rows and lines, formulas, merged cells,
entity declarations in any part, all before a value is trusted."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from recommender.ingest.workbook import WorkbookError, read_sheet


def _book(path: Path, rows: list[tuple[int, list[object]]], title: str = "企业") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row, values in rows:
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=value)
    wb.save(path)
    return path


def test_rows_keep_their_sheet_line_and_types_become_text(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "a.xlsx",
        [
            (3, ["名称", "日期", "人数"]),
            (5, ["甲", dt.date(2010, 3, 23), 420]),
            (6, ["乙", None, 1.5]),
        ],
    )
    sheet = read_sheet(path)
    assert sheet.title == "企业"
    assert sheet.rows == [
        (3, ["名称", "日期", "人数"]),
        (5, ["甲", "2010-03-23", "420"]),
        (6, ["乙", "", "1.5"]),
    ]
    assert (sheet.formulas, sheet.merged) == ([], [])


def test_formulas_and_merged_ranges_are_found(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["a", "b", "c"])
    ws.append([1, "=A2*2", "=SUM(A2:B2)"])
    ws.merge_cells("A3:B3")
    path = tmp_path / "f.xlsx"
    wb.save(path)
    sheet = read_sheet(path)
    assert sheet.formulas == [(2, 1, "=A2*2"), (2, 2, "=SUM(A2:B2)")]
    assert sheet.merged == [(0, 3, "A3:B3")]


@pytest.mark.parametrize(
    "part", ["xl/styles.xml", "xl/workbook.xml", "docProps/core.xml", "[Content_Types].xml"]
)
def test_entity_declarations_in_any_part_are_refused(tmp_path: Path, part: str) -> None:
    path = _book(tmp_path / "ok.xlsx", [(1, ["名称"]), (2, ["甲"])])
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w") as dst:
        assert part in src.namelist()
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                head, sep, rest = data.partition(b"?>")
                data = head + sep + b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + rest
            dst.writestr(info, data)
    with pytest.raises(WorkbookError) as caught:
        read_sheet(bomb)
    assert "entity declarations" in caught.value.got
    assert part in caught.value.got


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    with pytest.raises(WorkbookError, match="BadZipFile"):
        read_sheet(path)
