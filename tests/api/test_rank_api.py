"""/v1/rank over HTTP on the small world: lists, filters, Excel export, city scoping,
batches and the recommendation log."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from features.reference import Reference

if TYPE_CHECKING:
    from tests.conftest import SmallWorld

pytestmark = pytest.mark.slow

BENGBU = "340300"
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class RankApi:
    client: TestClient
    factory: sessionmaker[Session]
    keys: dict[str, str]
    bengbu_park: str
    other_park: str
    leading: list[str]
    model_version: str

    def h(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]}

    def log_rows(self) -> int:
        """Rows in recommendation_log once the app's batching writer has flushed."""
        self.client.app.state.runtime.recommendation_log.flush()  # type: ignore[attr-defined]
        with self.factory() as s:
            return int(s.execute(text("SELECT count(*) FROM recommendation_log")).scalar_one())


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, small_world: SmallWorld, reference: Reference
) -> Iterator[RankApi]:
    from api.app import create_app
    from recommender import security
    from recommender.db import repo
    from recommender.settings import get_settings

    home = tmp_path_factory.mktemp("rank_api")
    url = small_world.install(home)
    app = create_app(get_settings(home=home, database_url=url))
    app.state.runtime.reference = reference
    factory: sessionmaker[Session] = app.state.session_factory
    keys: dict[str, str] = {}
    with factory() as s:
        for name, role, city in (
            ("admin", "admin", None),
            ("po_bb", "promotion_office", BENGBU),
            ("analyst", "analyst", None),
        ):
            _, keys[name] = security.create_key(s, role=role, city_code=city, label=name)
        parks = repo.load_frame(s, kind="parks")
        firms = repo.load_frame(s, kind="enterprises")
    bengbu = parks.loc[parks["city_code"] == BENGBU, "park_id"].astype(str).tolist()
    other = parks.loc[parks["city_code"] != BENGBU, "park_id"].astype(str).tolist()
    assert bengbu
    assert other
    leading = firms.loc[firms["is_leading"].astype(bool), "uscc"].astype(str).tolist()
    with TestClient(app) as client:
        yield RankApi(
            client, factory, keys, bengbu[0], other[0], leading, small_world.model_version
        )
    app.state.runtime.close()


def test_admin_gets_an_explained_list(api: RankApi) -> None:
    r = api.client.get(f"/v1/rank/investor/{api.other_park}?k=12", headers=api.h("admin"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "investor"
    assert body["model_version"] == api.model_version
    assert body["query_name"]
    cands = body["candidates"]
    assert len(cands) == 12
    assert [c["rank"] for c in cands] == list(range(1, 13))
    assert all(0.0 <= c["p_success"] <= 1.0 for c in cands)
    assert all(c["reasons"] for c in cands[:5])
    assert all(CJK.search(c["reasons"][0]["text_zh"]) for c in cands[:5])
    assert body["n_generated"] >= body["n_after_filters"] >= 12


def test_no_key_is_401_and_bad_k_is_422(api: RankApi) -> None:
    assert api.client.get(f"/v1/rank/investor/{api.other_park}").status_code == 401
    r = api.client.get(f"/v1/rank/investor/{api.other_park}?k=0", headers=api.h("admin"))
    assert r.status_code == 422
    r = api.client.get("/v1/rank/investor/NO-SUCH-PARK", headers=api.h("admin"))
    assert r.status_code == 404
    assert "NO-SUCH-PARK" in r.json()["detail"]


def test_filters_in_the_query_string(api: RankApi) -> None:
    r = api.client.get(
        f"/v1/rank/investor/{api.other_park}",
        params={"k": 15, "province": "浙江省", "min_srdi": "province"},
        headers=api.h("admin"),
    )
    assert r.status_code == 200, r.text
    cands = r.json()["candidates"]
    assert cands
    assert {c["city_code"][:2] for c in cands} == {"33"}
    r = api.client.get(
        f"/v1/rank/investor/{api.other_park}",
        params={"size": "huge"},
        headers=api.h("admin"),
    )
    assert r.status_code == 422


def test_city_scoping_for_a_promotion_office(api: RankApi) -> None:
    own = api.client.get(f"/v1/rank/investor/{api.bengbu_park}?k=5", headers=api.h("po_bb"))
    assert own.status_code == 200, own.text
    assert len(own.json()["candidates"]) == 5
    other = api.client.get(f"/v1/rank/investor/{api.other_park}?k=5", headers=api.h("po_bb"))
    assert other.status_code == 403
    assert BENGBU in other.json()["detail"]
    export = api.client.get(
        f"/v1/rank/investor/{api.other_park}/export.xlsx", headers=api.h("po_bb")
    )
    assert export.status_code == 403
    batch = api.client.post(
        "/v1/rank/investor/batch",
        json={"query_ids": [api.bengbu_park, api.other_park], "k": 3},
        headers=api.h("po_bb"),
    )
    assert batch.status_code == 403


def test_excel_export_has_chinese_headers(api: RankApi) -> None:
    r = api.client.get(
        f"/v1/rank/investor/{api.bengbu_park}/export.xlsx?k=8", headers=api.h("po_bb")
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    assert wb.sheetnames[0] == "汇总"
    rows = list(wb["汇总"].iter_rows(values_only=True))
    header = rows[0]
    for col in ("排名", "统一社会信用代码", "企业名称", "城市", "综合得分", "签约概率", "推荐理由"):
        assert col in header
    assert len(rows) == 1 + 8
    ranks = [row[header.index("排名")] for row in rows[1:]]
    assert ranks == list(range(1, 9))
    assert all(CJK.search(str(row[header.index("推荐理由")])) for row in rows[1:4])


def test_batch_applies_the_exposure_cap_and_logs(api: RankApi) -> None:
    queries = api.leading[:4]
    before = api.log_rows()
    r = api.client.post(
        "/v1/rank/supplier/batch", json={"query_ids": queries, "k": 6}, headers=api.h("analyst")
    )
    assert r.status_code == 200, r.text
    lists = r.json()
    assert [x["query_id"] for x in lists] == queries
    assert all(len(x["candidates"]) == 6 for x in lists)
    seen = pd.Series([c["candidate_id"] for x in lists for c in x["candidates"]])
    assert seen.value_counts().max() <= 5  # the default exposure cap
    assert api.log_rows() == before + 24


def test_each_shown_list_is_logged_with_key_and_model(api: RankApi) -> None:
    before = api.log_rows()
    r = api.client.get(f"/v1/rank/investor/{api.bengbu_park}?k=7", headers=api.h("po_bb"))
    assert r.status_code == 200
    shown = [c["candidate_id"] for c in r.json()["candidates"]]
    assert api.log_rows() == before + 7
    with api.factory() as s:
        rows = s.execute(
            text(
                "SELECT query_kind, query_id, candidate_id, rank, model_version, api_key_id "
                "FROM recommendation_log ORDER BY id DESC LIMIT 7"
            )
        ).all()
    rows = sorted(rows, key=lambda x: x[3])
    assert [x[2] for x in rows] == shown
    assert {(x[0], x[1], x[4]) for x in rows} == {("investor", api.bengbu_park, api.model_version)}
    assert all(x[5] is not None for x in rows)


def test_a_decline_posted_over_the_api_reaches_the_next_lists(api: RankApi) -> None:
    """Writes touch the data stamp; the service rebuilds in the background and then
    excludes the declined candidate (the rule: a decline excludes for 12 months)."""
    q = api.leading[1]
    first = api.client.get(f"/v1/rank/supplier/{q}?k=10", headers=api.h("admin")).json()
    top = first["candidates"][0]["candidate_id"]
    today = pd.Timestamp.now().strftime("%Y-%m-%d")
    row = {
        "query_kind": "supplier",
        "query_id": q,
        "candidate_id": top,
        "stage": "declined",
        "date": today,
    }
    posted = api.client.post("/v1/outcomes", json={"outcomes": [row]}, headers=api.h("admin"))
    assert posted.status_code == 200, posted.text
    # the next request notices the newer stamp and starts a rebuild; wait for it
    api.client.get(f"/v1/rank/supplier/{q}?k=10", headers=api.h("admin"))
    api.client.app.state.runtime.ranking.wait_idle()  # type: ignore[attr-defined]
    after = api.client.get(f"/v1/rank/supplier/{q}?k=10", headers=api.h("admin")).json()
    assert top not in [c["candidate_id"] for c in after["candidates"]]
