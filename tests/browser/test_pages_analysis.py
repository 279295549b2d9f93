"""分析 in Chromium: outcome upload with row errors (also contradictions and future dates),
retrain and its progress, versions compared on the same window, promote and roll back,
each confirmed."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
PRODUCTION = "section.version.production"


def _firm(server: Any) -> str:
    return (server.world / "enterprises.csv").read_text(encoding="utf-8").splitlines()[1][:18]


def test_a_bad_outcomes_file_is_refused_row_by_row_in_chinese(
    page: Any, server: Any, sign_in: Any, tmp_path: Path, shots: Path
) -> None:
    sign_in(page, "analyst")
    firm = _firm(server)
    bad = tmp_path / "outcomes.csv"
    bad.write_text(
        "query_kind,query_id,candidate_id,stage,date,event_id,amount_wan\n"
        f"supplier,{firm},{firm},signed,2025-06-01,,\n"
        f"supplier,{firm},{firm},maybe,2025-06-01,,\n",
        encoding="utf-8",
    )
    page.set_input_files("form#upload-outcomes input[type=file]", str(bad))
    page.click("form#upload-outcomes button[type=submit]")
    page.wait_for_selector("table.row-errors")
    rows = [
        r.locator("td").all_inner_texts() for r in page.locator("table.row-errors tbody tr").all()
    ]
    stage = next(r for r in rows if r[1] == "进展")
    assert stage[0] == "3"
    assert stage[2].startswith("以下之一：")
    assert stage[3] == "maybe"
    assert "文件未导入" in page.inner_text("p.error")
    page.screenshot(path=str(shots / "analysis_rejected.png"), full_page=True)


def test_signed_and_declined_on_one_day_and_future_dates_are_refused(
    page: Any, server: Any, sign_in: Any, tmp_path: Path
) -> None:
    sign_in(page, "analyst")
    firm = _firm(server)
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    bad = tmp_path / "contradictions.csv"
    bad.write_text(
        "query_kind,query_id,candidate_id,stage,date,event_id,amount_wan\n"
        f"supplier,{firm},{firm},signed,2025-06-02,,300\n"
        f"supplier,{firm},{firm},declined,2025-06-02,,\n"
        f"supplier,{firm},{firm},signed,{future},,\n",
        encoding="utf-8",
    )
    page.set_input_files("form#upload-outcomes input[type=file]", str(bad))
    page.click("form#upload-outcomes button[type=submit]")
    page.wait_for_selector("table.row-errors")
    rows = [
        r.locator("td").all_inner_texts() for r in page.locator("table.row-errors tbody tr").all()
    ]
    assert [r[:2] for r in rows] == [["3", "进展"], ["4", "日期"]]
    assert rows[0][2] == "同一天不能既签约又拒绝"
    assert rows[1][2].startswith("不晚于")
    assert "未导入" in page.inner_text("p.error")


def test_a_good_outcomes_file_is_imported(
    page: Any, server: Any, sign_in: Any, tmp_path: Path
) -> None:
    sign_in(page, "analyst")
    lines = (server.world / "outcomes.csv").read_text(encoding="utf-8").splitlines()[:6]
    good = tmp_path / "outcomes_ok.csv"
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page.set_input_files("form#upload-outcomes input[type=file]", str(good))
    page.click("form#upload-outcomes button[type=submit]")
    page.wait_for_selector("p.notice")
    assert page.inner_text("p.notice").startswith("outcomes_ok.csv 已导入：共 5 行")


def test_retrain_compare_promote_and_roll_back_each_confirmed(
    page: Any, server: Any, sign_in: Any, shots: Path
) -> None:
    sign_in(page, "analyst")
    versions = page.locator("section.version")
    assert versions.count() == 1
    first = versions.first
    assert "production" in (first.get_attribute("class") or "")
    metric_names = first.locator("table.versions-compare tbody td:first-child").all_inner_texts()
    assert metric_names[0] == "排序质量 NDCG@10"
    assert "ndcg" not in first.inner_text()
    page.click("form#retrain button[type=submit]")
    job = page.locator("table.jobs tbody tr").first
    deadline = time.monotonic() + 600
    while job.get_attribute("data-status") in ("queued", "running"):
        assert time.monotonic() < deadline, "retrain did not finish in 10 minutes"
        page.wait_for_timeout(2000)  # the page refreshes itself every 3 s while busy
        job = page.locator("table.jobs tbody tr").first
    assert job.get_attribute("data-status") == "succeeded", job.inner_text()
    assert job.locator("td").nth(3).inner_text().startswith(("已上线", "保留原生产模型"))
    assert page.locator("section.version").count() == 2
    # the new version sits beside production scored in the same run (same window)
    new = page.locator(f"section.version[data-version='{job.get_attribute('data-version')}']")
    cells = new.locator("table.versions-compare tbody tr").first.locator("td").all_inner_texts()
    assert cells[0] == "排序质量 NDCG@10"
    assert cells[2] != "–"  # production's figure on the same window
    assert abs(float(cells[1]) - float(cells[2]) - float(cells[3])) < 2e-4
    page.screenshot(path=str(shots / "analysis.png"), full_page=True)

    dialogs: list[str] = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    candidate = page.locator("section.version:not(.production)").first
    chosen = candidate.get_attribute("data-version")
    rejected = candidate.locator("p.guard").get_attribute("data-ok") == "False"
    candidate.locator("form.promote-form button").click()
    assert dialogs, "promoting asks first"
    assert ("守门检查未通过" in dialogs[0]) == rejected
    assert page.locator(PRODUCTION).get_attribute("data-version") != chosen  # dismissed
    page.once("dialog", lambda d: d.accept())
    candidate.locator("form.promote-form button").click()
    page.wait_for_selector("p.notice")
    assert page.locator(PRODUCTION).get_attribute("data-version") == chosen
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.click("form#rollback button")
    page.wait_for_selector("p.notice")
    assert dialogs[-1].startswith("确定回滚吗？")
    assert page.locator(PRODUCTION).get_attribute("data-version") != chosen
