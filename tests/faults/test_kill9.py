"""kill -9 in the middle of an import, a retrain and an event planning; then a fresh start
(new processes, nothing repaired by hand) serves consistent data."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import create_engine, text

if TYPE_CHECKING:
    from tests.conftest import SmallWorld

pytestmark = pytest.mark.slow
TABLES = ("enterprises", "parks", "needs", "events", "participants", "outcomes")
TABLE_OF = {"participants": "event_participants"}


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def _counts(db: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return {
                t: int(
                    conn.execute(text(f"SELECT count(*) FROM {TABLE_OF.get(t, t)}")).scalar_one()
                )
                for t in TABLES
            }
    finally:
        engine.dispose()


def _wal_bytes(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    try:
        return wal.stat().st_size
    except FileNotFoundError:
        return 0


def test_kill9_during_import_writes_nothing_and_the_next_import_and_server_work(
    procs: Any, small_world: SmallWorld, tmp_path: Path
) -> None:
    files = procs.world_files(small_world.db_file)
    expected = {t: _rows(files / f"{t}.csv") for t in TABLES}
    home = tmp_path / "home"
    home.mkdir()
    env = procs.env_for(home)
    assert procs.run(["db", "upgrade"], env).returncode == 0
    db = home / "chainmatch.db"
    # kill while the import is writing its one transaction (the WAL is growing)
    killed = procs.kill_when(
        ["import-dir", str(files)], env, lambda: _wal_bytes(db) > 512 * 1024, what="writing"
    )
    assert killed.returncode == -9
    after_kill = _counts(db)
    print(f"\nkill -9 after {killed.after_s:.1f} s, while writing: rows {after_kill}")
    assert after_kill == dict.fromkeys(TABLES, 0)  # all or nothing: nothing
    again = procs.run(["import-dir", str(files)], env)
    assert again.returncode == 0, again.stderr  # the import lock died with the process
    assert _counts(db) == expected
    key = procs.create_key(env, "analyst")
    with procs.server(env) as base:
        page = httpx.get(f"{base}/v1/enterprises?limit=5", headers={"X-API-Key": key}, timeout=30)
        assert page.status_code == 200
        assert page.json()["total"] == expected["enterprises"]


def test_kill9_during_retrain_leaves_a_valid_production_model(
    procs: Any, small_world: SmallWorld, tmp_path: Path
) -> None:
    from training.registry import ModelRegistry

    home = tmp_path / "home"
    url = small_world.install(home)
    env = procs.env_for(home, url)
    models = home / "models"
    before = {p.name for p in models.iterdir()}

    def registering() -> bool:  # the new version's directory is being written
        return any(p.name not in before and p.is_dir() for p in models.iterdir())

    killed = procs.kill_when(
        ["train", "--kind", "supplier", "--promote-if-better", "--tolerance", "1"],
        env,
        registering,
        what="registering the new model",
    )
    assert killed.returncode == -9
    registry = ModelRegistry(models)
    production = registry.production()
    print(f"\nkill -9 after {killed.after_s:.1f} s while registering; production {production}")
    assert production is not None
    registry.verify(production)  # the checksum holds
    for info in registry.list():  # a half-written version is never listed
        registry.verify(info.version)
    leftovers = [p.name for p in models.iterdir() if p.name.startswith(".tmp-")]
    key = procs.create_key(env, "analyst")
    with procs.server(env) as base:
        r = httpx.get(
            f"{base}/v1/rank/supplier/{_a_leading_firm(url)}?k=5",
            headers={"X-API-Key": key},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        assert r.json()["model_version"] == production
    print(f"temporary directories left behind (ignored by the registry): {leftovers}")


def _a_leading_firm(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    text("SELECT uscc FROM enterprises WHERE is_leading ORDER BY uscc LIMIT 1")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _check_schedule(body: dict[str, Any]) -> None:
    """Nobody is in two places at once and no table holds two meetings in one slot."""
    seen_firm: set[tuple[int, str]] = set()
    seen_table: set[tuple[int, int]] = set()
    meetings = body["meetings"]
    assert meetings, "a stored plan has meetings"
    for m in meetings:
        for firm in (m["leading_uscc"], m["supporting_uscc"]):
            assert (m["slot"], firm) not in seen_firm, m
            seen_firm.add((m["slot"], firm))
        assert (m["slot"], m["table"]) not in seen_table, m
        seen_table.add((m["slot"], m["table"]))


def test_kill9_during_event_planning_keeps_the_schedule_consistent(
    procs: Any, small_world: SmallWorld, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    url = small_world.install(home)
    env = procs.env_for(home, url)
    event = small_world.upcoming_event
    first = procs.run(["plan-event", event], env)
    assert first.returncode == 0, first.stderr
    plans = home / "plans" / event

    def storing_v2() -> bool:  # the second version's file is written, its rows maybe not
        return any(p.name.startswith("2.") for p in plans.iterdir())

    killed = procs.kill_when(["plan-event", event], env, storing_v2, what="storing plan 2")
    assert killed.returncode == -9
    key = procs.create_key(env, "organiser")
    h = {"X-API-Key": key}
    with procs.server(env) as base:
        got = httpx.get(f"{base}/v1/events/{event}/schedule", headers=h, timeout=60)
        assert got.status_code == 200, got.text
        body = got.json()
        print(
            f"\nkill -9 after {killed.after_s:.1f} s while storing plan 2; served version "
            f"{body['version']}, {len(body['meetings'])} meetings; files "
            f"{sorted(p.name for p in plans.iterdir())}"
        )
        assert body["version"] in (1, 2)
        _check_schedule(body)
        assert _stored_meetings(url, event, body["version"]) == len(body["meetings"])
        replanned = httpx.post(f"{base}/v1/events/{event}/plan", headers=h, timeout=240)
        assert replanned.status_code in (200, 201), replanned.text
        latest = httpx.get(f"{base}/v1/events/{event}/schedule", headers=h, timeout=60).json()
        assert latest["version"] > body["version"]
        _check_schedule(latest)
        assert _stored_meetings(url, event, latest["version"]) == len(latest["meetings"])
    shutil.rmtree(home, ignore_errors=True)


def _stored_meetings(url: str, event: str, version: int) -> int:
    """Meetings rows of one plan version (the database half of a stored plan)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM meetings WHERE event_id = :e AND plan_version = :v"),
                    {"e": event, "v": version},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_kill9_during_a_ranking_data_rebuild_then_a_fresh_server_ranks_the_new_data(
    procs: Any, small_world: SmallWorld, tmp_path: Path
) -> None:
    import os
    import signal
    import time

    from features.uscc import uscc_check_digit

    home = tmp_path / "home"
    url = small_world.install(home)
    env = procs.env_for(home, url)
    key = procs.create_key(env, "analyst")
    h = {"X-API-Key": key}
    leading = _a_leading_firm(url)
    body = "91340300MA9K00017"  # 17 characters of the USCC set
    firm = body + uscc_check_digit(body)
    new = {"uscc": firm, "name": "蚌埠故障测试龙头有限公司", "city": "蚌埠",
           "industry_code": "3973", "products": "MEMS 传感器", "is_leading": True}  # fmt: skip
    with procs.server(env) as base:
        assert httpx.get(f"{base}/v1/rank/supplier/{leading}?k=5", headers=h, timeout=60)
        made = httpx.post(f"{base}/v1/enterprises", json=new, headers=h, timeout=60)
        assert made.status_code == 201, made.text  # committed; the data stamp is touched
        # the next request starts the background rebuild; kill the server while it runs
        assert httpx.get(f"{base}/v1/rank/supplier/{leading}?k=5", headers=h, timeout=60)
        time.sleep(0.3)
        port = int(base.rsplit(":", 1)[1])
        pid = _pid_listening(port)
        os.kill(pid, signal.SIGKILL)
    with procs.server(env) as base:  # a fresh start builds from the database
        got = httpx.get(f"{base}/v1/rank/supplier/{firm}?k=5", headers=h, timeout=120)
        assert got.status_code == 200, got.text
        assert got.json()["query_name"] == new["name"]


def _pid_listening(port: int) -> int:
    """The pid of the process listening on a loopback port (from /proc/net/tcp)."""
    import os

    inode = ""
    with open("/proc/net/tcp", encoding="ascii") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[1].endswith(f":{port:04X}") and parts[3] == "0A":  # LISTEN
                inode = parts[9]
    assert inode, f"nothing listens on {port}"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return int(pid)
        except OSError:
            continue
    raise AssertionError(f"no process owns the socket of port {port}")
