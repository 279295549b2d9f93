"""GET /v1/dashboard and /v1/projects over HTTP: hand-computed totals, scoping per role
(office: its own pairing; coordinator: all eight, read-only), the Excel export and errors."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.reference import load_reference
from features.schema import ENTERPRISE, conform
from features.uscc import uscc_check_digit


def uscc(city: str, serial: int) -> str:
    body = f"91{city}MA{serial:07d}"
    return body + uscc_check_digit(body)


NB1, NB2, HZ = uscc("330200", 11), uscc("330200", 12), uscc("330100", 13)
HEADER = (
    "项目编号,项目名称,投资方,投资方统一社会信用代码,来源地,所属园区,进度,日期,协议投资额(亿元)"
)
LEDGER = f"""{HEADER}
P1,汽车零部件项目,宁波甲公司,{NB1},宁波,甬蚌产业合作园区,签约,2026-03-10,5.2
P2,芯片项目,宁波乙公司,{NB2},宁波,CB10,投产,2026-06-01,3.0
P3,机床项目,杭州丙公司,{HZ},杭州,CB10,签约,2026-04-01,2.0
P4,淮南项目,某公司,,闵行区,CB02,签约,2026-02-01,4.5
P5,在谈项目,某公司,,宁波,CB10,在谈,2026-05-01,1.0
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from api.app import create_app
    from recommender import security
    from recommender.db import migrate, repo
    from recommender.db.engine import make_engine, make_session_factory
    from recommender.settings import get_settings

    tmp = tmp_path_factory.mktemp("dashboard-api")
    url = f"sqlite:///{tmp / 'cm.db'}"
    migrate.upgrade(url)
    reference = load_reference()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    keys: dict[str, str] = {}
    with factory() as s:
        repo.seed_reference(s, reference=reference)
        firms = pd.DataFrame(
            {"uscc": [NB1, NB2, HZ], "name": ["宁波甲公司", "宁波乙公司", "杭州丙公司"],
             "city_code": ["330200", "330200", "330100"], "industry_code": "3670",
             "products": "汽车零部件"}
        )  # fmt: skip
        repo.upsert_frame(s, kind="enterprises", frame=conform(firms, ENTERPRISE))
        s.commit()
        for name, role, city in (
            ("admin", "admin", None), ("coordinator", "coordinator", None),
            ("po_bb", "promotion_office", "340300"), ("po_hn", "promotion_office", "340400"),
            ("organiser", "organiser", None), ("analyst", "analyst", None),
        ):  # fmt: skip
            _row, secret = security.create_key(s, role=role, city_code=city, label=name)
            keys[name] = secret
    app = create_app(get_settings(home=tmp, database_url=url))
    with TestClient(app) as c:
        files = {"file": ("台账.csv", LEDGER.encode("utf-8"), "text/csv")}
        r = c.post("/v1/projects/import", files=files, headers={"X-API-Key": keys["admin"]})
        assert r.status_code == 200, r.text
        assert r.json()["inserted"] == 5
        yield c, keys
    engine.dispose()


def _get(client: tuple[TestClient, dict[str, str]], who: str, path: str) -> object:
    c, keys = client
    return c.get(path, headers={"X-API-Key": keys[who]})


def test_dashboard_answers_per_pairing(client: tuple[TestClient, dict[str, str]]) -> None:
    r = _get(client, "coordinator", "/v1/dashboard?year=2026")
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    rows = {p["wanbei_city"]: p for p in body["pairings"]}
    assert len(rows) == 8
    bb = rows["340300"]
    assert (bb["partner_city"], bb["signed_projects"], bb["agreed_investment_yi"]) == (
        "330200", 2, pytest.approx(8.2),
    )  # fmt: skip
    assert bb["city"]["signed_projects"] == 3
    assert [s["projects"] for s in bb["by_stage"]] == [1, 0, 2, 0, 1, 0]
    hn = rows["340400"]
    assert (hn["partner_city"], hn["signed_projects"], hn["agreed_investment_yi"]) == (
        "310112", 1, pytest.approx(4.5),
    )  # fmt: skip
    assert body["totals"]["signed_projects"] == 3
    # 2025 had nothing
    r = _get(client, "admin", "/v1/dashboard?year=2025")
    assert r.json()["totals"]["city_signed_projects"] == 0  # type: ignore[attr-defined]


def test_offices_see_their_own_pairing_and_coordinators_write_nothing(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    r = _get(client, "po_hn", "/v1/dashboard?year=2026")
    assert [p["wanbei_city"] for p in r.json()["pairings"]] == ["340400"]  # type: ignore[attr-defined]
    r = _get(client, "po_bb", "/v1/projects")
    assert sorted(p["project_id"] for p in r.json()["items"]) == ["P1", "P2", "P3", "P5"]  # type: ignore[attr-defined]
    assert _get(client, "po_hn", "/v1/projects/P1").status_code == 403  # type: ignore[attr-defined]
    assert _get(client, "organiser", "/v1/dashboard").status_code == 403  # type: ignore[attr-defined]
    r = _get(client, "coordinator", "/v1/dashboard?year=2026&city=340400")
    assert [p["wanbei_city"] for p in r.json()["pairings"]] == ["340400"]  # type: ignore[attr-defined]
    assert _get(client, "po_hn", "/v1/dashboard?city=340300").status_code == 403  # type: ignore[attr-defined]
    assert _get(client, "admin", "/v1/dashboard?city=330200").status_code == 422  # type: ignore[attr-defined]
    c, keys = client
    r = c.post(
        "/v1/projects/P5/stage", json={"stage": "签约", "date": "2026-07-01"},
        headers={"X-API-Key": keys["coordinator"]},
    )  # fmt: skip
    assert r.status_code == 403
    r = c.put(
        "/v1/dashboard/targets", json={"city_code": "340300", "year": 2026, "signed_projects": 4},
        headers={"X-API-Key": keys["po_hn"]},
    )  # fmt: skip
    assert r.status_code == 403


def test_stage_update_and_targets_show_on_the_dashboard(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    c, keys = client
    r = c.post(
        "/v1/projects/P5/stage", json={"stage": "签约", "date": "2026-07-01",
                                       "agreed_investment_yi": 1.8},
        headers={"X-API-Key": keys["po_bb"]},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert [h["stage"] for h in r.json()["history"]] == ["在谈", "签约"]
    r = c.put(
        "/v1/dashboard/targets",
        json={"city_code": "340300", "year": 2026, "signed_projects": 8,
              "agreed_investment_yi": 20},
        headers={"X-API-Key": keys["po_bb"]},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    bb = _get(client, "po_bb", "/v1/dashboard?year=2026").json()["pairings"][0]  # type: ignore[attr-defined]
    assert (bb["signed_projects"], bb["agreed_investment_yi"]) == (3, pytest.approx(10.0))
    assert bb["targets"]["signed_projects"] == {"target": 8.0, "actual": 4, "share": 0.5}
    assert bb["targets"]["agreed_investment_yi"]["share"] == pytest.approx(12.0 / 20)
    july = bb["by_month"][6]
    assert (july["month"], july["signed_projects"]) == (7, 1)


def test_excel_export_has_the_pairing_sheet(client: tuple[TestClient, dict[str, str]]) -> None:
    r = _get(client, "admin", "/v1/dashboard?year=2026&format=xlsx")
    assert r.status_code == 200  # type: ignore[attr-defined]
    book = openpyxl.load_workbook(io.BytesIO(r.content))  # type: ignore[attr-defined]
    rows = list(book["结对汇总"].iter_rows(values_only=True))
    assert rows[0][1:3] == ("皖北城市", "结对城市")
    bengbu = next(row for row in rows if row[1] == "蚌埠")
    assert bengbu[2] == "宁波"
    board = _get(client, "admin", "/v1/dashboard?year=2026").json()  # type: ignore[attr-defined]
    assert bengbu[3] == board["pairings"][0]["signed_projects"]


def test_bad_requests_answer_json_errors(client: tuple[TestClient, dict[str, str]]) -> None:
    r = _get(client, "admin", "/v1/dashboard?year=1990")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "year must be" in r.json()["detail"]  # type: ignore[attr-defined]
    c, keys = client
    files = {
        "file": (
            "bad.csv",
            "项目编号,项目名称,投资方,进度,日期\nX1,x,y,不知道,2026-01-01\n".encode(),
            "text/csv",
        )
    }
    r = c.post("/v1/projects/import", files=files, headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 422
    assert {(e["line"], e["column"]) for e in r.json()["errors"]} == {(2, "stage"), (2, "city")}
