"""Faults while the API serves a load: PostgreSQL restarted (503 fast, recovery without an app
restart), models promoted and rolled back (no failed request, one model per answer)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.conftest import SmallWorld

pytestmark = pytest.mark.slow
CLUSTER = ("15", "main")


@dataclass
class Load:
    """Requests sent by a few threads until stopped: (start offset s, status, latency s)."""

    base: str
    path: str
    headers: dict[str, str]
    threads: int = 4
    timeout: float = 20.0
    results: list[tuple[float, int | str, float, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)
    t0: float = 0.0

    def start(self) -> Load:
        self.t0 = time.monotonic()
        for _ in range(self.threads):
            t = threading.Thread(target=self._run, daemon=True)
            t.start()
            self._workers.append(t)
        return self

    def stop(self) -> list[tuple[float, int | str, float, Any]]:
        self._stop.set()
        for t in self._workers:
            t.join(self.timeout + 5)
        return self.results

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=self.timeout) as c:
            while not self._stop.is_set():
                began = time.monotonic()
                try:
                    r = c.get(self.path)
                    outcome: int | str = r.status_code
                    body: Any = r.json() if r.status_code == 200 else r.text[:200]
                except httpx.HTTPError as exc:
                    outcome, body = type(exc).__name__, str(exc)
                done = time.monotonic()
                with self._lock:
                    self.results.append((began - self.t0, outcome, done - began, body))


# ----------------------------------------------------------------------------- PostgreSQL
def _pg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["pg_ctlcluster", *CLUSTER, *args], capture_output=True, text=True, check=False
    )


def _pg_ready(timeout: float = 60) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ok = subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "2"],
            capture_output=True,
            check=False,
        )
        if ok.returncode == 0:
            return True
        time.sleep(0.3)
    return False


@pytest.fixture
def own_pg_url(_pg_server_url: str) -> Iterator[str]:
    """A fresh schema, dropped afterwards through a new engine (the restart kills pools)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"cm_fault_{uuid.uuid4().hex[:12]}"

    def admin(sql: str) -> None:
        engine = create_engine(_pg_server_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    admin(f'CREATE SCHEMA "{schema}"')
    url = make_url(_pg_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _pg_ready()
        admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.postgres
def test_postgres_restarted_under_load_gives_503_then_recovers_without_an_app_restart(
    procs: Any, own_pg_url: str, tmp_path: Path
) -> None:
    if shutil.which("pg_ctlcluster") is None or _pg("status").returncode not in (0, 3):
        pytest.skip("no local PostgreSQL cluster 15/main to restart (pg_ctlcluster)")
    pg_url = own_pg_url
    from features.reference import load_reference
    from recommender import security
    from recommender.db import migrate, repo
    from recommender.db.engine import make_engine, make_session_factory

    migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    with make_session_factory(engine)() as s:
        repo.seed_reference(s, reference=load_reference())
        s.commit()
        _, key = security.create_key(s, role="analyst")
    engine.dispose()
    env = procs.env_for(tmp_path, pg_url)
    with procs.server(env) as base:
        load = Load(base, "/v1/parks?limit=5", {"X-API-Key": key}).start()
        try:
            time.sleep(3)
            restart_at = time.monotonic() - load.t0
            restarted = _pg("restart")
            back_at = time.monotonic() - load.t0
            assert restarted.returncode == 0, restarted.stderr
            assert _pg_ready()
            time.sleep(6)
        finally:
            results = load.stop()
            if _pg("status").returncode != 0:  # others' tests need it: always running again
                _pg("start")
            _pg_ready()
    statuses = Counter(str(s) for _, s, _, _ in results)
    failed = [(t, lat) for t, s, lat, _ in results if s == 503]
    after = [s for t, s, _, _ in results if t > back_at + 3]
    last_503 = max((t for t, _ in failed), default=-1.0)
    recovered = min((t for t, s, _, _ in results if t > last_503 and s == 200), default=-1.0)
    print(
        f"\nPostgreSQL restart at {restart_at:.1f} s, back at {back_at:.1f} s: "
        f"{len(results)} requests {dict(statuses)}; 503s answered in at most "
        f"{max((lat for _, lat in failed), default=0):.2f} s; "
        f"last 503 at {last_503:.1f} s, answered again (200) from {recovered:.1f} s"
    )
    assert set(statuses) <= {"200", "503"}, statuses  # no 500, no hung or dropped request
    assert statuses["200"] > 0
    assert after, "requests went on after the restart"
    assert set(after) == {200}  # recovered: the same app process answers again
    for _, s, _, body in results:
        if s == 503:
            assert "数据库暂时不可用" in body


# ----------------------------------------------------------------------------- promotion
def _truncated_model(models: Path, version: str, trees: int) -> str:
    """Register a second version: the first ``trees`` trees of ``version`` (other scores)."""
    import lightgbm as lgb

    from training.registry import ModelRegistry

    registry = ModelRegistry(models)
    text = (models / version / "model.txt").read_text(encoding="utf-8")
    short = lgb.Booster(model_str=text).model_to_string(num_iteration=trees)
    meta = dataclasses.replace(registry.show(version).metadata, notes=f"first {trees} trees")
    return registry.register(short, meta)


def _answer(body: dict[str, Any]) -> tuple[str, tuple[tuple[str, float], ...]]:
    return body["model_version"], tuple(
        (c["candidate_id"], round(c["final_score"], 9)) for c in body["candidates"]
    )


def test_promotion_and_rollback_during_rank_requests_fail_none_and_never_mix_models(
    procs: Any, small_world: SmallWorld, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    url = small_world.install(home)
    v1 = small_world.model_version
    v2 = _truncated_model(home / "models", v1, trees=10)
    env = procs.env_for(home, url)
    admin, reader = procs.create_key(env, "admin"), procs.create_key(env, "analyst")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        query = str(
            conn.execute(
                text("SELECT uscc FROM enterprises WHERE is_leading ORDER BY uscc LIMIT 1")
            ).scalar_one()
        )
    engine.dispose()
    path = f"/v1/rank/supplier/{query}?k=10"
    a = {"X-API-Key": admin}
    with procs.server(env) as base, httpx.Client(base_url=base, timeout=120) as c:
        ref = {}
        for version in (v2, v1):
            if version == v2:
                assert c.post(f"/v1/models/{v2}/promote", headers=a).status_code == 200
            else:
                assert c.post("/v1/models/rollback", headers=a).status_code == 200
            got = c.get(path, headers={"X-API-Key": reader})
            assert got.status_code == 200, got.text
            answer = _answer(got.json())
            assert answer[0] == version
            ref[version] = answer
        assert ref[v1][1] != ref[v2][1], "the two versions must rank differently"
        load = Load(base, path, {"X-API-Key": reader}, threads=4, timeout=60).start()
        switches = 0
        try:
            for _ in range(8):
                time.sleep(0.7)
                assert c.post(f"/v1/models/{v2}/promote", headers=a).status_code == 200
                time.sleep(0.7)
                assert c.post("/v1/models/rollback", headers=a).status_code == 200
                switches += 2
            time.sleep(0.5)
        finally:
            results = load.stop()
    statuses = Counter(str(s) for _, s, _, _ in results)
    served = Counter(body["model_version"] for _, s, _, body in results if s == 200)
    print(
        f"\n{switches} promotions/rollbacks during {len(results)} rank requests: "
        f"{dict(statuses)}; answers by version {dict(served)}"
    )
    assert statuses == Counter({"200": len(results)})  # 0 failed requests
    assert set(served) == {v1, v2}  # both served during the switching
    for _, _, _, body in results:
        version, ranked = _answer(body)
        assert ranked == ref[version][1], f"an answer of {version} differs from that model's"
