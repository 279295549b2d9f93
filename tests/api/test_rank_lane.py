"""The ranking lane: a server process computes at most ``rank_threads`` single lists at once;
the others wait their turn instead of sharing the GIL with it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from api.app import create_app
from api.schemas.rank import RankedListOut
from recommender.settings import get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tests.api.conftest import Api

N_REQUESTS = 4
HOLD_S = 0.15


class Recorder:
    """A stand-in for the list computation that records how many ran at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.calls = 0

    def rank_one(self, *_: Any, query_id: str, kind: str, **__: Any) -> RankedListOut:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.calls += 1
        time.sleep(HOLD_S)  # releases the GIL, as numpy and the compiled trees do
        with self.lock:
            self.running -= 1
        return RankedListOut(
            kind=kind,
            query_id=query_id,
            query_name="",
            model_version="v",
            as_of="2026-12-01",
            n_generated=0,
            n_after_filters=0,
            candidates=[],
        )


@pytest.fixture
def recorder(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    from api import deps
    from api.routes import rank
    from recommender.ranking import lists

    rec = Recorder()
    app: FastAPI = api.client.app  # type: ignore[assignment]
    monkeypatch.setattr(lists, "rank_one", rec.rank_one)
    monkeypatch.setattr(rank, "list_out", lambda r: r)
    app.dependency_overrides[deps._ranking_dep] = object
    old_lane = app.state.rank_lane
    yield rec
    app.dependency_overrides.clear()
    app.state.rank_lane = old_lane


async def _burst(app: FastAPI, key: str) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(
            *(
                client.get(f"/v1/rank/supplier/Q{i}", headers={"X-API-Key": key})
                for i in range(N_REQUESTS)
            )
        )


def test_one_lane_computes_one_list_at_a_time(api: Api, recorder: Recorder) -> None:
    app: FastAPI = api.client.app  # type: ignore[assignment]
    assert app.state.rank_lane.total_tokens == 1  # the default setting
    answers = asyncio.run(_burst(app, api.keys["admin"]))
    assert [r.status_code for r in answers] == [200] * N_REQUESTS, answers[0].text
    assert sorted(r.json()["query_id"] for r in answers) == [f"Q{i}" for i in range(N_REQUESTS)]
    assert recorder.most == 1
    assert recorder.calls == N_REQUESTS


def test_a_wider_lane_lets_lists_overlap(api: Api, recorder: Recorder) -> None:
    app: FastAPI = api.client.app  # type: ignore[assignment]
    app.state.rank_lane = anyio.CapacityLimiter(3)
    answers = asyncio.run(_burst(app, api.keys["admin"]))
    assert [r.status_code for r in answers] == [200] * N_REQUESTS
    assert 2 <= recorder.most <= 3


def test_rank_threads_setting_sizes_the_lane(tmp_path: Any) -> None:
    app = create_app(get_settings(home=tmp_path, rank_threads=3))
    assert app.state.rank_lane.total_tokens == 3
    with pytest.raises(ValueError, match="rank_threads"):
        get_settings(home=tmp_path, rank_threads=0)
