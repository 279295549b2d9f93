"""Ranked-list exports: Chinese headers, and a formula-like text stays text in Excel."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from recommender.ranking.explain import Reason
from recommender.ranking.export import write_csv, write_xlsx
from recommender.ranking.results import RankedCandidate, RankedList


def _list() -> RankedList:
    c = RankedCandidate(
        rank=1,
        candidate_id="91330200MA2XXXXXX1",
        name='=HYPERLINK("http://x","点我")',
        city_code="330200",
        city_name="宁波市",
        industry_code="3973",
        products="+传感器模组",
        score=0.8,
        final_score=0.8,
        p_success=0.2,
        reasons=[Reason("chain", 0.3, "上游配套", "upstream")],
    )
    return RankedList("supplier", "Q1", "龙头", "v1", pd.Timestamp("2026-01-01"), [c], 10, 10)


def test_xlsx_keeps_formula_like_texts_as_text(tmp_path: Path) -> None:
    path = write_xlsx([_list()], tmp_path / "lists.xlsx")
    book = openpyxl.load_workbook(path)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    risky = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value for c in risky} >= {'=HYPERLINK("http://x","点我")', "+传感器模组"}
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)


def test_csv_has_chinese_headers_and_the_row(tmp_path: Path) -> None:
    path = write_csv([_list()], tmp_path / "lists.csv")
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    row = frame.iloc[0]
    assert row["企业名称"] == '=HYPERLINK("http://x","点我")'
    assert row["城市"] == "宁波市"
    assert row["统一社会信用代码"] == "91330200MA2XXXXXX1"
    assert row["推荐理由"].startswith("上游配套")
