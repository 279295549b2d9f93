"""Behaviour of the resources beyond authorisation: values, paging, scoping, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from recommender.db import repo

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import Api


def test_promotion_office_lists_only_its_city(api: Api) -> None:
    body = api.client.get("/v1/parks?limit=500", headers=api.headers("po_bb")).json()
    cities = {p["city_code"] for p in body["items"]}
    assert cities == {"340300"}
    assert body["total"] == len(body["items"])
    assert api.ids["park_bb"] in {p["park_id"] for p in body["items"]}
    everyone = api.client.get("/v1/parks?limit=500", headers=api.headers("admin")).json()
    assert everyone["total"] > body["total"]


def test_needs_are_scoped_by_their_owners_city(api: Api) -> None:
    bb = api.client.get("/v1/needs", headers=api.headers("po_bb")).json()
    hn = api.client.get("/v1/needs", headers=api.headers("po_hn")).json()
    assert api.ids["need_bb"] in [n["need_id"] for n in bb["items"]]
    assert api.ids["need_nb"] not in [n["need_id"] for n in bb["items"]]
    assert [n["need_id"] for n in hn["items"]] == []


def test_enterprises_are_shared_with_every_city(api: Api) -> None:
    body = api.client.get("/v1/enterprises?limit=500", headers=api.headers("po_hn")).json()
    usccs = {e["uscc"] for e in body["items"]}
    assert {api.ids["firm_bb"], api.ids["firm_nb"], api.ids["firm_hn"]} <= usccs


def test_paging_is_ordered_by_key_and_counts_the_total(api: Api) -> None:
    h = api.headers("admin")
    first = api.client.get("/v1/parks?offset=0&limit=2", headers=h).json()
    second = api.client.get("/v1/parks?offset=2&limit=2", headers=h).json()
    assert first["total"] == second["total"] >= 4
    ids = [p["park_id"] for p in first["items"] + second["items"]]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    assert (first["offset"], first["limit"]) == (0, 2)


def test_limit_above_500_is_refused(api: Api) -> None:
    r = api.client.get("/v1/enterprises?limit=501", headers=api.headers("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["column"] == "query.limit"


def test_search_and_city_filter(api: Api) -> None:
    h = api.headers("admin")
    found = api.client.get("/v1/enterprises", params={"q": "宁波测试"}, headers=h).json()
    assert [e["uscc"] for e in found["items"]] == [api.ids["firm_nb"]]
    hn = api.client.get("/v1/events", params={"city": "340400"}, headers=h).json()
    assert [e["event_id"] for e in hn["items"]] == [api.ids["event_hn"]]


def test_get_unknown_is_404_and_duplicate_create_is_409(api: Api) -> None:
    h = api.headers("admin")
    missing = api.client.get("/v1/parks/NO-SUCH", headers=h)
    assert missing.status_code == 404
    assert "NO-SUCH" in missing.json()["detail"]
    dup = api.client.post(
        "/v1/parks",
        headers=h,
        json={
            "park_id": api.ids["park_bb"],
            "name": "x",
            "city": "蚌埠",
            "leading_industries": "x",
        },
    )
    assert dup.status_code == 409


def test_create_returns_the_stored_record(api: Api, make_uscc: Callable[[str, int], str]) -> None:
    code = make_uscc("340300", 501)
    r = api.client.post(
        "/v1/enterprises",
        headers=api.headers("analyst"),
        json={
            "uscc": code.lower(),
            "name": "蚌埠新测企业",
            "city": "蚌埠市",
            "industry_code": "3973",
            "products": "传感器模组",
            "chain_nodes": ["sensor.module", "sensor.packaging"],
            "employees": 88,
            "srdi_level": "province",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["uscc"] == code
    assert body["city_code"] == "340300"
    assert body["chain_nodes"] == ["sensor.module", "sensor.packaging"]
    assert (body["employees"], body["srdi_level"], body["is_leading"]) == (88, "province", False)
    again = api.client.get(f"/v1/enterprises/{code}", headers=api.headers("po_hn")).json()
    assert again == body


def test_update_changes_only_given_fields(api: Api) -> None:
    h = api.headers("admin")
    url = f"/v1/events/{api.ids['event_hn']}"
    before = api.client.get(url, headers=h).json()
    after = api.client.patch(url, headers=h, json={"n_tables": 12}).json()
    assert after == {**before, "n_tables": 12}


def test_scoped_key_cannot_move_a_park_out_of_its_city(api: Api) -> None:
    url = f"/v1/parks/{api.ids['park_bb']}"
    r = api.client.patch(url, headers=api.headers("po_bb"), json={"city": "淮南"})
    assert r.status_code == 403
    stored = api.client.get(url, headers=api.headers("admin")).json()
    assert stored["city_code"] == "340300"


def test_bad_entity_reports_every_field(api: Api) -> None:
    r = api.client.post(
        "/v1/enterprises",
        headers=api.headers("admin"),
        json={
            "uscc": "91340300MA00000010",
            "name": "x",
            "city": "火星",
            "industry_code": "9999",
            "products": "x",
        },
    )
    assert r.status_code == 422
    columns = [e["column"] for e in r.json()["errors"]]
    assert columns == ["uscc", "city", "industry_code"]
    assert all(e["line"] == 2 for e in r.json()["errors"])


def test_outcome_batch_is_all_or_nothing(api: Api) -> None:
    good = {
        "query_kind": "investor",
        "query_id": api.ids["park_bb"],
        "candidate_id": api.ids["firm_nb"],
        "stage": "signed",
        "date": "2025-08-01",
        "amount_wan": 5000,
    }
    bad = {**good, "candidate_id": "91330200MA9999999X", "date": "2025-08-02"}
    before = api.count("outcomes")
    r = api.client.post(
        "/v1/outcomes", headers=api.headers("admin"), json={"outcomes": [good, bad]}
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "line": 3,
            "column": "candidate_id",
            "expected": "the key of a enterprise in this import or in the database",
            "got": "91330200MA9999999X",
        }
    ]
    assert api.count("outcomes") == before
    ok = api.client.post("/v1/outcomes", headers=api.headers("admin"), json={"outcomes": [good]})
    assert ok.json() == {"inserted": 1, "updated": 0, "unchanged": 0}
    same = api.client.post("/v1/outcomes", headers=api.headers("admin"), json={"outcomes": [good]})
    assert same.json() == {"inserted": 0, "updated": 0, "unchanged": 1}


def test_outcome_in_another_city_is_refused_for_an_office(api: Api) -> None:
    row = {
        "query_kind": "customer",
        "query_id": api.ids["firm_hn"],
        "candidate_id": api.ids["firm_nb"],
        "stage": "contacted",
        "date": "2025-08-03",
    }
    r = api.client.post("/v1/outcomes", headers=api.headers("po_bb"), json={"outcomes": [row]})
    assert r.status_code == 403
    assert "340400" in r.json()["detail"]
    ok = api.client.post("/v1/outcomes", headers=api.headers("po_hn"), json={"outcomes": [row]})
    assert ok.status_code == 200


def test_import_rejects_every_bad_row_and_writes_nothing(
    api: Api, make_uscc: Callable[[str, int], str]
) -> None:
    csv = (
        "统一社会信用代码,企业名称,城市,行业代码,主营产品\n"
        f"{make_uscc('340300', 601)},甲公司,蚌埠,3973,传感器\n"
        "91340300MA00006020,乙公司,火星,3973,传感器\n"
    ).encode("gbk")
    before = api.count("enterprises")
    r = api.client.post(
        "/v1/imports/enterprises",
        headers=api.headers("analyst"),
        files={"file": ("名录.csv", csv, "text/csv")},
    )
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(3, "uscc"), (3, "city")]
    assert "名录.csv" in r.json()["detail"]
    assert "/tmp" not in r.json()["detail"]
    assert api.count("enterprises") == before


def test_import_dry_run_then_real(api: Api, make_uscc: Callable[[str, int], str]) -> None:
    csv = (
        f"uscc,name,city,industry_code,products\n{make_uscc('340400', 701)},丙公司,淮南市,3973,x\n"
    )
    files = {"file": ("e.csv", csv.encode(), "text/csv")}
    h = api.headers("admin")
    dry = api.client.post("/v1/imports/enterprises?dry_run=true", headers=h, files=files).json()
    assert (dry["dry_run"], dry["rows"], dry["inserted"]) == (True, 1, 1)
    with api.factory() as s:
        assert make_uscc("340400", 701) not in repo.existing_keys(s, kind="enterprises")
    real = api.client.post("/v1/imports/enterprises", headers=h, files=files).json()
    assert (real["dry_run"], real["inserted"], real["source"]) == (False, 1, "e.csv")


def test_import_refuses_other_file_types(api: Api) -> None:
    files = {"file": ("e.json", b"{}", "application/json")}
    r = api.client.post("/v1/imports/enterprises", headers=api.headers("admin"), files=files)
    assert r.status_code == 422
    assert "e.json" in r.json()["detail"]


def test_key_lifecycle_and_bearer_header(api: Api) -> None:
    admin = api.headers("admin")
    created = api.client.post(
        "/v1/keys", headers=admin, json={"role": "promotion_office", "city": "340400"}
    )
    assert created.status_code == 201
    body = created.json()
    secret = body["key"]
    assert secret.startswith(body["prefix"])
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.client.get(f"/v1/parks/{api.ids['park_hn']}", headers=bearer).status_code == 200
    assert api.client.get(f"/v1/parks/{api.ids['park_bb']}", headers=bearer).status_code == 403
    listed = api.client.get("/v1/keys", headers=admin).json()
    assert body["id"] in [k["id"] for k in listed]
    assert all("key" not in k for k in listed)
    revoked = api.client.post(f"/v1/keys/{body['id']}/revoke", headers=admin).json()
    assert revoked["revoked_at"] is not None
    again = api.client.get("/v1/parks", headers=bearer)
    assert again.status_code == 401
    assert again.headers["WWW-Authenticate"].startswith("Bearer")


def test_key_city_rules(api: Api) -> None:
    admin = api.headers("admin")
    no_city = api.client.post("/v1/keys", headers=admin, json={"role": "promotion_office"})
    assert no_city.status_code == 422
    assert "needs a city" in no_city.json()["detail"]
    odd = api.client.post("/v1/keys", headers=admin, json={"role": "analyst", "city": "340300"})
    assert odd.status_code == 422
    unknown = api.client.post(
        "/v1/keys", headers=admin, json={"role": "promotion_office", "city": "999999"}
    )
    assert unknown.status_code == 422
    assert api.client.post("/v1/keys/99999/revoke", headers=admin).status_code == 404


def test_models_and_health_report_the_registry(api: Api) -> None:
    with api.factory() as s:
        repo.upsert_model_version(
            s, version="investor-test-1", kind="investor", metrics={"ndcg@10": 0.5}
        )
        repo.promote_model_version(s, version="investor-test-1")
        s.commit()
    models = api.client.get("/v1/models", headers=api.headers("analyst")).json()
    assert [(m["version"], m["status"], m["metrics"]) for m in models] == [
        ("investor-test-1", "production", {"ndcg@10": 0.5})
    ]
    assert api.client.get("/v1/models?kind=supplier", headers=api.headers("admin")).json() == []
    health = api.client.get("/health").json()
    assert health == {
        "status": "ok",
        "database": "ok",
        "production_models": {"investor": "investor-test-1"},
    }
