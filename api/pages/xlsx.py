"""The 招商/配套 list as an Excel workbook in Chinese: a header block (what, which filters,
when), then one row per firm with the page's columns, filters switched on, ids last."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from recommender.records import excel

COLUMNS: Final = (
    ("排名", 6),
    ("企业名称", 34),
    ("所在城市", 10),
    ("成功可能性", 10),
    ("成功概率", 10),
    ("营业收入(万元)", 14),
    ("参保人数", 10),
    ("资质", 26),
    ("距离(公里)", 10),
    ("最近进展", 16),
    ("推荐理由", 70),
    ("主营产品", 36),
    ("统一社会信用代码", 22),
)
LEVEL_ZH: Final = {"high": "高", "mid": "中", "low": "低", "": "–"}
STAGE_ZH: Final = {
    "recommended": "已推荐",
    "contacted": "已联系",
    "meeting": "已会谈",
    "intention": "有意向",
    "signed": "已签约",
    "landed": "已落地",
    "declined": "不合适",
}
_UNSAFE: Final = re.compile(r'[\\/:*?"<>|\s]+')


def file_name(title: str, subject: str, day: dt.date) -> str:
    """``招商目标企业_甬蚌产业合作园区_2026-12-01.xlsx`` (characters Windows refuses dropped)."""
    return f"{_UNSAFE.sub('', title)}_{_UNSAFE.sub('', subject)}_{day.isoformat()}.xlsx"


def disposition(name: str) -> str:
    """A Content-Disposition that keeps a Chinese file name (RFC 6266 / 5987)."""
    ascii_name = name.encode("ascii", "ignore").decode() or "list.xlsx"
    ascii_name = ascii_name.replace('"', "") if ascii_name != ".xlsx" else "list.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _cell_row(r: dict[str, Any]) -> list[object]:
    facts = r.get("facts") or {}
    latest = r.get("latest")
    step = f"{STAGE_ZH.get(latest['stage'], latest['stage'])} {latest['date']}" if latest else ""
    p = r.get("p_success")
    return [
        r["rank"],
        r["name"],
        r.get("city_label", ""),
        LEVEL_ZH.get(r["chance"]["level"], "–"),
        None if p is None else round(float(p), 4),
        facts.get("revenue_wan"),
        facts.get("employees"),
        "、".join(facts.get("quals", [])),
        r.get("km"),
        step,
        "\n".join(f"{i + 1}. {text}" for i, text in enumerate(r["reasons"])),
        r.get("products", ""),
        r["candidate_id"],
    ]


def write_list(
    *,
    title: str,
    header: Sequence[tuple[str, str]],
    rows: Sequence[dict[str, Any]],
) -> bytes:
    """The workbook's bytes: ``title``, the ``header`` block (label, value), then the table."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "目标企业"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in header:
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.append([])
    head_row = len(header) + 3  # title, the header block, one blank row
    ws.append([name for name, _ in COLUMNS])
    fill = PatternFill("solid", fgColor="EEF2F7")
    for j, (_, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(head_row, j)
        cell.font = Font(bold=True)
        cell.fill = fill
        ws.column_dimensions[get_column_letter(j)].width = width
    for r in rows:
        ws.append(_cell_row(r))
        for j in (2, 8, 11, 12):
            ws.cell(ws.max_row, j).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(ws.max_row, 5).number_format = "0.0%"
    last = ws.max_row
    ws.auto_filter.ref = f"A{head_row}:{get_column_letter(len(COLUMNS))}{max(last, head_row)}"
    ws.freeze_panes = ws.cell(head_row + 1, 3)
    buffer = io.BytesIO()
    excel.save(wb, buffer)  # firm names and texts never become formulas
    return buffer.getvalue()
