"""Sign-in, menus by role, language switch and the 403 page, in Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

MENUS = {
    "promotion_office": ["招商", "配套", "成效看板"],
    "organiser": ["配套", "对接会"],
    "analyst": ["分析", "成效看板"],
    "admin": ["招商", "配套", "对接会", "分析", "成效看板"],
}


def test_a_page_without_a_session_asks_for_a_user_name_and_refuses_a_wrong_password(
    page: Any, server: Any, shots: Path
) -> None:
    page.goto(f"{server.url}/zhaoshang")
    assert page.url.startswith(f"{server.url}/login?next=/zhaoshang")
    assert page.inner_text("h1") == "登录"
    assert page.locator("label").all_inner_texts()[:2] == ["用户名", "密码"]
    assert "API" not in page.inner_text("main")
    page.screenshot(path=str(shots / "login.png"), full_page=True)
    page.fill("input[name=username]", "bengbu")
    page.fill("input[name=password]", "not-the-password")
    page.click("form[action='/login'] button[type=submit]")
    assert page.inner_text("p.error") == "用户名或密码不正确，或账户已停用"
    assert page.input_value("input[name=username]") == "bengbu"


@pytest.mark.parametrize("role", list(MENUS))
def test_the_menu_follows_the_role(page: Any, server: Any, sign_in: Any, role: str) -> None:
    sign_in(page, role)
    assert page.locator("nav.menu a").all_inner_texts() == MENUS[role]
    first = {"promotion_office": "/zhaoshang", "organiser": "/events", "analyst": "/analysis"}
    assert page.url == server.url + first.get(role, "/zhaoshang")


def test_a_role_is_refused_a_page_outside_its_menu(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "analyst")
    response = page.goto(f"{server.url}/events")
    assert response.status == 403
    assert page.inner_text("p.error") == "当前角色无权访问此页面"


def test_english_can_be_switched_on_and_off(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "admin", "/analysis")
    page.click("a.lang")
    assert page.locator("nav.menu a").all_inner_texts() == [
        "Investment promotion",
        "Supply pairing",
        "Matchmaking events",
        "Analysis",
        "Dashboard",
    ]
    assert page.url == f"{server.url}/analysis"
    assert page.inner_text("h1") == "Outcomes and models"
    page.click("a.lang")
    assert page.inner_text("h1") == "效果分析与模型管理"


def test_signing_out_ends_the_session_and_back_shows_no_cached_page(
    page: Any, server: Any, sign_in: Any
) -> None:
    sign_in(page, "organiser")
    assert page.url == f"{server.url}/events"
    page.click("header form[action='/logout'] button")
    assert page.url.startswith(f"{server.url}/login")
    assert page.inner_text("p.notice") == "您已安全退出"
    page.go_back()
    page.wait_for_load_state("domcontentloaded")
    assert page.url.startswith(f"{server.url}/login")  # re-fetched, not served from a cache
    page.goto(f"{server.url}/events")
    assert page.url.startswith(f"{server.url}/login")


def test_an_unknown_page_is_a_chinese_html_404(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "admin")
    response = page.goto(f"{server.url}/no-such-page")
    assert response.status == 404
    assert page.inner_text("h1") == "页面不存在"
    assert "Not Found" not in page.content()
    assert page.locator("nav.menu a").count() >= 4  # the menu stays, so the user can go on
