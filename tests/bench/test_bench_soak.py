"""Soak benchmark (make bench): the API under a steady load at 80% of its measured capacity
for a long time: errors, memory growth of the serving process and p99 latency over time.

1. a uvicorn process (1 worker) serves the small test world (SQLite, a trained model);
2. capacity: closed-loop clients rank (``GET /v1/rank/supplier/{firm}``, 50 leading firms in
   turn) for ``CHAINMATCH_SOAK_PROBE_SECONDS`` (15 s); requests per second = capacity;
3. soak: an open-loop generator sends requests at 80% of that rate for
   ``CHAINMATCH_SOAK_SECONDS`` (default 1800 s = 30 minutes); latency is measured from
   each request's scheduled time, so a stall counts against the server (no coordinated
   omission); every 10 s window records requests, errors, p50/p99 and the server's RSS.

Asserted: 0 errors, and the RSS at the end at most 5% above the RSS after the warm-up (the
first 10% of the run, at least 20 s). Printed and written to $CHAINMATCH_HOME/bench/soak.json:
capacity, target rate, achieved rate, p50/p99 of the whole run and of its first and last
thirds, the median of the 10 s windows' p99 in the first and last thirds (robust to one window
slowed by other work on the machine; whether p99 stayed stable is read from these figures, not
asserted), the RSS series and every window.
"""

from __future__ import annotations

import json
import os
import platform
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import pytest

if TYPE_CHECKING:
    from tests.conftest import SmallWorld

pytestmark = pytest.mark.bench

HOME = Path(os.environ.get("CHAINMATCH_HOME", "var")).resolve()
OUT = HOME / "bench" / "soak.json"
SOAK_SECONDS = float(os.environ.get("CHAINMATCH_SOAK_SECONDS", "1800"))
PROBE_SECONDS = float(os.environ.get("CHAINMATCH_SOAK_PROBE_SECONDS", "15"))
LOAD_SHARE = 0.8
WINDOW = 10.0
CLIENTS = 8  # closed-loop clients of the capacity probe (2 cores: the server saturates)


@dataclass
class Sample:
    at: float  # seconds since the soak started (scheduled time)
    latency: float
    ok: bool
    status: str


@dataclass
class Server:
    base: str
    pid: int
    queries: list[str]
    headers: dict[str, str]
    samples: list[Sample] = field(default_factory=list)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(small_world: SmallWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import subprocess
    import sys

    from sqlalchemy import create_engine, text

    from recommender import security
    from recommender.db.engine import make_engine, make_session_factory

    home = tmp_path_factory.mktemp("soak")
    url = small_world.install(home)
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        _, key = security.create_key(s, role="analyst", label="soak")
    engine.dispose()
    plain = create_engine(url)
    with plain.connect() as conn:
        queries = [
            str(r[0])
            for r in conn.execute(
                text("SELECT uscc FROM enterprises WHERE is_leading ORDER BY uscc LIMIT 50")
            )
        ]
    plain.dispose()
    env = {**os.environ, "CHAINMATCH_HOME": str(home), "CHAINMATCH_DATABASE_URL": url,
           "CHAINMATCH_LOG_LEVEL": "WARNING"}  # fmt: skip
    port = _free_port()
    log = (home / "server.log").open("wb")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail("the server exited at start; see " + str(home / "server.log"))
            time.sleep(0.2)
        headers = {"X-API-Key": key}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as c:  # warm the caches
            for q in queries[:5]:
                assert c.get(f"/v1/rank/supplier/{q}?k=20").status_code == 200
        yield Server(base, proc.pid, queries, headers)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _capacity(server: Server, seconds: float) -> float:
    """Requests per second the server completes with CLIENTS closed-loop clients."""
    done = [0] * CLIENTS
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        with httpx.Client(base_url=server.base, headers=server.headers, timeout=60) as c:
            j = i
            while time.monotonic() < stop:
                r = c.get(f"/v1/rank/supplier/{server.queries[j % len(server.queries)]}?k=20")
                assert r.status_code == 200, r.text
                done[i] += 1
                j += CLIENTS

    start = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return sum(done) / (time.monotonic() - start)


def _soak(server: Server, rate: float, seconds: float) -> tuple[list[Sample], list[dict[str, Any]]]:
    """Open-loop load at ``rate`` req/s for ``seconds``; samples and per-window RSS."""
    samples: list[Sample] = []
    lock = threading.Lock()
    local = threading.local()
    rss: list[dict[str, Any]] = []

    def one(at: float, t0: float, query: str) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(
                base_url=server.base, headers=server.headers, timeout=60
            )
        try:
            r = client.get(f"/v1/rank/supplier/{query}?k=20")
            ok, status = r.status_code == 200, str(r.status_code)
        except httpx.HTTPError as exc:
            ok, status = False, type(exc).__name__
        latency = time.monotonic() - (t0 + at)  # from the scheduled time
        with lock:
            samples.append(Sample(at, latency, ok, status))

    interval = 1.0 / rate
    t0 = time.monotonic()
    next_window = WINDOW
    with ThreadPoolExecutor(32) as pool:
        i = 0
        while True:
            at = i * interval
            if at >= seconds:
                break
            delay = t0 + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, at, t0, server.queries[i % len(server.queries)])
            i += 1
            if at >= next_window:
                rss.append({"at": round(at, 1), "rss_mb": rss_mb(server.pid)})
                next_window += WINDOW
    rss.append({"at": round(seconds, 1), "rss_mb": rss_mb(server.pid)})
    return samples, rss


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc), in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb / 1024


def _median_p99(windows: list[dict[str, Any]], start: float, end: float) -> float:
    inside = [w["p99_ms"] for w in windows if start <= w["start_s"] < end and w["requests"]]
    return round(float(np.median(inside)), 1) if inside else float("nan")


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def test_soak_at_80_percent_of_capacity(server: Server) -> None:
    capacity = _capacity(server, PROBE_SECONDS)
    rate = LOAD_SHARE * capacity
    print(f"\n[bench soak] capacity {capacity:.1f} req/s; soaking at {rate:.1f} req/s for "
          f"{SOAK_SECONDS:g} s", flush=True)  # fmt: skip
    samples, rss = _soak(server, rate, SOAK_SECONDS)
    errors = [s for s in samples if not s.ok]
    windows = []
    for k in range(int(np.ceil(SOAK_SECONDS / WINDOW))):
        w = [s for s in samples if k * WINDOW <= s.at < (k + 1) * WINDOW]
        lat = [s.latency for s in w]
        windows.append(
            {"start_s": k * WINDOW, "requests": len(w), "errors": sum(not s.ok for s in w),
             "p50_ms": round(_pct(lat, 50), 1), "p99_ms": round(_pct(lat, 99), 1)}
        )  # fmt: skip
    warmup = max(20.0, 0.1 * SOAK_SECONDS)
    base_rss = next((r["rss_mb"] for r in rss if r["at"] >= warmup), rss[0]["rss_mb"])
    end_rss = rss[-1]["rss_mb"]
    growth = (end_rss - base_rss) / base_rss
    third = SOAK_SECONDS / 3
    first = [s.latency for s in samples if warmup <= s.at < warmup + third]
    last = [s.latency for s in samples if s.at >= 2 * third]
    lat_all = [s.latency for s in samples]
    figures = {
        "duration_s": SOAK_SECONDS,
        "capacity_rps": round(capacity, 2),
        "target_rps": round(rate, 2),
        "achieved_rps": round(len(samples) / SOAK_SECONDS, 2),
        "requests": len(samples),
        "errors": len(errors),
        "error_kinds": sorted({e.status for e in errors}),
        "p50_ms": round(_pct(lat_all, 50), 1),
        "p99_ms": round(_pct(lat_all, 99), 1),
        "p99_first_third_ms": round(_pct(first, 99), 1),
        "p99_last_third_ms": round(_pct(last, 99), 1),
        "p99_last_over_first": round(_pct(last, 99) / _pct(first, 99), 3),
        # robust to one noisy window (other work on the machine): median of the windows' p99
        "p99_window_median_first_third_ms": _median_p99(windows, warmup, warmup + third),
        "p99_window_median_last_third_ms": _median_p99(windows, 2 * third, SOAK_SECONDS),
        "p99_window_max_ms": max(w["p99_ms"] for w in windows),
        "rss_after_warmup_mb": round(base_rss, 1),
        "rss_end_mb": round(end_rss, 1),
        "rss_growth_pct": round(100 * growth, 2),
        "rss_max_mb": round(max(r["rss_mb"] for r in rss), 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, {platform.python_version()}",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({**figures, "rss": rss, "windows": windows}, indent=1, ensure_ascii=False)
    )
    for k, v in figures.items():
        print(f"[bench soak] {k} = {v}")
    print(f"[bench soak] written to {OUT}")
    assert not errors, f"{len(errors)} failed requests: {figures['error_kinds']}"
    assert growth <= 0.05, f"RSS grew {100 * growth:.1f}% ({base_rss:.0f} -> {end_rss:.0f} MB)"
