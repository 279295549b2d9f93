"""成效看板 in Chromium: an office uploads its ledger (bad rows shown, then a good file), sees
its pairing's totals, SVG charts and the Excel export; a coordinator sees all eight pairings
and no upload form."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
YEAR = dt.date.today().year
HEADER = "项目编号,项目名称,投资方,来源地,所属园区,进度,日期,协议投资额(亿元)"


def _ledger(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8-sig")
    return path


def test_an_office_uploads_its_ledger_and_sees_its_pairing(
    page: Any, server: Any, sign_in: Any, tmp_path: Path, shots: Path
) -> None:
    sign_in(page, "promotion_office", "/dashboard")
    assert page.locator("nav.menu a[data-page=dashboard]").inner_text() == "成效看板"
    bad = _ledger(tmp_path / "台账-错误.csv", [
        f"B1,好项目,宁波甲公司,宁波,甬蚌产业合作园区,签约,{YEAR}-03-01,5.2",
        f"B2,坏进度,宁波乙公司,宁波,甬蚌产业合作园区,快签了,{YEAR}-03-01,1",
        f"B3,别市项目,某公司,闵行区,CB02,签约,{YEAR}-03-01,1",
    ])  # fmt: skip
    page.set_input_files("form#upload-ledger input[type=file]", str(bad))
    page.click("form#upload-ledger button[type=submit]")
    page.wait_for_selector("table.row-errors")
    rows = [
        r.locator("td").all_inner_texts() for r in page.locator("table.row-errors tbody tr").all()
    ]
    # the other city's row is refused first (scoping), nothing is written
    assert [r[0] for r in rows] == ["4"]
    assert page.inner_text("#total-signed") == "0"
    good = _ledger(tmp_path / "台账.csv", [
        f"G1,汽车零部件项目,宁波甲公司,宁波,甬蚌产业合作园区,签约,{YEAR}-03-01,5.2",
        f"G2,数控机床项目,杭州丙公司,杭州,甬蚌产业合作园区,开工,{YEAR}-05-10,2.0",
        f"G3,新材料项目,宁波丁公司,宁波,甬蚌产业合作园区,在谈,{YEAR}-04-01,1.5",
    ])  # fmt: skip
    page.set_input_files("form#upload-ledger input[type=file]", str(good))
    page.click("form#upload-ledger button[type=submit]")
    page.wait_for_selector("p.notice")
    assert "3 个项目, 新增 3" in page.inner_text("p.notice")
    row = page.locator("table#pairings tbody tr[data-city='340300']")
    assert row.locator("td.signed").inner_text() == "1"  # from 宁波 only
    assert row.locator("td.agreed").inner_text() == "5.20"
    assert page.locator("table#pairings tbody tr").count() == 1  # its own pairing only
    section = page.locator("section.pairing[data-city='340300']")
    march = section.locator("svg.trend g[data-month='3']")
    assert march.get_attribute("data-signed") == "1"
    assert section.locator("svg.funnel g").count() == 6
    assert section.locator("svg g.dot.cand[data-city='330100']").count() == 1  # 杭州 on the map
    with page.expect_download() as info:
        page.click("a#export-xlsx")
    assert info.value.suggested_filename == f"dashboard-{YEAR}.xlsx"
    page.screenshot(path=str(shots / "dashboard_office.png"), full_page=True)


def test_a_coordinator_sees_all_eight_pairings_read_only(
    page: Any, server: Any, tmp_path: Path, shots: Path
) -> None:
    server.cli("users", "create", "coord", "--role", "coordinator", "--password", "coord-pass-1")
    page.goto(f"{server.url}/login?next=/dashboard")
    page.fill("input[name=username]", "coord")
    page.fill("input[name=password]", "coord-pass-1")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_selector("table#pairings")
    assert page.locator("table#pairings tbody tr").count() == 8
    assert page.locator("section.pairing").count() == 8
    assert page.locator("form#upload-ledger").count() == 0
    cities = page.locator("table#pairings tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.city)"
    )
    assert cities == sorted(cities)
    page.screenshot(path=str(shots / "dashboard_coordinator.png"), full_page=True)


def test_chain_targeting_for_a_park_with_its_firm_list(
    page: Any, server: Any, sign_in: Any, tmp_path: Path, shots: Path
) -> None:
    import pandas as pd

    firms = pd.read_csv(server.world / "enterprises.csv", dtype=str).sort_values("uscc")
    leading = firms[firms["is_leading"].str.lower() == "true"]["uscc"].iloc[0]
    supporting = firms[firms["is_leading"].str.lower() != "true"]["uscc"].iloc[0]
    members = tmp_path / "园区企业名单.csv"
    members.write_text(
        f"所属园区,统一社会信用代码\n甬蚌产业合作园区,{leading}\n甬蚌产业合作园区,{supporting}\n",
        encoding="utf-8",
    )
    assert "inserted 2" in server.cli("import", "park_members", str(members))
    sign_in(page, "promotion_office", "/dashboard")
    page.click("a#chain-link")
    page.select_option("form#chain-form select[name=park]", "CB10")
    page.click("form#chain-form button[type=submit]")
    page.wait_for_selector("table.chain tbody tr")
    rows = page.locator("table.chain tbody tr[data-id]")
    assert rows.count() > 0
    ids = rows.evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert leading not in ids
    assert supporting not in ids
    assert "以商招商" in rows.first.locator("ul.reasons").inner_text()
    page.screenshot(path=str(shots / "dashboard_chain.png"), full_page=True)
