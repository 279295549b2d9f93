"""配套 in Chromium, both sides: suppliers for a leading firm, customers for a 蚌埠 office's
own firms (with the empty side explained), and recording a step."""

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
    sign_in(page, "organiser", "/peitao?side=supplier")
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
    # record 会谈 (meeting held) for the second candidate, right in its row
    second = page.locator("table.ranked tbody tr").nth(1)
    uscc = second.get_attribute("data-uscc")
    second.locator("select[name=stage]").select_option("meeting")
    second.locator("input[name=date]").fill("2026-11-20")
    second.locator("form.record button").click()
    page.wait_for_selector("p.notice")
    assert page.inner_text("p.notice") == "已记录：已会谈"
    row = page.locator(f"table.ranked tbody tr[data-uscc='{uscc}']")
    assert row.locator(".latest .stage").inner_text() == "已会谈"
    assert row.locator(".latest .sub").inner_text() == "2026-11-20"
    page.screenshot(path=str(shots / "peitao.png"), full_page=True)


def test_a_bad_or_future_date_is_refused_in_chinese(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "organiser", "/peitao?side=supplier")
    firm = page.locator("select[name=firm] option").nth(1).get_attribute("value")
    page.goto(f"{server.url}/peitao?side=supplier&firm={firm}&k=5")
    row = page.locator("table.ranked tbody tr").first
    row.locator("input[name=date]").evaluate("e => { e.type = 'text'; e.value = '2026-02-30'; }")
    row.locator("form.record button").click()
    page.wait_for_selector("p.step-error")
    assert (
        page.inner_text("p.step-error") == "日期应为 2026-05-20 这样的格式，填写的是 “2026-02-30”。"
    )
    row = page.locator("table.ranked tbody tr").first
    row.locator("input[name=date]").evaluate(
        "e => { e.removeAttribute('max'); e.value = '2099-01-01'; }"
    )
    row.locator("form.record button").click()
    page.wait_for_selector("p.step-error")
    assert "还没到" in page.inner_text("p.step-error")


def test_a_bengbu_office_finds_customers_for_its_own_firms(
    page: Any, server: Any, sign_in: Any, shots: Path
) -> None:
    sign_in(page, "promotion_office", "/peitao")
    assert page.locator(".tabs a.active").get_attribute("data-side") == "customer"
    options = page.locator("select[name=firm] option").all_inner_texts()[1:]
    assert options
    assert all(o.startswith("蚌埠市 · ") for o in options)
    firm = page.locator("select[name=firm] option").nth(1).get_attribute("value")
    page.select_option("select[name=firm]", firm)
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    req = urllib.request.Request(
        f"{server.url}/v1/rank/customer/{firm}?k=20",
        headers={"X-API-Key": server.keys["promotion_office"]},
    )
    with urllib.request.urlopen(req, timeout=300) as r:
        expected = json.load(r)
    names = page.locator(".firm-name").all_inner_texts()
    assert names == [c["name"] for c in expected["candidates"]]
    if not names:
        assert page.locator(".hint-short").inner_text().startswith("没有找到可能采购")
    page.screenshot(path=str(shots / "peitao_customer.png"), full_page=True)
    # the other side: 蚌埠 has no leading firm in this world, and the page says what to do
    page.click(".tabs a[data-side=supplier]")
    page.wait_for_load_state("domcontentloaded")
    if page.locator("select[name=firm]").count() == 0:
        assert page.inner_text(".empty-side").startswith("您所在城市还没有登记的龙头企业")
        assert page.locator(".empty-side a[href='/peitao?side=customer']").count() == 1
