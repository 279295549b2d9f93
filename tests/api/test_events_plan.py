"""``/v1/events/{id}/plan``, ``/schedule(.xlsx|.html)`` and ``/cancel/{uscc}`` on the small
world: roles and city scoping, a valid stored schedule, exports, and a cancellation that
keeps everyone else in place."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

if TYPE_CHECKING:
    from features.reference import Reference
    from tests.conftest import SmallWorld

pytestmark = pytest.mark.slow
SUZHOU_AH, BENGBU = "341300", "340300"  # the upcoming event is hosted by 宿州 (seed 3)


@dataclass
class Client:
    client: TestClient
    keys: dict[str, str]
    event_id: str
    other_event: str

    def h(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]} if who != "none" else {}


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, small_world: SmallWorld, reference: Reference
) -> Iterator[Client]:
    from api.app import create_app
    from recommender import security
    from recommender.db import repo
    from recommender.settings import get_settings

    home = tmp_path_factory.mktemp("events_plan_api")
    url = small_world.install(home)
    app = create_app(get_settings(home=home, database_url=url))
    app.state.runtime.reference = reference
    keys: dict[str, str] = {}
    with app.state.session_factory() as s:
        event = repo.get_by_key(s, kind="events", key=small_world.upcoming_event)
        assert event["city_code"] == SUZHOU_AH
        other = repo.load_frame(s, kind="events")["event_id"].iloc[0]
        for name, role, city in (
            ("organiser", "organiser", None),
            ("analyst", "analyst", None),
            ("po_host", "promotion_office", SUZHOU_AH),
            ("po_other", "promotion_office", BENGBU),
        ):
            keys[name] = security.create_key(s, role=role, city_code=city, label=name)[1]
    with TestClient(app) as client:
        yield Client(client, keys, small_world.upcoming_event, str(other))
    app.state.engine.dispose()


def _plan(api: Client, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = api.client.post(f"/v1/events/{api.event_id}/plan", headers=api.h("organiser"), json=body)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _places(meetings: list[dict[str, Any]]) -> set[tuple[int, int, str, str]]:
    return {(m["slot"], m["table"], m["leading_uscc"], m["supporting_uscc"]) for m in meetings}


def test_plan_returns_a_conflict_free_schedule_with_agendas(api: Client) -> None:
    out = _plan(api)
    meetings = out["meetings"]
    assert out["event_id"] == api.event_id
    assert out["version"] >= 1
    assert out["report"]["n_meetings"] == len(meetings) > 0
    for who in ("leading_uscc", "supporting_uscc"):
        assert max(Counter((m["slot"], m[who]) for m in meetings).values()) == 1
    assert max(Counter((m["slot"], m["table"]) for m in meetings).values()) == 1
    assert all(1 <= m["table"] <= out["n_tables"] for m in meetings)
    assert all(m["leading_name"] and m["supporting_name"] for m in meetings)
    assert meetings[0]["time"].startswith("09:00")
    assert sum(len(a["meetings"]) for a in out["agendas"]) == 2 * len(meetings)
    rep = out["report"]
    assert rep["lp_bound"] == pytest.approx(rep["objective"], abs=1e-6)
    assert rep["gap"] == pytest.approx(0.0, abs=1e-6)
    assert all(u["reason"] for u in rep["unmet_minimums"])


def test_planning_needs_an_organiser_and_reading_stays_in_the_host_city(api: Client) -> None:
    url = f"/v1/events/{api.event_id}"
    assert api.client.post(f"{url}/plan", headers=api.h("none")).status_code == 401
    assert api.client.post(f"{url}/plan", headers=api.h("analyst")).status_code == 403
    assert api.client.post(f"{url}/plan", headers=api.h("po_host")).status_code == 403
    _plan(api)
    host = api.client.get(f"{url}/schedule", headers=api.h("po_host"))
    assert host.status_code == 200
    assert api.client.get(f"{url}/schedule", headers=api.h("po_other")).status_code == 403
    assert api.client.get(f"{url}/schedule.xlsx", headers=api.h("po_other")).status_code == 403


def test_schedule_is_the_latest_stored_plan(api: Client) -> None:
    planned = _plan(api)
    got = api.client.get(f"/v1/events/{api.event_id}/schedule", headers=api.h("analyst")).json()
    assert got["version"] == planned["version"]
    assert _places(got["meetings"]) == _places(planned["meetings"])
    assert got["report"]["objective"] == pytest.approx(planned["report"]["objective"])


def test_excel_and_html_exports(api: Client) -> None:
    planned = _plan(api)
    r = api.client.get(f"/v1/events/{api.event_id}/schedule.xlsx", headers=api.h("analyst"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f"_v{planned['version']}.xlsx" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    slots = [f"时段{k + 1}" for k in range(planned["n_slots"])]
    assert wb.sheetnames[: 2 + len(slots)] == ["汇总", "全部会谈", *slots]
    assert len(wb.sheetnames) == 2 + len(slots) + len(planned["agendas"])
    page = api.client.get(f"/v1/events/{api.event_id}/schedule.html", headers=api.h("analyst"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert planned["meetings"][0]["leading_name"] in page.text


def test_greedy_with_quotas_reports_no_bound_and_the_quota(api: Client) -> None:
    quota = {"wanbei_city_code": SUZHOU_AH, "partner_city_code": "330100", "min_meetings": 1}
    out = _plan(api, {"greedy": True, "quotas": [quota]})
    assert out["report"]["lp_bound"] is None
    assert out["report"]["gap"] is None
    assert out["report"]["solver"].startswith("greedy")
    [q] = out["report"]["quotas"]
    assert (q["wanbei_city_code"], q["required"]) == (SUZHOU_AH, 1)


def test_cancel_drops_the_firm_and_keeps_the_others_in_place(api: Client) -> None:
    before = _plan(api)
    firm = Counter(m["supporting_uscc"] for m in before["meetings"]).most_common(1)[0][0]
    url = f"/v1/events/{api.event_id}/cancel/{firm}"
    assert api.client.post(url, headers=api.h("po_host")).status_code == 403
    r = api.client.post(url, headers=api.h("organiser"))
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["version"] == before["version"] + 1
    assert after["cancelled"] == [firm]
    assert firm not in {m["supporting_uscc"] for m in after["meetings"]}
    assert firm not in {a["uscc"] for a in after["agendas"]}
    kept = [m for m in before["meetings"] if m["supporting_uscc"] != firm]
    assert _places(kept) <= _places(after["meetings"])
    removed = [c for c in after["changes"] if c["change"] == "removed"]
    assert {c["supporting_uscc"] for c in removed} == {firm}
    assert len(removed) == len(before["meetings"]) - len(kept)
    again = api.client.post(url, headers=api.h("organiser"))
    assert again.status_code == 404


def test_unknown_event_unplanned_event_and_bad_bodies(api: Client) -> None:
    h = api.h("organiser")
    assert api.client.post("/v1/events/NO-SUCH/plan", headers=h).status_code == 404
    assert api.client.get(f"/v1/events/{api.other_event}/schedule", headers=h).status_code == 404
    url = f"/v1/events/{api.event_id}/plan"
    assert api.client.post(url, headers=h, json={"greedy": True, "x": 1}).status_code == 422
    bad_quota = {"quotas": [{"wanbei_city_code": "宿州", "partner_city_code": "330100",
                             "min_meetings": 1}]}  # fmt: skip
    assert api.client.post(url, headers=h, json=bad_quota).status_code == 422
    assert api.client.post(f"/v1/events/{api.event_id}/cancel/XYZ", headers=h).status_code == 422
