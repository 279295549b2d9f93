"""Ranked lists as frames, CSV, JSON and Excel an office can read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from recommender.ranking.service import RankedList
from recommender.records import excel

COLUMNS_ZH = {
    "query_kind": "查询类型",
    "query_id": "查询对象编号",
    "query_name": "查询对象",
    "rank": "排名",
    "candidate_id": "统一社会信用代码",
    "name": "企业名称",
    "city_name": "城市",
    "industry_code": "行业代码",
    "products": "主营产品",
    "final_score": "综合得分",
    "p_success": "签约概率",
    "reasons_zh": "推荐理由",
    "reasons_en": "Reasons",
    "model_version": "模型版本",
}


def list_to_frame(ranked: RankedList) -> pd.DataFrame:
    """One row per candidate with reasons joined into one cell per language."""
    rows: list[dict[str, Any]] = [
        {
            "query_kind": ranked.kind,
            "query_id": ranked.query_id,
            "query_name": ranked.query_name,
            "rank": c.rank,
            "candidate_id": c.candidate_id,
            "name": c.name,
            "city_name": c.city_name,
            "industry_code": c.industry_code,
            "products": c.products,
            "final_score": round(c.final_score, 4),
            "p_success": None if c.p_success is None else round(c.p_success, 4),
            "reasons_zh": "；".join(r.text_zh for r in c.reasons),
            "reasons_en": "; ".join(r.text_en for r in c.reasons),
            "model_version": ranked.model_version,
        }
        for c in ranked.candidates
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS_ZH))


def lists_to_frame(lists: list[RankedList]) -> pd.DataFrame:
    """All lists stacked."""
    if not lists:
        return pd.DataFrame(columns=list(COLUMNS_ZH))
    return pd.concat([list_to_frame(r) for r in lists], ignore_index=True)


def write_xlsx(lists: list[RankedList], path: Path) -> Path:
    """An Excel workbook: a summary sheet and one sheet per query, Chinese headers."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        lists_to_frame(lists).rename(columns=COLUMNS_ZH).to_excel(
            xw, sheet_name="汇总", index=False
        )
        used: set[str] = {"汇总"}
        for r in lists:
            name = _sheet_name(f"{r.query_name or r.query_id}", used)
            list_to_frame(r).rename(columns=COLUMNS_ZH).to_excel(xw, sheet_name=name, index=False)
        for ws in xw.book.worksheets:
            for col, width in zip(
                "ABCDEFGHIJKLMN",
                (10, 20, 28, 6, 22, 30, 10, 10, 30, 10, 10, 60, 60, 22),
                strict=True,
            ):
                ws.column_dimensions[col].width = width
            ws.freeze_panes = "A2"
        # a product text such as "=HYPERLINK(...)" from an import stays text in Excel
        excel.protect_workbook(xw.book)
    return path


def write_csv(lists: list[RankedList], path: Path, *, encoding: str = "utf-8-sig") -> Path:
    """CSV with Chinese headers; ``encoding`` utf-8-sig (Excel-friendly) or gbk."""
    frame = lists_to_frame(lists).rename(columns=COLUMNS_ZH)
    frame.to_csv(path, index=False, encoding=encoding)
    return Path(path)


def _sheet_name(base: str, used: set[str]) -> str:
    bad = "[]:*?/\\"
    clean = "".join("_" if ch in bad else ch for ch in base)[:28] or "list"
    name, i = clean, 2
    while name in used:
        name = f"{clean[:25]}_{i}"
        i += 1
    used.add(name)
    return name
