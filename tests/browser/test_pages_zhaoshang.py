"""招商 in Chromium: a 蚌埠 office ranks 沪苏浙 firms for its park, filters, map, Excel."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.browser

PARK = "CB10"  # 甬蚌产业合作园区 (蚌埠), paired with 宁波 330200
NINGBO = "330200"


def api_rank(server: Any, query: str) -> dict[str, Any]:
    req = urllib.request.Request(
        f"{server.url}/v1/rank/investor/{PARK}?{query}",
        headers={"X-API-Key": server.keys["promotion_office"]},
    )
    with urllib.request.urlopen(req, timeout=300) as r:
        data: dict[str, Any] = json.load(r)
    return data


def test_an_office_sees_only_its_own_parks(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "promotion_office")
    options = page.locator("select[name=park] option").all_inner_texts()[1:]
    assert len(options) == 7
    assert all(text.startswith("蚌埠市 · ") for text in options)
    assert "蚌埠市 · 甬蚌产业合作园区" in options


def test_the_ranked_list_shows_the_services_top_firm_with_its_reasons_and_a_map(
    page: Any, server: Any, sign_in: Any, shots: Path
) -> None:
    sign_in(page, "promotion_office")
    page.select_option("select[name=park]", PARK)
    page.click("#zs-form button[type=submit]")
    page.wait_for_selector("table.ranked tbody tr")
    expected = api_rank(server, "k=20")["candidates"]
    rows = page.locator("table.ranked tbody tr")
    assert rows.count() == len(expected) == 20
    assert page.locator(".firm-name").all_inner_texts() == [c["name"] for c in expected]
    top = rows.nth(0)
    assert top.get_attribute("data-uscc") == expected[0]["candidate_id"]
    reasons = top.locator("ul.reasons li").all_inner_texts()
    assert reasons == [r["text_zh"] for r in expected[0]["reasons"]]
    assert reasons, "the top firm must come with at least one reason"
    assert page.inner_text("span.query-name") == "甬蚌产业合作园区"
    # the map: the park's city, the paired city, one dot per candidate city sized by count
    assert page.locator("svg g.dot.park").get_attribute("data-city") == "340300"
    assert page.locator("svg g.dot.partner").get_attribute("data-city") == NINGBO
    per_city: dict[str, int] = {}
    for c in expected:
        per_city[c["city_code"]] = per_city.get(c["city_code"], 0) + 1
    drawn = {
        g.get_attribute("data-city"): int(g.get_attribute("data-count") or 0)
        for g in page.locator("svg g.dot.cand, svg g.dot.partner").all()
    }
    assert {k: v for k, v in drawn.items() if v} == per_city
    page.screenshot(path=str(shots / "zhaoshang.png"), full_page=True)


def test_filters_narrow_the_list_like_the_api(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "promotion_office", f"/zhaoshang?park={PARK}")
    page.select_option("select[name=province]", "浙江省")
    page.select_option("select[name=size]", "small")
    page.click("#zs-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    expected = api_rank(server, "k=20&province=%E6%B5%99%E6%B1%9F%E7%9C%81&size=small")
    names = page.locator(".firm-name").all_inner_texts()
    assert names == [c["name"] for c in expected["candidates"]]
    assert all(c["city_code"].startswith("33") for c in expected["candidates"])
    assert "province=%E6%B5%99%E6%B1%9F%E7%9C%81" in page.url


def test_the_list_exports_to_excel(page: Any, server: Any, sign_in: Any, tmp_path: Path) -> None:
    sign_in(page, "promotion_office", f"/zhaoshang?park={PARK}")
    page.wait_for_selector("table.ranked tbody tr")
    top_name = page.locator(".firm-name").first.inner_text()
    with page.expect_download() as info:
        page.click("a.button[download]")
    path = tmp_path / "list.xlsx"
    info.value.save_as(path)
    sheet = load_workbook(path, read_only=True)["汇总"]
    header, first = list(sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    assert {"企业名称", "推荐理由"} <= set(header)
    assert first[header.index("企业名称")] == top_name
    assert first[header.index("排名")] == 1
