"""Views and exports of a plan: per-firm agendas, the slot x table grid, Excel and HTML."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from recommender.planner.plan import Plan
from recommender.records import excel

__all__ = ["AGENDA_COLUMNS", "agendas", "grid", "render_html", "write_excel"]

AGENDA_COLUMNS = [
    "uscc",
    "name",
    "role",
    "official",
    "slot",
    "time",
    "table",
    "partner_uscc",
    "partner_name",
    "value",
]
_ROLE_ZH = {"leading": "龙头企业", "supporting": "配套企业"}
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_TEMPLATES = Path(__file__).resolve().parent / "templates"


def agendas(plan: Plan) -> pd.DataFrame:
    """One row per firm and meeting, sorted by firm and slot (columns ``AGENDA_COLUMNS``).

    Firms without meetings are absent. ``official`` is the accompanying official, if given.
    """
    m = plan.meetings
    parts = plan.participants.assign(uscc=plan.participants["uscc"].astype(str))
    official = (
        parts.set_index("uscc")["official"].fillna("").astype(str)
        if "official" in parts.columns
        else pd.Series(dtype=object)
    )
    sides = []
    for me, other, role in (
        ("leading", "supporting", "leading"),
        ("supporting", "leading", "supporting"),
    ):
        sides.append(
            pd.DataFrame(
                {
                    "uscc": m[f"{me}_uscc"],
                    "name": m[f"{me}_name"],
                    "role": role,
                    "slot": m["slot"],
                    "time": m["time"],
                    "table": m["table"],
                    "partner_uscc": m[f"{other}_uscc"],
                    "partner_name": m[f"{other}_name"],
                    "value": m["value"],
                }
            )
        )
    out = pd.concat(sides, ignore_index=True)
    out["official"] = out["uscc"].map(official).fillna("").astype(str)
    return out.sort_values(["uscc", "slot"], kind="stable").reset_index(drop=True)[AGENDA_COLUMNS]


def grid(plan: Plan) -> pd.DataFrame:
    """Slot x table grid: index ``slot`` (0-based), columns tables 1..n, cells
    ``'龙头企业名 ↔ 配套企业名'`` or '' for a free table."""
    S, T = plan.spec.n_slots, plan.spec.n_tables
    cells = np.full((S, T), "", dtype=object)
    m = plan.meetings
    labels = m["leading_name"].astype(str) + " ↔ " + m["supporting_name"].astype(str)
    cells[m["slot"].to_numpy(dtype=np.int64), m["table"].to_numpy(dtype=np.int64) - 1] = (
        labels.to_numpy(dtype=object)
    )
    out = pd.DataFrame(cells, index=pd.RangeIndex(S, name="slot"), columns=range(1, T + 1))
    out.columns.name = "table"
    return out


def _summary_rows(plan: Plan) -> list[tuple[str, Any]]:
    r = plan.report
    return [
        ("活动编号", plan.spec.event_id),
        ("活动名称", plan.spec.name),
        ("地点", plan.spec.venue),
        ("开始时间", f"{plan.spec.start:%Y-%m-%d %H:%M}"),
        ("时段数 × 每段分钟", f"{plan.spec.n_slots} × {plan.spec.slot_minutes}"),
        ("桌数", plan.spec.n_tables),
        ("会谈场数", r.n_meetings),
        ("总价值（成功概率之和）", round(r.value, 4)),
        ("目标值", round(r.objective, 4)),
        ("LP 上界", round(r.lp_bound, 4)),
        ("最优性差距", f"{r.gap:.4%}"),
        ("未能排入时段的会谈", r.n_dropped),
        ("未达最低会谈数的企业", len(r.unmet_minimums)),
        ("全程固定一张桌的龙头企业", f"{r.leaders_one_table[0]}/{r.leaders_one_table[1]}"),
        ("求解器", r.solver),
        ("排程方法", r.schedule_method),
        ("用时（秒）", round(r.timings.get("total", float("nan")), 3)),
    ]


def _title(text: str, used: set[str]) -> str:
    base = _BAD_TITLE.sub("_", text)[:31] or "sheet"
    title, k = base, 1
    while title in used:
        k += 1
        title = f"{base[:27]}~{k}"
    used.add(title)
    return title


def _header(ws: Any, names: list[str]) -> None:
    """A bold header row."""
    bold = Font(bold=True)
    row = []
    for n in names:
        cell = WriteOnlyCell(ws, value=n)
        cell.font = bold
        row.append(cell)
    excel.append(ws, row)


def _summary_sheet(ws: Any, plan: Plan) -> None:
    """汇总: figures, unmet minimums, quotas, notes."""
    r = plan.report
    _header(ws, ["项目", "数值"])
    for k, v in _summary_rows(plan):
        excel.append(ws, [k, v])
    excel.append(ws, [])
    _header(ws, ["未达最低会谈数", "企业代码", "要求", "实际", "原因"])
    for u in r.unmet_minimums:
        excel.append(ws, [u.name, u.uscc, u.wanted, u.got, u.reason])
    excel.append(ws, [])
    _header(ws, ["城市配额", "皖北城市", "结对城市", "要求", "实际", "是否满足"])
    for q in r.quotas:
        excel.append(
            ws,
            ["", q.wanbei_city_code, q.partner_city_code, q.required, q.achieved,
             "是" if q.met else "否"],
        )  # fmt: skip
    for n in r.notes:
        excel.append(ws, ["说明", n])


def _meeting_cells(rec: dict[Any, Any]) -> list[object]:
    """Both firms of a meeting and its value, as a row's cells."""
    return [
        rec["leading_name"],
        rec["leading_uscc"],
        rec["supporting_name"],
        rec["supporting_uscc"],
        round(float(rec["value"]), 4),
    ]


def _slot_sheet(ws: Any, plan: Plan, s: int, cell: dict[tuple[int, int], dict[Any, Any]]) -> None:
    """时段N: a row per table with both firms (empty tables left blank)."""
    excel.append(ws, [f"时段 {s + 1}", plan.spec.slot_label(s)])
    _header(ws, ["桌号", "龙头企业", "龙头企业代码", "配套企业", "配套企业代码", "成功概率"])
    for t in range(1, plan.spec.n_tables + 1):
        x = cell.get((s, t))
        excel.append(ws, [t, *_meeting_cells(x)] if x is not None else [t, "", "", "", "", None])


def _agenda_sheet(ws: Any, uscc: str, g: pd.DataFrame) -> None:
    """One firm's agenda: who it meets, when and at which table."""
    first = g.iloc[0]
    excel.append(
        ws,
        [str(first["name"]), uscc, _ROLE_ZH[str(first["role"])],
         f"陪同：{first['official']}" if first["official"] else ""],
    )  # fmt: skip
    _header(ws, ["时段", "时间", "桌号", "对方企业", "对方企业代码"])
    for rec in g.to_dict("records"):
        excel.append(
            ws,
            [int(rec["slot"]) + 1, rec["time"], int(rec["table"]), rec["partner_name"],
             rec["partner_uscc"]],
        )  # fmt: skip


def write_excel(plan: Plan, path: str | Path) -> Path:
    """Write the plan as an .xlsx workbook and return its path.

    Sheets: ``汇总`` (figures, unmet minimums, quotas, dropped meetings), ``全部会谈``,
    one per slot (``时段1`` ... : a row per table with both firms) and one per firm with
    meetings (its agenda; titled by the firm name, made unique).
    """
    path = Path(path)
    wb = Workbook(write_only=True)
    used: set[str] = set()
    _summary_sheet(wb.create_sheet(_title("汇总", used)), plan)
    ws = wb.create_sheet(_title("全部会谈", used))
    _header(
        ws,
        ["时段", "时间", "桌号", "龙头企业", "龙头企业代码", "配套企业", "配套企业代码",
         "成功概率"],
    )  # fmt: skip
    records = plan.meetings.to_dict("records")
    for rec in records:
        excel.append(
            ws, [int(rec["slot"]) + 1, rec["time"], int(rec["table"]), *_meeting_cells(rec)]
        )
    cell = {(int(rec["slot"]), int(rec["table"])): rec for rec in records}
    for s in range(plan.spec.n_slots):
        _slot_sheet(wb.create_sheet(_title(f"时段{s + 1}", used)), plan, s, cell)
    for uscc, g in agendas(plan).groupby("uscc", sort=False):
        _agenda_sheet(wb.create_sheet(_title(str(g.iloc[0]["name"]), used)), str(uscc), g)
    path.parent.mkdir(parents=True, exist_ok=True)
    excel.save(wb, path)
    return path


def render_html(plan: Plan) -> str:
    """A printable Chinese HTML page: summary, slot x table grid and every firm's agenda."""
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    ag = agendas(plan)
    firms = [
        {
            "uscc": str(u),
            "name": str(g["name"].iloc[0]),
            "role": _ROLE_ZH[str(g["role"].iloc[0])],
            "official": str(g["official"].iloc[0]),
            "rows": g.to_dict("records"),
        }
        for u, g in ag.groupby("uscc", sort=False)
    ]
    firms.sort(key=lambda f: (f["role"] != "龙头企业", f["name"]))
    return env.get_template("plan.html").render(
        spec=plan.spec,
        report=plan.report,
        summary=_summary_rows(plan),
        slots=[plan.spec.slot_label(s) for s in range(plan.spec.n_slots)],
        cells=grid(plan).T.to_numpy().tolist(),
        firms=firms,
    )
