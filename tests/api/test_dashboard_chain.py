"""以商招商 over HTTP on the small world with its trained model: a park's firm list
(园区企业名单) imported, its firms' 沪苏浙 suppliers/customers ranked by the ranking service,
merged and explained, logged as the park's list, and scored by the evaluation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from features.reference import Reference
from recommender.projects.targeting import evaluate_targets

if TYPE_CHECKING:
    from tests.conftest import SmallWorld

pytestmark = pytest.mark.slow
HSZ_PREFIXES = ("31", "32", "33")


@pytest.fixture(scope="module")
def chain_api(
    tmp_path_factory: pytest.TempPathFactory, small_world: SmallWorld, reference: Reference
) -> Iterator[dict[str, Any]]:
    from api.app import create_app
    from recommender import security
    from recommender.db import repo
    from recommender.settings import get_settings

    home = tmp_path_factory.mktemp("chain_api")
    url = small_world.install(home)
    app = create_app(get_settings(home=home, database_url=url))
    app.state.runtime.reference = reference
    factory = app.state.session_factory
    with factory() as s:
        _, admin = security.create_key(s, role="admin", label="admin")
        _, po_hn = security.create_key(s, role="promotion_office", city_code="310112", label="mh")
        parks = repo.load_frame(s, kind="parks")
        firms = repo.load_frame(s, kind="enterprises")
        outcomes = repo.load_frame(s, kind="outcomes")
    park = parks[parks["city_code"] == "340300"].iloc[0]
    # the world has few Wanbei firms: any leading and supporting firm stand in for the park's
    local = firms.sort_values("uscc")
    members = [
        str(local[local["is_leading"]].iloc[0]["uscc"]),
        str(local[~local["is_leading"]].iloc[0]["uscc"]),
    ]
    with TestClient(app) as client:
        csv = "所属园区,统一社会信用代码,入园日期\n" + "".join(
            f"{park['name']},{m},2024-01-01\n" for m in members
        )
        r = client.post(
            "/v1/imports/park_members",
            files={"file": ("园区企业名单.csv", csv.encode("utf-8"), "text/csv")},
            headers={"X-API-Key": admin},
        )
        assert r.status_code == 200, r.text
        assert r.json()["inserted"] == 2
        yield {
            "client": client, "admin": admin, "po_hn": po_hn, "park": str(park["park_id"]),
            "members": members, "firms": firms, "outcomes": outcomes, "factory": factory,
        }  # fmt: skip


def test_chain_targets_are_hsz_firms_outside_the_park_explained(chain_api: dict[str, Any]) -> None:
    c, park = chain_api["client"], chain_api["park"]
    r = c.get(f"/v1/projects/chain-targets/{park}?k=15", headers={"X-API-Key": chain_api["admin"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["anchors"] == sorted(chain_api["members"])
    targets = body["targets"]
    assert 0 < len(targets) <= 15
    assert [t["rank"] for t in targets] == list(range(1, len(targets) + 1))
    scores = [t["score"] for t in targets]
    assert scores == sorted(scores, reverse=True)
    for t in targets:
        assert t["city_code"].startswith(HSZ_PREFIXES), t
        assert t["candidate_id"] not in chain_api["members"]
        assert t["reasons_zh"][0].startswith("以商招商")
        leading_anchor = {a["direction"] for a in t["anchors"]}
        assert leading_anchor <= {"upstream", "downstream"}
    writer = c.app.state.runtime.recommendation_log  # type: ignore[attr-defined]
    writer.flush()
    with chain_api["factory"]() as s:
        logged = s.execute(
            text("SELECT count(*) FROM recommendation_log WHERE query_id = :p"), {"p": park}
        ).scalar_one()
    assert logged >= len(targets)
    # the evaluation runs on the list against the park's outcomes (values in [0, 1])
    ids = [t["candidate_id"] for t in targets]
    got = evaluate_targets(ids, chain_api["outcomes"], park_id=park, k=10)
    assert 0.0 <= got["precision@10"] <= 1.0
    assert got["n_relevant"] >= 0


def test_a_named_anchor_and_scoping(chain_api: dict[str, Any]) -> None:
    c, park = chain_api["client"], chain_api["park"]
    anchor = chain_api["members"][0]
    r = c.get(
        f"/v1/projects/chain-targets/{park}?anchor={anchor}&k=5",
        headers={"X-API-Key": chain_api["admin"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["anchors"] == [anchor]
    assert all(a["uscc"] == anchor for t in r.json()["targets"] for a in t["anchors"])
    r = c.get(f"/v1/projects/chain-targets/{park}", headers={"X-API-Key": chain_api["po_hn"]})
    assert r.status_code == 403
    r = c.get("/v1/projects/chain-targets/NOPE", headers={"X-API-Key": chain_api["admin"]})
    assert r.status_code == 404
