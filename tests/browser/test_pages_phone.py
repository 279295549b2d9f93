"""Every page on a 390 px phone (no horizontal overflow, lists as cards, a compact header)
and at 1440x900, with screenshots of both under var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

PARK = "CB10"
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}


def _pages(server: Any) -> list[tuple[str, str, str]]:
    """(name, role, path) of every page, one list or detail each."""
    events = pd.read_csv(server.world / "events.csv", dtype=str)
    event = str(events.sort_values("date")["event_id"].iloc[-1])
    return [
        ("login", "", "/login"),
        ("zhaoshang", "promotion_office", f"/zhaoshang?park={PARK}&k=10"),
        ("zhaoshang_short", "promotion_office", f"/zhaoshang?park={PARK}&srdi=national&size=large"),
        ("peitao_customer", "promotion_office", "/peitao?side=customer"),
        ("peitao_supplier", "organiser", "/peitao?side=supplier"),
        ("events", "organiser", "/events"),
        ("event", "organiser", f"/events/{event}"),
        ("analysis", "analyst", "/analysis"),
        ("not_found", "analyst", "/no-such-page"),
        ("bad_input", "promotion_office", "/zhaoshang?k=0"),
        ("forbidden", "analyst", "/events"),
    ]


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[str, Any]]:
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.set_default_timeout(120_000)
    yield request.param, context.new_page()
    context.close()


def test_every_page_fits_the_screen_and_is_photographed(
    sized: tuple[str, Any], server: Any, sign_in: Any, shots: Path
) -> None:
    size, page = sized
    width = SIZES[size][0]
    signed_as = None
    too_wide = {}
    for name, role, path in _pages(server):
        if role != signed_as:
            page.context.clear_cookies()
            if role:
                sign_in(page, role)
            signed_as = role
        if name == "event" and size == "phone":
            page.goto(server.url + path)
            if page.locator("table.grid").count() == 0:
                page.click("#run-plan")
                page.wait_for_selector("table.grid")
        else:
            page.goto(server.url + path)
        page.wait_for_load_state("domcontentloaded")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            too_wide[name] = scroll
        page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
    assert too_wide == {}, f"pages wider than {width} px: {too_wide}"


def test_on_a_phone_lists_are_cards_and_the_header_is_compact(
    browser: Any, server: Any, sign_in: Any
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.set_default_timeout(120_000)
    page = context.new_page()
    try:
        sign_in(page, "promotion_office", f"/zhaoshang?park={PARK}&k=5")
        page.wait_for_selector("table.ranked tbody tr")
        assert page.locator("table.ranked thead").evaluate("e => getComputedStyle(e).display") == (
            "none"
        )
        row = page.locator("table.ranked tbody tr").first
        assert row.evaluate("e => getComputedStyle(e).display") == "block"
        box = row.bounding_box()
        assert box is not None
        assert box["width"] <= 390
        # 招商 stays one line: its menu link is about one line high, the header is short
        link = page.locator("nav.menu a[data-page=zhaoshang]").bounding_box()
        assert link is not None
        assert link["height"] < 40
        header = page.locator("header.top").bounding_box()
        assert header is not None
        assert header["height"] < 110
        # the reasons get the card's width, not three characters
        reasons = row.locator("ul.reasons").bounding_box()
        assert reasons is not None
        assert reasons["width"] > 250
    finally:
        context.close()
