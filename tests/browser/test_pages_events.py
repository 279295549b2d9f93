"""对接会 in Chromium: create an event from participants, plan it, see the grid and the
agendas, export and print, cancel a participant and re-plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.browser

EVENT = "EV-PAGE-01"


def _participants_text(server: Any) -> tuple[str, int]:
    parts = pd.read_csv(server.world / "participants.csv", dtype=str).fillna("")
    first = parts[parts["event_id"] == parts["event_id"].iloc[0]]
    lines = [f"{u},{r}" for u, r in zip(first["uscc"], first["role"], strict=True)]
    return "\n".join(lines), len(lines)


def test_an_organiser_creates_plans_exports_and_replans_an_event(
    page: Any, server: Any, sign_in: Any, shots: Path, tmp_path: Path
) -> None:
    sign_in(page, "organiser", "/events")
    text, n = _participants_text(server)
    form = page.locator("form#new-event")
    form.locator("input[name=event_id]").fill(EVENT)
    form.locator("input[name=name]").fill("蚌埠·智能传感器 龙头+配套 对接会")
    form.locator("input[name=date]").fill("2026-12-10")
    form.locator("select[name=city]").select_option("340300")
    form.locator("input[name=n_slots]").fill("6")
    form.locator("input[name=n_tables]").fill("4")
    form.locator("textarea[name=participants_text]").fill(text)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/events/{EVENT}")
    assert page.inner_text("h1.event-name") == "蚌埠·智能传感器 龙头+配套 对接会"
    assert page.locator("table.participants tbody tr").count() == n
    assert page.inner_text("p.empty") == "尚未排程"

    page.click("#run-plan")
    page.wait_for_selector("table.grid td.meeting")
    meetings = page.locator("table.grid td.meeting")
    n_meetings = int(page.inner_text("span.n-meetings"))
    assert meetings.count() == n_meetings > 0
    assert page.inner_text("span.plan-version") == "1"
    assert page.inner_text("p.plan-summary").startswith(f"{n_meetings} 场会谈")
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
    assert page.locator("table.grid").is_visible()
    page.screenshot(path=str(shots / "event_print.png"), full_page=True)
    page.emulate_media(media="screen")

    page.locator(f"table.participants tr[data-uscc='{leading}'] button.danger").click()
    page.wait_for_selector("table.changes")
    removed = page.locator("table.changes tr.change-removed")
    assert removed.count() == own
    assert page.inner_text("span.plan-version") == "2"
    assert page.locator(f"table.grid td.meeting[data-leading='{leading}']").count() == 0
    status = page.locator(f"table.participants tr[data-uscc='{leading}'] .stage")
    assert status.inner_text() == "已取消参会"
    page.screenshot(path=str(shots / "event_replan.png"), full_page=True)


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
    assert cells[:2] == ["2", "uscc"]
    assert cells[3] == "12345"
    assert page.locator("a[href='/events/EV-PAGE-BAD']").count() == 0
