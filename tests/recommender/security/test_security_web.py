"""Over HTTP: security headers and the CSP (no inline script anywhere in the templates), the
audit of lists and models (``GET /v1/audit``, admin only), a database that is down -> 503."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.middleware import CSP, rule_for

if TYPE_CHECKING:
    from tests.conftest import SmallWorld

TEMPLATES = Path(__file__).resolve().parents[3] / "api" / "templates"
PASSWORD = "organiser pass 1"


@dataclass
class Web:
    client: TestClient
    factory: sessionmaker[Session]
    keys: dict[str, str]
    leading: str
    version: str

    def h(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]}


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, small_world: SmallWorld) -> Iterator[Web]:
    from api.app import create_app
    from features.reference import load_reference
    from recommender import security
    from recommender.db.models import Enterprise
    from recommender.security import accounts
    from recommender.settings import get_settings

    home = tmp_path_factory.mktemp("security_web")
    url = small_world.install(home)
    app = create_app(get_settings(home=home, database_url=url))
    app.state.runtime.reference = load_reference()
    factory: sessionmaker[Session] = app.state.session_factory
    keys: dict[str, str] = {}
    with factory() as s:
        for role in ("admin", "analyst", "organiser"):
            _, keys[role] = security.create_key(s, role=role, label=role)
        accounts.create_user(s, username="org1", password=PASSWORD, role="organiser")
        leading = s.scalars(
            select(Enterprise.uscc).where(Enterprise.is_leading).order_by(Enterprise.uscc)
        ).first()
    assert leading is not None
    with TestClient(app) as client:
        yield Web(client, factory, keys, leading, small_world.model_version)
    app.state.engine.dispose()


# ----------------------------------------------------------------------------- headers, CSP
@pytest.mark.slow
def test_pages_and_api_answers_carry_the_security_headers(web: Web) -> None:
    for path in ("/login", "/health", "/v1/enterprises"):
        r = web.client.get(path)
        assert r.headers["X-Frame-Options"] == "DENY", path
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Referrer-Policy"] == "same-origin", path
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp, path
        assert "'unsafe-inline'" not in csp, path
        assert "frame-ancestors 'none'" in csp, path
    assert "Content-Security-Policy" not in web.client.get("/docs").headers  # Swagger UI


@pytest.mark.slow
def test_the_sign_in_page_loads_its_script_from_static(web: Web) -> None:
    page = web.client.get("/login").text
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script src="/static/chainmatch.js" defer>']
    js = web.client.get("/static/chainmatch.js")
    assert js.status_code == 200
    assert "data-confirm" in js.text


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_template_has_inline_script_or_style(template: str) -> None:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), "inline event handler"
    assert "javascript:" not in text.lower()
    assert "<style" not in text
    assert not re.search(r"\sstyle\s*=", text), "inline style"


def test_the_audit_table_matches_lists_exports_and_models_only() -> None:
    assert rule_for("GET", "/v1/rank/supplier/X", "") is not None
    assert rule_for("GET", "/v1/rank/supplier/X/export.xlsx", "").action == "list.export"  # type: ignore[union-attr]
    assert rule_for("GET", "/zhaoshang", "") is None  # the empty form shows no list
    assert rule_for("GET", "/zhaoshang", "park=P1").action == "list.view"  # type: ignore[union-attr]
    assert rule_for("POST", "/v1/models/v1/promote", "").action == "model.promote"  # type: ignore[union-attr]
    assert rule_for("GET", "/v1/enterprises", "") is None
    assert "script-src 'self'" in CSP


# ----------------------------------------------------------------------------- audit
def _audit(web: Web, **params: str) -> list[dict[str, object]]:
    r = web.client.get("/v1/audit", params=params, headers=web.h("admin"))
    assert r.status_code == 200, r.text
    rows: list[dict[str, object]] = r.json()
    return rows


@pytest.mark.slow
def test_views_exports_and_promotions_are_audited_and_only_admins_read_them(web: Web) -> None:
    from recommender.security import authenticate

    with web.factory() as s:
        analyst_id = authenticate(s, web.keys["analyst"]).key_id
    view = web.client.get(f"/v1/rank/supplier/{web.leading}?k=5", headers=web.h("analyst"))
    assert view.status_code == 200, view.text
    export = web.client.get(
        f"/v1/rank/supplier/{web.leading}/export.xlsx", headers=web.h("analyst")
    )
    assert export.status_code == 200
    refused = web.client.get("/v1/rank/supplier/NO-SUCH-FIRM", headers=web.h("analyst"))
    assert refused.status_code == 404
    promoted = web.client.post(f"/v1/models/{web.version}/promote", headers=web.h("admin"))
    assert promoted.status_code == 200, promoted.text
    rolled = web.client.post("/v1/models/rollback", headers=web.h("admin"))

    lists = _audit(web, action="list.")
    assert [(e["action"], e["actor"], e["role"]) for e in lists] == [
        ("list.export", f"key:{analyst_id}", "analyst"),
        ("list.view", f"key:{analyst_id}", "analyst"),
    ]  # newest first; the 404 showed nothing and is not recorded
    assert lists[1]["target"] == f"/v1/rank/supplier/{web.leading}?k=5"
    assert lists[0]["client"] == "testclient"
    models = _audit(web, action="model.promote")
    assert models[0]["detail"] == {"status": "ok", "production": web.version}
    n_rollbacks = len(_audit(web, action="model.rollback"))
    assert n_rollbacks == (1 if rolled.status_code == 200 else 0)
    for who in ("analyst", "organiser"):
        assert web.client.get("/v1/audit", headers=web.h(who)).status_code == 403
    assert web.client.get("/v1/audit").status_code == 401
    reads = _audit(web, action="audit.view")
    assert reads
    assert reads[0]["role"] == "admin"


@pytest.mark.slow
def test_a_batch_reaches_its_route_whole_and_its_queries_are_audited(web: Web) -> None:
    body = {"query_ids": [web.leading, "NO-SUCH-FIRM"], "k": 3}
    refused = web.client.post("/v1/rank/supplier/batch", json=body, headers=web.h("analyst"))
    assert refused.status_code == 404  # the route read the whole body the audit read first
    body["query_ids"] = [web.leading]
    shown = web.client.post("/v1/rank/supplier/batch", json=body, headers=web.h("analyst"))
    assert shown.status_code == 200, shown.text
    assert len(shown.json()[0]["candidates"]) == 3
    entries = [e for e in _audit(web, action="list.view") if str(e["target"]).endswith("/batch")]
    assert len(entries) == 1  # the refused batch showed nothing
    assert entries[0]["detail"] == {"status": "ok", "query_ids": [web.leading]}


@pytest.mark.slow
def test_a_signed_in_person_is_audited_by_user_name(web: Web) -> None:
    page = web.client.post(
        "/login",
        data={"username": "org1", "password": PASSWORD, "next": "/peitao"},
        follow_redirects=False,
    )
    assert page.status_code == 303
    shown = web.client.get(f"/peitao?firm={web.leading}", headers={"Accept": "text/html"})
    assert shown.status_code == 200
    entry = _audit(web, action="list.view", actor="user:org1")
    assert entry[0]["target"] == f"/peitao?firm={web.leading}"
    assert entry[0]["role"] == "organiser"
    web.client.cookies.clear()


def test_failed_sign_ins_on_the_page_are_audited_then_refused_with_429(web: Web) -> None:
    from recommender.security.accounts import MAX_FAILURES

    for _ in range(MAX_FAILURES):
        r = web.client.post("/login", data={"username": "org1", "password": "wrong pw 1"})
        assert r.status_code == 401
    locked = web.client.post("/login", data={"username": "org1", "password": PASSWORD})
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.text
    failed = _audit(web, action="signin.failed")
    assert len(failed) == MAX_FAILURES
    assert {e["target"] for e in failed} == {"org1"}
    assert "wrong pw 1" not in repr(failed)


# ----------------------------------------------------------------------------- database down
def test_a_database_that_cannot_be_reached_answers_503_fast(tmp_path: Path) -> None:
    from api.app import create_app
    from recommender.settings import get_settings

    url = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"
    app = create_app(get_settings(home=tmp_path, database_url=url))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/v1/enterprises", headers={"X-API-Key": "cm_whatever"})
        assert r.status_code == 503
        assert r.json()["detail"].startswith("数据库暂时不可用")
        assert r.headers["Retry-After"] == "5"
        page = client.get(
            "/v1/enterprises", headers={"Accept": "text/html", "X-API-Key": "cm_whatever"}
        )
        assert page.status_code == 503
        assert "数据库暂时不可用" in page.text
    app.state.engine.dispose()


@pytest.mark.slow
def test_a_key_rotated_over_http_stops_working_and_its_successor_works(web: Web) -> None:
    made = web.client.post(
        "/v1/keys", json={"role": "analyst", "label": "to rotate", "expires_days": 30},
        headers=web.h("admin"),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    old = made.json()
    assert old["expires_at"] is not None
    rotated = web.client.post(f"/v1/keys/{old['id']}/rotate", headers=web.h("admin"))
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert (new["role"], new["label"]) == ("analyst", "to rotate")
    assert web.client.get("/v1/parks", headers={"X-API-Key": old["key"]}).status_code == 401
    assert web.client.get("/v1/parks", headers={"X-API-Key": new["key"]}).status_code == 200
    listed = {k["id"]: k for k in web.client.get("/v1/keys", headers=web.h("admin")).json()}
    assert listed[old["id"]]["replaced_by"] == new["id"]
    again = web.client.post(f"/v1/keys/{old['id']}/rotate", headers=web.h("admin"))
    assert again.status_code == 422
    entries = _audit(web, action="key.")
    assert [e["action"] for e in entries[:2]] == ["key.rotate", "key.create"]
    assert old["key"] not in repr(entries)
    assert new["key"] not in repr(entries)
