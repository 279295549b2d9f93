"""One path for every list shown: the CLI logs its lists like the API and the pages, and a
city-scoped caller is refused another city's query before anything is ranked or logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from recommender.cli import app
from recommender.db import repo
from recommender.db.models import RecommendationLogEntry
from recommender.errors import ForbiddenError
from recommender.ranking import lists as ranked_lists
from recommender.runtime import Runtime
from recommender.security import Principal
from recommender.settings import Settings, get_settings

if TYPE_CHECKING:
    from tests.conftest import SmallWorld


@pytest.fixture(scope="module")
def settings(small_world: SmallWorld, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("ranked_lists_home")
    return get_settings(home=home, database_url=small_world.install(home))


@pytest.fixture(scope="module")
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime(settings)
    yield runtime
    runtime.close()


def _logged(runtime: Runtime) -> list[tuple[object, ...]]:
    with runtime.session_factory() as s:
        rows = s.execute(select(RecommendationLogEntry).order_by(RecommendationLogEntry.id))
        return [
            (r.api_key_id, r.query_kind, r.query_id, r.candidate_id, r.rank, r.model_version)
            for r in rows.scalars()
        ]


def _leading_firms(runtime: Runtime) -> list[str]:
    ctx = runtime.ranking.get().ctx
    F = ctx.n_firms
    return sorted(str(u) for u in ctx.ids[:F][ctx.leading[:F] & ctx.live[:F]])


def test_the_cli_logs_every_candidate_it_shows(
    runtime: Runtime,
    settings: Settings,
    small_world: SmallWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    query = _leading_firms(runtime)[0]
    before = _logged(runtime)
    monkeypatch.setenv("CHAINMATCH_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("CHAINMATCH_HOME", str(settings.home))

    result = CliRunner().invoke(app, ["rank", "supplier", query, "-k", "5", "--format", "json"])

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert [row["rank"] for row in shown] == [1, 2, 3, 4, 5]
    new = _logged(runtime)[len(before) :]
    assert new == [
        (None, "supplier", query, row["candidate_id"], row["rank"], small_world.model_version)
        for row in shown
    ]


def test_a_scoped_caller_is_refused_another_citys_query_and_nothing_is_logged(
    runtime: Runtime,
) -> None:
    service = runtime.ranking.get()
    query = _leading_firms(runtime)[0]
    with runtime.session_factory() as s:
        home_city = repo.get_by_key(s, kind="enterprises", key=query)["city_code"]
    other = next(c for c in runtime.reference.cities["city_code"].astype(str) if c != home_city)
    office = Principal(key_id=None, role="promotion_office", city_code=other)
    log = runtime.recommendation_log
    log.flush()
    before = _logged(runtime)

    with runtime.session_factory() as s, pytest.raises(ForbiddenError, match=f"{query} is in"):
        ranked_lists.rank_one(
            service, log, session=s, principal=office, kind="supplier", query_id=query, k=5
        )

    log.flush()
    assert _logged(runtime) == before


def test_shown_rows_name_the_key_and_every_candidate_in_rank_order(runtime: Runtime) -> None:
    service = runtime.ranking.get()
    query = _leading_firms(runtime)[1]
    ranked = service.rank("supplier", query, k=3)
    key = Principal(key_id=7, role="analyst")
    rows = ranked_lists.shown_rows([ranked], principal=key, shown_at=ranked.as_of.to_pydatetime())
    assert [(r["api_key_id"], r["query_id"], r["rank"]) for r in rows] == [
        (7, query, 1),
        (7, query, 2),
        (7, query, 3),
    ]
    assert [r["candidate_id"] for r in rows] == [c.candidate_id for c in ranked.candidates]
    assert [r["score"] for r in rows] == [c.final_score for c in ranked.candidates]
