"""The full role × endpoint matrix: every endpoint, every kind of caller, the status it gets.

Callers: no key, an unknown key, a revoked key, a 蚌埠 (340300) promotion office, a 淮南
(340400) promotion office, an organiser, an analyst, an admin. Records of 蚌埠 are used, so
the 淮南 office is the "other city" for every city-scoped resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from features.uscc import uscc_check_digit

if TYPE_CHECKING:
    from conftest import Api

BENGBU = "340300"


def uscc(city: str, serial: int) -> str:
    body = f"91{city}MA{serial:07d}"
    return body + uscc_check_digit(body)


WHO = ("po_bb", "po_hn", "organiser", "analyst", "admin")
ANON = ("none", "bad", "revoked")
Body = Callable[["Api", str], dict[str, Any]]
SERIAL = {w: i for i, w in enumerate(WHO, start=100)}


def _none(api: Api, who: str) -> dict[str, Any]:
    return {}


def _grace(api: Api, who: str) -> dict[str, Any]:
    return {"json": {"grace_hours": 1}}  # the spare key keeps working for the rows after


def _firm(api: Api, who: str) -> dict[str, Any]:
    return {
        "json": {
            "uscc": uscc(BENGBU, SERIAL.get(who, 999)),
            "name": f"{who} 新企业",
            "city": "蚌埠市",
            "industry_code": "3973",
            "products": "传感器",
        }
    }


def _park(api: Api, who: str) -> dict[str, Any]:
    return {
        "json": {
            "park_id": f"M-P-{who}",
            "name": "新园区",
            "city": "蚌埠",
            "leading_industries": "智能传感器",
        }
    }


def _need(api: Api, who: str) -> dict[str, Any]:
    return {
        "json": {
            "need_id": f"M-N-{who}",
            "owner_kind": "park",
            "owner_id": api.ids["park_bb"],
            "description": "寻找封测配套",
        }
    }


def _event(api: Api, who: str) -> dict[str, Any]:
    return {
        "json": {"event_id": f"M-E-{who}", "name": "新对接会", "date": "2025-07-01", "city": BENGBU}
    }


def _outcome(api: Api, who: str) -> dict[str, Any]:
    row = {
        "query_kind": "investor",
        "query_id": api.ids["park_bb"],
        "candidate_id": api.ids["firm_nb"],
        "stage": "meeting",
        "date": "2025-06-02",
    }
    return {"json": {"outcomes": [row]}}


def _import(api: Api, who: str) -> dict[str, Any]:
    csv = (
        "uscc,name,city,industry_code,products\n"
        f"{uscc(BENGBU, 200 + SERIAL.get(who, 999))},导入企业,蚌埠,3973,传感器\n"
    )
    return {"files": {"file": ("企业.csv", csv.encode(), "text/csv")}}


def _patch_firm(api: Api, who: str) -> dict[str, Any]:
    return {"json": {"employees": 120}}


def _patch_text(field: str) -> Body:
    return lambda api, who: {"json": {field: "更新后的描述"}}


def _rank_batch(api: Api, who: str) -> dict[str, Any]:
    return {"json": {"query_ids": [api.ids["park_bb"]], "k": 5}}


def _no_running_retrain(api: Api, who: str) -> dict[str, Any]:
    """Mark earlier retrain jobs finished: one job at a time is refused (409) otherwise.

    A job is first left to leave ``queued`` (its thread marks it running), so that the
    thread cannot mark it running again after this."""
    import time

    from recommender.db import repo

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with api.factory() as s:
            statuses = [j.status for j in repo.list_retrain_jobs(s, limit=50)]
        if "queued" not in statuses:
            break
        time.sleep(0.05)
    with api.factory() as s:
        for job in repo.list_retrain_jobs(s, limit=50):
            if job.status == "running":
                repo.update_retrain_job(s, job_id=job.id, status="failed", message="test")
        s.commit()
    return {}


def _stage(api: Api, who: str) -> dict[str, Any]:
    return {"json": {"stage": "签约", "date": "2025-07-01"}}


def _ledger(api: Api, who: str) -> dict[str, Any]:
    csv = (
        "项目编号,项目名称,投资方,所属园区,进度,日期\n"
        f"M-PJ-{who},矩阵项目,某投资公司,{api.ids['park_bb']},在谈,2025-01-01\n"
    )
    return {"files": {"file": ("台账.csv", csv.encode(), "text/csv")}}


def _targets(api: Api, who: str) -> dict[str, Any]:
    return {"json": {"city_code": BENGBU, "year": 2025, "signed_projects": 3}}


def _key(api: Api, who: str) -> dict[str, Any]:
    return {"json": {"role": "analyst", "label": f"matrix {who}"}}


# (id, method, path, body, expected status for WHO in order)
MATRIX: list[tuple[str, str, str, Body, tuple[int, ...]]] = [
    ("enterprises.list", "GET", "/v1/enterprises", _none, (200, 200, 200, 200, 200)),
    ("enterprises.get", "GET", "/v1/enterprises/{firm_bb}", _none, (200, 200, 200, 200, 200)),
    ("enterprises.create", "POST", "/v1/enterprises", _firm, (403, 403, 201, 201, 201)),
    (
        "enterprises.update",
        "PATCH",
        "/v1/enterprises/{firm_nb}",
        _patch_firm,
        (403, 403, 200, 200, 200),
    ),
    ("parks.list", "GET", "/v1/parks", _none, (200, 200, 200, 200, 200)),
    ("parks.list_other_city", "GET", "/v1/parks?city=340400", _none, (403, 200, 200, 200, 200)),
    ("parks.get", "GET", "/v1/parks/{park_bb}", _none, (200, 403, 200, 200, 200)),
    ("parks.create", "POST", "/v1/parks", _park, (201, 403, 403, 201, 201)),
    (
        "parks.update",
        "PATCH",
        "/v1/parks/{park_bb}",
        _patch_text("leading_industries"),
        (200, 403, 403, 200, 200),
    ),
    ("needs.list", "GET", "/v1/needs", _none, (200, 200, 200, 200, 200)),
    ("needs.get", "GET", "/v1/needs/{need_bb}", _none, (200, 403, 200, 200, 200)),
    ("needs.get_ningbo_owner", "GET", "/v1/needs/{need_nb}", _none, (403, 403, 200, 200, 200)),
    ("needs.create", "POST", "/v1/needs", _need, (201, 403, 201, 201, 201)),
    (
        "needs.update",
        "PATCH",
        "/v1/needs/{need_bb}",
        _patch_text("description"),
        (200, 403, 200, 200, 200),
    ),
    ("events.list", "GET", "/v1/events", _none, (200, 200, 200, 200, 200)),
    ("events.get", "GET", "/v1/events/{event_bb}", _none, (200, 403, 200, 200, 200)),
    ("events.create", "POST", "/v1/events", _event, (403, 403, 201, 403, 201)),
    (
        "events.update",
        "PATCH",
        "/v1/events/{event_bb}",
        _patch_text("venue"),
        (403, 403, 200, 403, 200),
    ),
    ("outcomes.record", "POST", "/v1/outcomes", _outcome, (200, 403, 200, 200, 200)),
    ("imports.enterprises", "POST", "/v1/imports/enterprises", _import, (403, 403, 403, 200, 200)),
    ("models.list", "GET", "/v1/models", _none, (403, 403, 403, 200, 200)),
    ("keys.list", "GET", "/v1/keys", _none, (403, 403, 403, 403, 200)),
    ("keys.create", "POST", "/v1/keys", _key, (403, 403, 403, 403, 201)),
    ("keys.rotate", "POST", "/v1/keys/{spare_key_id}/rotate", _grace, (403, 403, 403, 403, 201)),
    ("keys.revoke", "POST", "/v1/keys/{spare_key_id}/revoke", _none, (403, 403, 403, 403, 200)),
    ("audit.list", "GET", "/v1/audit", _none, (403, 403, 403, 403, 200)),
    # ranking: the test database has no trained model, so an allowed caller gets 503
    ("rank.get", "GET", "/v1/rank/investor/{park_bb}", _none, (503, 403, 503, 503, 503)),
    (
        "rank.export",
        "GET",
        "/v1/rank/investor/{park_bb}/export.xlsx",
        _none,
        (503, 403, 503, 503, 503),
    ),
    ("rank.batch", "POST", "/v1/rank/investor/batch", _rank_batch, (503, 403, 503, 503, 503)),
    # models: nothing trained yet, so lookups are 404 and a rollback has nothing to go back to
    (
        "models.retrain",
        "POST",
        "/v1/models/retrain",
        _no_running_retrain,
        (403, 403, 403, 202, 202),
    ),
    ("models.jobs", "GET", "/v1/models/jobs", _none, (403, 403, 403, 200, 200)),
    ("models.job", "GET", "/v1/models/jobs/999999", _none, (403, 403, 403, 404, 404)),
    ("models.promote", "POST", "/v1/models/nope/promote", _none, (403, 403, 403, 404, 404)),
    ("models.rollback", "POST", "/v1/models/rollback", _none, (403, 403, 403, 409, 409)),
    ("models.report", "GET", "/v1/models/nope/report", _none, (403, 403, 403, 404, 404)),
    # events planning: the seeded event has no participants (422) and no plan yet (404)
    ("events.plan", "POST", "/v1/events/{event_bb}/plan", _none, (403, 403, 422, 403, 422)),
    ("events.schedule", "GET", "/v1/events/{event_bb}/schedule", _none, (404, 403, 404, 404, 404)),
    (
        "events.schedule_xlsx",
        "GET",
        "/v1/events/{event_bb}/schedule.xlsx",
        _none,
        (404, 403, 404, 404, 404),
    ),
    (
        "events.schedule_html",
        "GET",
        "/v1/events/{event_bb}/schedule.html",
        _none,
        (404, 403, 404, 404, 404),
    ),
    (
        "events.cancel",
        "POST",
        "/v1/events/{event_bb}/cancel/{firm_bb}",
        _none,
        (403, 403, 404, 403, 404),
    ),
    # projects and the dashboard; a 淮南 office's ledger row of 蚌埠 is a bad row
    ("projects.list", "GET", "/v1/projects", _none, (200, 200, 403, 200, 200)),
    ("projects.get", "GET", "/v1/projects/NOPE", _none, (404, 404, 403, 404, 404)),
    ("projects.stage", "POST", "/v1/projects/NOPE/stage", _stage, (404, 404, 403, 404, 404)),
    ("projects.import", "POST", "/v1/projects/import", _ledger, (200, 422, 403, 200, 200)),
    (
        "projects.chain_targets",
        "GET",
        "/v1/projects/chain-targets/{park_bb}",
        _none,
        (422, 403, 422, 422, 422),
    ),
    ("dashboard.get", "GET", "/v1/dashboard", _none, (200, 200, 403, 200, 200)),
    ("dashboard.targets", "PUT", "/v1/dashboard/targets", _targets, (200, 403, 403, 403, 200)),
]

CASES = [
    pytest.param((method, path, body), who, expected[i], id=f"{name}-{who}")
    for name, method, path, body, expected in MATRIX
    for i, who in enumerate(WHO)
] + [
    pytest.param((method, path, body), who, 401, id=f"{name}-{who}")
    for name, method, path, body, _ in MATRIX
    for who in ANON
]


def _url(api: Api, path: str) -> str:
    return path.format(**api.ids, spare_key_id=api.spare_key_id)


@pytest.mark.parametrize(("endpoint", "who", "expected"), CASES)
def test_status_for_role(
    api: Api, endpoint: tuple[str, str, Body], who: str, expected: int
) -> None:
    method, path, body = endpoint
    response = api.client.request(
        method, _url(api, path), headers=api.headers(who), **body(api, who)
    )
    assert response.status_code == expected, response.text
    if expected in (401, 403):
        assert response.json()["detail"]


@pytest.mark.parametrize("who", [*ANON, *WHO])
def test_health_needs_no_key(api: Api, who: str) -> None:
    response = api.client.get("/health", headers=api.headers(who))
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_matrix_covers_every_v1_operation(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    tested = [(m, _url(api, p).split("?")[0]) for _, m, p, _, _ in MATRIX]
    missing = []
    for path, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method in item:
            if path.startswith("/v1/") and not any(
                m == method.upper() and pattern.match(u) for m, u in tested
            ):
                missing.append(f"{method.upper()} {path}")
    assert missing == []
