"""对接会 in Chromium: create an event from participants, plan it, see the grid and the
agendas, export and print (one agenda per page), cancel a participant (confirmed) and undo."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.browser

EVENT = "EV-PAGE-01"


def _participants_text(server: Any) -> tuple[str, int, int]:
    parts = pd.read_csv(server.world / "participants.csv", dtype=str).fillna("")
    first = parts[parts["event_id"] == parts["event_id"].iloc[0]]
    lines = [f"{u},{r}" for u, r in zip(first["uscc"], first["role"], strict=True)]
    return "\n".join(lines), len(lines), int((first["role"] == "leading").sum())


def test_an_organiser_creates_plans_exports_and_replans_an_event(
    page: Any, server: Any, sign_in: Any, shots: Path, tmp_path: Path
) -> None:
    sign_in(page, "organiser", "/events")
    text, n, n_leading = _participants_text(server)
    form = page.locator("form#new-event")
    form.locator("input[name=event_id]").fill(EVENT)
    form.locator("input[name=name]").fill("蚌埠·智能传感器 龙头+配套 对接会")
    form.locator("input[name=date]").fill("2026-12-10")
    form.locator("select[name=city]").select_option("340300")
    form.locator("input[name=n_slots]").fill("6")
    form.locator("input[name=n_tables]").fill(str(n_leading))  # a table per leading firm
    form.locator("input[name=start_time]").fill("13:30")
    form.locator("textarea[name=participants_text]").fill(text)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/events/{EVENT}?start=13:30")
    assert page.input_value("form.plan-form input[name=start_time]") == "13:30"
    assert page.inner_text("h1.event-name") == "蚌埠·智能传感器 龙头+配套 对接会"
    assert page.locator("table.participants tbody tr").count() == n
    assert page.inner_text("p.empty") == "尚未排程"
    assert "2026-12-10" in page.inner_text("p.meta")

    page.click("#run-plan")
    page.wait_for_selector("table.grid td.meeting")
    assert page.locator("table.grid tbody tr th").first.inner_text() == "13:30-13:50"
    meetings = page.locator("table.grid td.meeting")
    n_meetings = int(page.inner_text("span.n-meetings"))
    assert meetings.count() == n_meetings > 0
    assert page.inner_text("span.plan-version") == "1"
    summary = page.inner_text("p.plan-summary")
    assert summary.startswith(f"共排 {n_meetings} 场会谈")
    assert "已达理论最优的 " in summary
    assert "上界" not in summary
    # each leading firm keeps one table the whole event
    tables: dict[str, set[int]] = {}
    for cell in meetings.all():
        lead = cell.get_attribute("data-leading") or ""
        tables.setdefault(lead, set()).add(int(cell.evaluate("c => c.cellIndex")))
    assert tables
    assert all(len(t) == 1 for t in tables.values()), tables
    # nobody sits in two places in one slot
    for row in page.locator("table.grid tbody tr").all():
        firms = [
            c.get_attribute(a)
            for c in row.locator("td.meeting").all()
            for a in ("data-leading", "data-supporting")
        ]
        assert len(firms) == len(set(firms))
    first = meetings.first
    leading = first.get_attribute("data-leading")
    agenda = page.locator(f"section.agenda[data-uscc='{leading}']")
    own = page.locator(f"table.grid td.meeting[data-leading='{leading}']").count()
    assert agenda.locator("tbody tr").count() == own
    page.screenshot(path=str(shots / "event_plan.png"), full_page=True)

    with page.expect_download() as info:
        page.click("a.button[download]")
    info.value.save_as(tmp_path / "plan.xlsx")
    assert load_workbook(tmp_path / "plan.xlsx", read_only=True).sheetnames

    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    agendas = page.locator("section.agenda")
    breaks = agendas.evaluate_all("s => s.map(e => getComputedStyle(e).breakBefore)")
    assert breaks[0] != "page"
    assert set(breaks[1:]) == {"page"}  # every further agenda starts a printed page
    pages = len(re.findall(rb"/Type\s*/Page[^s]", page.pdf()))
    assert pages == agendas.count()  # one printed page per firm's agenda
    page.emulate_media(media="screen")

    name = page.locator(f"table.participants tr[data-uscc='{leading}'] td.firm").inner_text()
    name = name.split("\n")[0]
    dialogs: list[str] = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.locator(f"table.participants tr[data-uscc='{leading}'] button.danger").click()
    assert dialogs == [
        f"确定取消「{name}」的参会吗？它的会谈会被取消，其余会谈保持不变，空出的时段会补上其他企业。"
    ]
    assert page.inner_text("span.plan-version") == "1"  # dismissed: nothing happened
    page.once("dialog", lambda d: d.accept())
    page.locator(f"table.participants tr[data-uscc='{leading}'] button.danger").click()
    page.wait_for_selector("table.changes")
    assert page.inner_text("p.cancelled-notice").startswith(f"已取消「{name}」的参会")
    removed = page.locator("table.changes tr.change-removed")
    assert removed.count() == own
    assert page.inner_text("span.plan-version") == "2"
    assert page.locator(f"table.grid td.meeting[data-leading='{leading}']").count() == 0
    status = page.locator(f"table.participants tr[data-uscc='{leading}'] .stage")
    assert status.inner_text() == "已取消参会"
    page.screenshot(path=str(shots / "event_replan.png"), full_page=True)

    page.click("#undo-cancel")
    page.wait_for_selector("table.grid td.meeting")
    assert page.inner_text("p.notice").startswith(f"已撤销取消：{name} 重新参会")
    assert page.locator(f"table.grid td.meeting[data-leading='{leading}']").count() > 0
    assert page.locator(f"table.participants tr[data-uscc='{leading}'] .stage").count() == 0


def test_bad_participants_are_listed_and_no_event_is_created(
    page: Any, server: Any, sign_in: Any
) -> None:
    sign_in(page, "organiser", "/events")
    form = page.locator("form#new-event")
    form.locator("input[name=event_id]").fill("EV-PAGE-BAD")
    form.locator("input[name=name]").fill("坏数据")
    form.locator("textarea[name=participants_text]").fill("12345,leading\n")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("table.row-errors")
    cells = page.locator("table.row-errors tbody tr").first.locator("td").all_inner_texts()
    assert cells[:2] == ["2", "统一社会信用代码"]
    assert cells[2].startswith("18 位统一社会信用代码")
    assert cells[3] == "12345"
    assert page.locator("a[href='/events/EV-PAGE-BAD']").count() == 0
    # what was typed is still there, to be corrected
    assert form.locator("input[name=event_id]").input_value() == "EV-PAGE-BAD"
    assert form.locator("textarea[name=participants_text]").input_value() == "12345,leading\n"
