"""Re-planning keeps meetings in place; Excel and HTML hold the meetings where they belong."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from recommender.errors import NotFoundError
from recommender.planner import (
    CHANGE_COLUMNS,
    EventSpec,
    agendas,
    grid,
    plan_event,
    render_html,
    replan,
    write_excel,
)
from recommender.planner.check import violations

SPEC = EventSpec(
    "EV1",
    n_slots=3,
    n_tables=2,
    slot_minutes=20,
    start=datetime(2025, 6, 18, 9, 0),
    name="蚌埠对接会",
    venue="蚌埠会展中心",
)


def _event() -> tuple[pd.DataFrame, pd.DataFrame]:
    parts = pd.DataFrame(
        {
            "uscc": ["L1", "L2", "S1", "S2", "S3", "S4", "S5"],
            "name": ["龙头甲", "龙头乙", "配套一", "配套二", "配套三", "配套四", "配套五"],
            "role": ["leading"] * 2 + ["supporting"] * 5,
            "max_meetings": [2, 3, 1, 1, 1, 1, 1],
            "official": ["", "", "张科长", "", "", "", ""],
        }
    )
    pairs = pd.DataFrame(
        [
            ("L1", "S1", 0.9),
            ("L1", "S2", 0.8),
            ("L1", "S4", 0.3),
            ("L2", "S3", 0.7),
            ("L2", "S4", 0.2),
            ("L2", "S1", 0.6),
            ("L1", "S5", 0.1),
        ],
        columns=["leading_uscc", "supporting_uscc", "value"],
    )
    return parts, pairs


def _where(meetings: pd.DataFrame, lead: str, supp: str) -> tuple[int, int]:
    hit = meetings[(meetings["leading_uscc"] == lead) & (meetings["supporting_uscc"] == supp)]
    assert len(hit) == 1
    return int(hit["slot"].iloc[0]), int(hit["table"].iloc[0])


def test_replan_keeps_unaffected_meetings_and_fills_freed_capacity() -> None:
    parts, pairs = _event()
    plan = plan_event(SPEC, parts, pairs)
    before = plan.meetings.set_index(["leading_uscc", "supporting_uscc"])[["slot", "table"]]
    assert set(before.index) == {("L1", "S1"), ("L1", "S2"), ("L2", "S3"), ("L2", "S4")}
    new = replan(plan, "S3")
    after = new.meetings.set_index(["leading_uscc", "supporting_uscc"])[["slot", "table"]]
    kept = before.drop(index=("L2", "S3"))
    pd.testing.assert_frame_equal(after.loc[kept.index], kept)
    # L2 has room again but its other candidate S1 is at its cap: nothing to add
    assert set(after.index) == set(kept.index)
    changes = new.report.changes
    assert changes is not None
    assert list(changes.columns) == CHANGE_COLUMNS
    assert changes["change"].tolist() == ["removed"]
    assert new.cancelled == ("S3",)
    assert violations(new) == []


def test_replan_adds_the_next_best_pair() -> None:
    parts, pairs = _event()
    plan = plan_event(SPEC, parts, pairs)
    before = plan.meetings.set_index(["leading_uscc", "supporting_uscc"])[["slot", "table"]]
    freed = _where(plan.meetings, "L1", "S1")
    new = replan(plan, "S1")  # L1 (cap 2) loses S1; the next best free partner is S5
    changes = new.report.changes
    assert changes is not None
    assert changes[["change", "leading_uscc", "supporting_uscc"]].values.tolist() == [
        ["removed", "L1", "S1"],
        ["added", "L1", "S5"],
    ]
    # the freed slot, at L1's own table
    assert _where(new.meetings, "L1", "S5") == freed
    after = new.meetings.set_index(["leading_uscc", "supporting_uscc"])[["slot", "table"]]
    kept = before.drop(index=("L1", "S1"))
    pd.testing.assert_frame_equal(after.loc[kept.index], kept)
    assert new.report.value == pytest.approx(0.8 + 0.7 + 0.2 + 0.1)
    assert violations(new) == []
    with pytest.raises(NotFoundError, match="S1 is not a remaining participant"):
        replan(new, "S1")


def test_agendas_and_grid_hold_a_known_meeting() -> None:
    parts, pairs = _event()
    plan = plan_event(SPEC, parts, pairs)
    slot, table = _where(plan.meetings, "L1", "S1")
    assert grid(plan).loc[slot, table] == "龙头甲 ↔ 配套一"
    assert (grid(plan) != "").to_numpy().sum() == 4
    ag = agendas(plan)
    s1 = ag[ag["uscc"] == "S1"].iloc[0]
    assert (s1["partner_name"], s1["slot"], s1["table"], s1["official"]) == (
        "龙头甲",
        slot,
        table,
        "张科长",
    )
    assert sorted(ag.loc[ag["uscc"] == "L1", "partner_uscc"]) == ["S1", "S2"]
    assert len(ag) == 2 * len(plan.meetings)


def test_excel_has_the_sheets_and_the_meeting_in_the_right_cell(tmp_path: Path) -> None:
    parts, pairs = _event()
    plan = plan_event(SPEC, parts, pairs)
    slot, table = _where(plan.meetings, "L1", "S1")
    path = write_excel(plan, tmp_path / "out" / "schedule.xlsx")
    wb = load_workbook(path)
    firm_sheets = ["龙头甲", "龙头乙", "配套一", "配套二", "配套三", "配套四"]
    assert wb.sheetnames[:5] == ["汇总", "全部会谈", "时段1", "时段2", "时段3"]
    assert sorted(wb.sheetnames[5:]) == sorted(firm_sheets)
    ws = wb[f"时段{slot + 1}"]
    assert [c.value for c in ws[2]] == [
        "桌号",
        "龙头企业",
        "龙头企业代码",
        "配套企业",
        "配套企业代码",
        "成功概率",
    ]
    r = 2 + table
    assert (ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 4).value) == (
        table,
        "龙头甲",
        "配套一",
    )
    assert ws.cell(r, 6).value == pytest.approx(0.9)
    assert ws["B1"].value == SPEC.slot_label(slot)
    agenda = wb["配套一"]
    assert agenda["D1"].value == "陪同：张科长"
    assert [c.value for c in agenda[3]] == [slot + 1, SPEC.slot_label(slot), table, "龙头甲", "L1"]
    summary = {r[0].value: r[1].value for r in wb["汇总"].iter_rows() if r[0].value}
    assert summary["会谈场数"] == 4
    assert summary["活动名称"] == "蚌埠对接会"


def test_html_is_chinese_printable_and_contains_the_meeting() -> None:
    parts, pairs = _event()
    plan = plan_event(SPEC, parts, pairs)
    html = render_html(plan)
    assert html.startswith("<!DOCTYPE html>")
    assert 'lang="zh-CN"' in html
    assert "@media print" in html
    assert "龙头甲 ↔ 配套一" in html
    assert "陪同：张科长" in html
    assert "蚌埠对接会" in html
    assert html.count('class="agenda') == 6


def test_html_escapes_names() -> None:
    parts, pairs = _event()
    parts.loc[0, "name"] = "<script>x</script>"
    html = render_html(plan_event(SPEC, parts, pairs))
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;" in html
    assert np.isfinite(plan_event(SPEC, parts, pairs).report.lp_bound)
