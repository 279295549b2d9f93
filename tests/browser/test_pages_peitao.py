"""配套 in Chromium: ranked supporting firms for a leading firm, and recording a step."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_supporting_firms_are_ranked_and_a_step_is_recorded_in_the_row(
    page: Any, server: Any, sign_in: Any, shots: Path
) -> None:
    sign_in(page, "organiser", "/peitao")
    firm = page.locator("select[name=firm] option").nth(1).get_attribute("value")
    page.select_option("select[name=firm]", firm)
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("table.ranked tbody tr")
    req = urllib.request.Request(
        f"{server.url}/v1/rank/supplier/{firm}?k=20", headers={"X-API-Key": server.keys["admin"]}
    )
    with urllib.request.urlopen(req, timeout=300) as r:
        expected = json.load(r)
    assert page.inner_text("span.query-name") == expected["query_name"]
    top = page.locator("table.ranked tbody tr").first
    assert top.locator(".firm-name").inner_text() == expected["candidates"][0]["name"]
    assert top.locator("ul.reasons li").all_inner_texts() == [
        r["text_zh"] for r in expected["candidates"][0]["reasons"]
    ]
    # record "已会面" (meeting held) for the second candidate, right in its row
    second = page.locator("table.ranked tbody tr").nth(1)
    uscc = second.get_attribute("data-uscc")
    second.locator("select[name=stage]").select_option("meeting")
    second.locator("input[name=date]").fill("2026-11-20")
    second.locator("form.record button").click()
    page.wait_for_selector("p.notice")
    assert page.inner_text("p.notice") == f"已记录: {uscc} → 已会面"
    row = page.locator(f"table.ranked tbody tr[data-uscc='{uscc}']")
    assert row.locator(".latest .stage").inner_text() == "已会面"
    assert row.locator(".latest .sub").inner_text() == "2026-11-20"
    page.screenshot(path=str(shots / "peitao.png"), full_page=True)


def test_a_bad_date_is_refused_with_the_row_error(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "organiser", "/peitao")
    firm = page.locator("select[name=firm] option").nth(1).get_attribute("value")
    page.goto(f"{server.url}/peitao?firm={firm}&k=5")
    row = page.locator("table.ranked tbody tr").first
    row.locator("input[name=date]").evaluate("e => { e.type = 'text'; e.value = '2026-02-30'; }")
    row.locator("form.record button").click()
    page.wait_for_selector("table.row-errors")
    cells = page.locator("table.row-errors tbody tr").first.locator("td").all_inner_texts()
    assert cells[0] == "2"
    assert cells[1] == "date"
    assert cells[3] == "2026-02-30"
