"""招商 in Chromium: a 蚌埠 office ranks 沪苏浙 firms for its park: the chance as a level and a
percentage, the firms' facts, filters with a hint when the list is short, recording a step
from a row, map, Excel in Chinese."""

from __future__ import annotations

import datetime as dt
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
    # the chance shown is the service's p_success as a percentage with its level, in order
    for row, c in zip(rows.all(), expected, strict=True):
        pct = row.locator(".pct").inner_text()
        p = c["p_success"]
        assert pct == ("<1%" if 0 < p < 0.005 else f"{100 * p:.0f}%")
        level = "高" if p >= 0.30 else "中" if p >= 0.10 else "低"
        assert row.locator(".chance").inner_text() == level
    headers = page.locator("table.ranked thead th").all_inner_texts()
    for column in ("营业收入(万元)", "参保人数", "资质", "距离(公里)", "最近进展"):
        assert column in headers
    assert "0." not in top.locator(".pct").inner_text()
    assert page.locator("code.model-version").count() == 0  # no model id on screen
    assert "340300" not in page.inner_text("header")
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


def test_a_short_list_says_which_filter_to_drop(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "promotion_office", f"/zhaoshang?park={PARK}&srdi=national&size=large&k=50")
    page.wait_for_load_state("domcontentloaded")
    n = page.locator("table.ranked tbody tr").count()
    hint = page.locator(".hint-short")
    assert n < 50
    assert hint.count() == 1
    text = hint.inner_text()
    assert (f"只找到 {n} 家" in text) if n else ("没有找到" in text)
    links = page.locator(".hint-short a.loosen")
    assert links.all_inner_texts() == [
        "去掉「企业规模：大型 (≥1000人)」",
        "去掉「专精特新：国家级」",
    ]
    links.last.click()
    page.wait_for_load_state("domcontentloaded")
    assert "srdi=" not in page.url
    assert "size=large" in page.url
    assert page.locator("table.ranked tbody tr").count() >= n


def test_a_signing_with_its_amount_is_recorded_from_a_row(
    page: Any, server: Any, sign_in: Any
) -> None:
    sign_in(page, "promotion_office", f"/zhaoshang?park={PARK}&k=10")
    row = page.locator("table.ranked tbody tr").nth(2)
    uscc = row.get_attribute("data-uscc")
    assert not row.locator("input[name=amount]").is_visible()
    row.locator("select[name=stage]").select_option("signed")
    assert row.locator("input[name=amount]").is_visible()  # asked only for 签约
    row.locator("input[name=amount]").fill("2,500")
    row.locator("input[name=date]").fill("2026-11-20")
    row.locator("form.record button").click()
    page.wait_for_selector("p.notice")
    assert page.inner_text("p.notice") == "已记录：已签约"
    again = page.locator(f"table.ranked tbody tr[data-uscc='{uscc}']")
    assert again.locator(".latest .stage").inner_text() == "已签约"
    assert again.locator(".latest .sub").inner_text() == "2026-11-20"
    # a 不合适 the same day contradicts it and is refused in Chinese
    again.locator("select[name=stage]").select_option("declined")
    again.locator("input[name=date]").fill("2026-11-20")
    again.locator("form.record button").click()
    page.wait_for_selector("p.step-error")
    assert "同一天不能再记录" in page.inner_text("p.step-error")


def test_the_list_exports_to_excel_in_chinese(
    page: Any, server: Any, sign_in: Any, tmp_path: Path
) -> None:
    sign_in(
        page, "promotion_office", f"/zhaoshang?park={PARK}&province=%E6%B5%99%E6%B1%9F%E7%9C%81"
    )
    page.wait_for_selector("table.ranked tbody tr")
    top_name = page.locator(".firm-name").first.inner_text()
    with page.expect_download() as info:
        page.click("a.button[download]")
    today = dt.date.today().isoformat()
    assert info.value.suggested_filename == f"招商目标企业_甬蚌产业合作园区_{today}.xlsx"
    path = tmp_path / "list.xlsx"
    info.value.save_as(path)
    sheet = load_workbook(path)["目标企业"]
    block = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, max_row=9, values_only=True)}
    assert block["园区"] == "蚌埠市 · 甬蚌产业合作园区"
    assert block["筛选条件"] == "省份：浙江省"
    assert block["导出日期"] == today
    assert block["查询类型"].startswith("招商引资")
    header_row = next(
        i for i, r in enumerate(sheet.iter_rows(values_only=True), 1) if r[0] == "排名"
    )
    header = [c.value for c in sheet[header_row]]
    first = [c.value for c in sheet[header_row + 1]]
    assert {"企业名称", "推荐理由", "营业收入(万元)", "成功可能性"} <= set(header)
    assert all(not str(h).isascii() for h in header if h)  # Chinese headers throughout
    assert first[header.index("企业名称")] == top_name
    assert first[header.index("排名")] == 1
    assert sheet.auto_filter.ref.startswith(f"A{header_row}:")
