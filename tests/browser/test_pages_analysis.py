"""分析 in Chromium: outcome upload with row errors, retrain and its progress, model
versions, promote and roll back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
PRODUCTION = "table.versions > tbody > tr.production"


def test_a_bad_outcomes_file_is_refused_row_by_row(
    page: Any, server: Any, sign_in: Any, tmp_path: Path, shots: Path
) -> None:
    sign_in(page, "analyst")
    firm = (server.world / "enterprises.csv").read_text(encoding="utf-8").splitlines()[1][:18]
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
    assert ["3", "stage"] in [r[:2] for r in rows]
    stage = next(r for r in rows if r[1] == "stage")
    assert stage[3] == "maybe"
    page.screenshot(path=str(shots / "analysis_rejected.png"), full_page=True)


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
    assert page.inner_text("p.notice").startswith("outcomes_ok.csv: 5 rows")


def test_retrain_is_followed_to_the_end_and_versions_can_be_promoted_and_rolled_back(
    page: Any, server: Any, sign_in: Any, shots: Path
) -> None:
    sign_in(page, "analyst")
    versions = page.locator("table.versions > tbody > tr")
    assert versions.count() == 1
    assert versions.first.get_attribute("class") == "production"
    assert "ndcg" in versions.first.locator("table.metrics").inner_text()
    page.click("form#retrain button[type=submit]")
    job = page.locator("table.jobs tbody tr").first
    assert job.get_attribute("data-status") in ("queued", "running", "succeeded")
    deadline = time.monotonic() + 600
    while job.get_attribute("data-status") in ("queued", "running"):
        assert time.monotonic() < deadline, "retrain did not finish in 10 minutes"
        page.wait_for_timeout(2000)  # the page refreshes itself every 3 s while busy
        job = page.locator("table.jobs tbody tr").first
    assert job.get_attribute("data-status") == "succeeded", job.inner_text()
    new_version = job.locator("code").inner_text()
    assert page.locator("table.versions > tbody > tr").count() == 2
    page.screenshot(path=str(shots / "analysis.png"), full_page=True)

    candidate = page.locator("table.versions > tbody > tr:not(.production)").first
    chosen = candidate.get_attribute("data-version")
    candidate.locator("button").click()
    page.wait_for_selector("p.notice")
    assert page.locator(PRODUCTION).get_attribute("data-version") == chosen
    page.click("form[action='/analysis/rollback'] button")
    page.wait_for_selector("p.notice")
    assert page.locator(PRODUCTION).get_attribute("data-version") != chosen
    assert new_version in {
        r.get_attribute("data-version") for r in page.locator("table.versions > tbody > tr").all()
    }
