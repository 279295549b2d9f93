"""Pages: sign-in with accounts, no-store caching, Chinese HTML errors for browsers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from tests.api.conftest import Api

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def users(api: Api) -> dict[str, str]:
    from recommender.security import accounts

    with api.factory() as s:
        accounts.create_user(
            s,
            username="bb",
            password="bengbu-pass",
            role="promotion_office",
            city_code="340300",
            label="蚌埠市投资促进局",
        )
        accounts.create_user(s, username="ana", password="analyst-pass", role="analyst")
    return {"bb": "bengbu-pass", "ana": "analyst-pass"}


def _client(api: Api) -> TestClient:
    return TestClient(api.client.app, raise_server_exceptions=False)


def _sign_in(client: TestClient, username: str, password: str) -> None:
    r = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def test_the_sign_in_form_asks_for_a_user_name_and_password(api: Api) -> None:
    r = _client(api).get("/login", headers=HTML)
    assert r.status_code == 200
    assert 'name="username"' in r.text
    assert 'name="password"' in r.text
    assert "API" not in r.text
    assert "keys create" not in r.text


def test_sign_in_goes_to_the_roles_first_page_and_a_wrong_password_stays(
    api: Api, users: dict[str, str]
) -> None:
    client = _client(api)
    r = client.post("/login", data={"username": "bb", "password": "nope-nope"})
    assert r.status_code == 401
    assert "用户名或密码不正确" in r.text
    assert 'value="bb"' in r.text  # the user name is kept
    r = client.post(
        "/login", data={"username": "bb", "password": users["bb"]}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/zhaoshang"
    page = client.get("/zhaoshang", headers=HTML)
    assert page.status_code == 200
    assert "蚌埠市投资促进局" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_an_api_key_no_longer_signs_in_a_person(api: Api) -> None:
    r = _client(api).post("/login", data={"username": "", "password": api.keys["admin"]})
    assert r.status_code == 401


def test_a_disabled_account_loses_its_session_at_once(api: Api) -> None:
    from recommender.security import accounts

    with api.factory() as s:
        accounts.create_user(s, username="tmp_org", password="organiser-1", role="organiser")
    client = _client(api)
    _sign_in(client, "tmp_org", "organiser-1")
    assert client.get("/events", headers=HTML, follow_redirects=False).status_code == 200
    with api.factory() as s:
        accounts.disable_user(s, username="tmp_org")
    r = client.get("/events", headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_signing_out_leaves_nothing_to_go_back_to(api: Api, users: dict[str, str]) -> None:
    client = _client(api)
    _sign_in(client, "ana", users["ana"])
    page = client.get("/analysis", headers=HTML)
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["cache-control"] == "no-store"
    assert client.get("/analysis", follow_redirects=False).status_code == 303


def test_an_unknown_page_is_a_chinese_html_404_for_a_browser_and_json_for_a_program(
    api: Api,
) -> None:
    client = _client(api)
    r = client.get("/no-such-page", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "页面不存在" in r.text
    assert "Not Found" not in r.text
    assert "{" not in r.text.split("<body>")[1].split("<style")[0]
    j = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert j.status_code == 404
    assert j.json() == {"detail": "Not Found"}
    assert client.get("/v1/parks", headers={"X-API-Key": "cm_bad"}).json()["detail"]


def test_a_bad_form_value_is_a_chinese_422_page(api: Api, users: dict[str, str]) -> None:
    client = _client(api)
    _sign_in(client, "bb", users["bb"])
    r = client.get("/zhaoshang?k=0", headers=HTML)
    assert r.status_code == 422
    assert "填写有误" in r.text
    assert "数量" in r.text
    assert "应不小于 1" in r.text
    assert "greater_than_equal" not in r.text


def test_a_refused_page_is_a_chinese_403(api: Api, users: dict[str, str]) -> None:
    client = _client(api)
    _sign_in(client, "ana", users["ana"])
    r = client.get("/events", headers=HTML)
    assert r.status_code == 403
    assert "当前角色无权访问此页面" in r.text


def test_an_unexpected_failure_is_a_chinese_500_without_a_traceback(api: Api) -> None:
    app = api.client.app

    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/_test_boom", boom)  # type: ignore[attr-defined]
    client = _client(api)
    r = client.get("/_test_boom", headers=HTML)
    assert r.status_code == 500
    assert "系统出错了" in r.text
    assert "secret internal detail" not in r.text
    assert "Traceback" not in r.text
    j = client.get("/_test_boom")
    assert j.status_code == 500
    assert "secret" not in j.text
