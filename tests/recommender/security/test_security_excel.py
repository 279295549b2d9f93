"""Excel exports are safe from formula injection: a cell starting with = + - @ is text."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from recommender.records import excel

ROOT = Path(__file__).resolve().parents[3]
HOSTILE = ['=HYPERLINK("http://evil.example","点击")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1"]
# writers in other developers' rooms whose files are protected afterwards by their callers
# (excel.protect_file in api/routes/rank.py and `chainmatch export`); `chainmatch rank --out`
# (recommender/commands/rank.py) is not yet
KNOWN_UNROUTED = {"recommender/ranking/export.py", "recommender/ingest/importing.py"}


def _cells(data: bytes) -> list[tuple[object, str, bool]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [
        (c.value, c.data_type, bool(c.quotePrefix))
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_like_strings_are_detected(value: str) -> None:
    assert excel.is_formula_like(value)


@pytest.mark.parametrize("value", ["蚌埠测试有限公司", "a=b", "", 3, -2.5, None])
def test_ordinary_values_are_not(value: object) -> None:
    assert not excel.is_formula_like(value)


def test_a_normal_workbook_saved_by_the_helper_has_no_formula() -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["名称", "数值"])
    for v in HOSTILE:
        ws.append([v, -3])
    cells = _cells(excel.to_bytes(book))
    assert [c for c in cells if c[1] == "f"] == []
    assert [(v, t, q) for v, t, q in cells if v in HOSTILE] == [(v, "s", True) for v in HOSTILE]
    assert (-3, "n", False) in cells  # numbers stay numbers
    assert ("名称", "s", False) in cells


def test_a_write_only_workbook_appended_by_the_helper_has_no_formula() -> None:
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("x")
    for v in HOSTILE:
        excel.append(ws, [v, 1.5, "普通文本"])
    buffer = io.BytesIO()
    excel.save(book, buffer)
    cells = _cells(buffer.getvalue())
    assert sorted(str(v) for v, t, _ in cells if t == "s" and v in HOSTILE) == sorted(HOSTILE)
    assert all(q for v, _, q in cells if v in HOSTILE)
    assert [c for c in cells if c[1] == "f"] == []


def test_frames_written_by_the_helper_keep_hostile_text_as_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"企业名称": HOSTILE, "得分": [0.5] * len(HOSTILE)})
    excel.write_frames(tmp_path / "f.xlsx", {"名单": frame})
    cells = _cells((tmp_path / "f.xlsx").read_bytes())
    assert [c for c in cells if c[1] == "f"] == []
    assert {v for v, _, q in cells if q} == set(HOSTILE)


def test_the_page_list_export_writes_a_hostile_firm_name_as_text() -> None:
    from api.pages.xlsx import write_list

    row = {
        "rank": 1,
        "name": HOSTILE[0],
        "city_label": "宁波",
        "chance": {"level": "high"},
        "p_success": 0.4,
        "facts": {},
        "reasons": ["=cmd|' /C calc'!A0"],
        "products": "@evil",
        "candidate_id": "913302000000000000",
    }
    cells = _cells(write_list(title="招商目标企业", header=[("园区", "-测试")], rows=[row]))
    assert [c for c in cells if c[1] == "f"] == []
    assert (HOSTILE[0], "s", True) in cells
    assert ("@evil", "s", True) in cells
    assert ("-测试", "s", True) in cells


def test_every_workbook_writer_goes_through_the_helper() -> None:
    writer = re.compile(r"\b(?:wb|book|workbook|writer|xw)\.save\(|\.to_excel\(|ExcelWriter\(")
    unrouted = set()
    for package in ("api", "recommender", "training"):
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel != "recommender/records/excel.py" and writer.search(
                path.read_text(encoding="utf-8")
            ):
                unrouted.add(rel)
    assert unrouted <= KNOWN_UNROUTED, sorted(unrouted - KNOWN_UNROUTED)


def test_a_file_written_elsewhere_is_protected_in_place(tmp_path: Path) -> None:
    frame = pd.DataFrame({"名称": HOSTILE})
    frame.to_excel(tmp_path / "x.xlsx", index=False)  # a plain writer: "=..." is a formula
    assert any(t == "f" for _, t, _ in _cells((tmp_path / "x.xlsx").read_bytes()))
    excel.protect_file(tmp_path / "x.xlsx")
    cells = _cells((tmp_path / "x.xlsx").read_bytes())
    assert [c for c in cells if c[1] == "f"] == []
    assert {v for v, _, q in cells if q} == set(HOSTILE)
