"""Benchmark: a dashboard request over 100,000 projects and 1,000,000 outcomes, and the
import of a 10,000-project ledger (SQLite; PostgreSQL too when a server is reachable).

Goals: the dashboard answers in <= 200 ms, the ledger imports in <= 5 s. The
dashboard is timed three ways: every query run with the funnel counts up to date (a request
after a ledger change), right after 1,000 new outcomes (their counts are taken in first), and
with the blocks kept for an unchanged data stamp. The first fill of the funnel counts (every
stored outcome, once per installation) is timed apart. Prints
the figures and writes them to $CHAINMATCH_HOME/bench/dashboard.json (default var/bench);
never asserts a time, only counts, so a broken aggregation still fails.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from features.reference import load_reference
from features.uscc import uscc_check_digit
from recommender.db import migrate, repo
from recommender.db.engine import make_engine, make_session_factory
from recommender.db.models import Outcome, Project
from recommender.ingest import import_file
from recommender.projects import funnel
from recommender.projects.dashboard import DashboardCache, dashboard

pytestmark = pytest.mark.bench

N_PROJECTS = 100_000
N_OUTCOMES = 1_000_000
N_LEDGER = 10_000
N_FIRMS = 20_000
STAGES = np.array(["在谈", "协议起草", "签约", "开工", "投产", "中止"])
FUNNEL = np.array(["recommended", "contacted", "meeting", "intention", "signed", "landed"])


def _firms(n: int) -> list[str]:
    cities = ["330200", "310112", "320500", "330100", "340300", "340400"]
    out = []
    for i in range(n):
        body = f"91{cities[i % len(cities)]}MA{i:07d}"
        out.append(body + uscc_check_digit(body))
    return out


def _fill(url: str, rng: np.random.Generator) -> None:
    reference = load_reference()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as s:
        repo.seed_reference(s, reference=reference)
        s.commit()
        parks = reference.parks
        park_ids = parks["park_id"].astype(str).to_numpy()
        park_city = dict(zip(park_ids, parks["city_code"].astype(str), strict=True))
        firms = _firms(N_FIRMS)
        frame = pd.DataFrame({"uscc": firms, "name": [f"企业{i}" for i in range(N_FIRMS)],
                              "city_code": [u[2:8] for u in firms], "industry_code": "3670",
                              "products": "零部件"})  # fmt: skip
        repo.upsert_frame(s, kind="enterprises", frame=frame)
        s.commit()
        start = np.datetime64("2024-01-01")
        p_park = rng.choice(park_ids, N_PROJECTS)
        p_days = rng.integers(0, 3 * 365, N_PROJECTS)
        p_stage = rng.choice(STAGES, N_PROJECTS)
        p_inv = rng.integers(0, N_FIRMS, N_PROJECTS)
        sources = np.array(["330200", "310112", "320500", "330100", "320100", "310117"])
        p_src = rng.choice(sources, N_PROJECTS)
        amounts = np.round(rng.gamma(2.0, 1.5, N_PROJECTS), 2)
        rows = [
            {"project_id": f"P{i:06d}", "name": f"项目{i}", "investor_name": f"企业{p_inv[i]}",
             "investor_uscc": firms[p_inv[i]], "city_code": park_city[p_park[i]],
             "park_id": p_park[i], "source_city_code": p_src[i], "industry": "", "chain_nodes": "",
             "stage": p_stage[i], "stage_date": (start + p_days[i]).astype(dt.date),
             "signed_date": (start + p_days[i]).astype(dt.date)
             if p_stage[i] in ("签约", "开工", "投产") else None,
             "agreed_investment_yi": float(amounts[i]), "fixed_asset_yi": None, "land_mu": None,
             "contact": "", "source_list": "", "model_version": ""}
            for i in range(N_PROJECTS)
        ]  # fmt: skip
        s.execute(insert(Project), rows)
        s.commit()
        kinds = rng.choice(np.array(["investor", "supplier"]), N_OUTCOMES, p=[0.7, 0.3])
        # (candidate, day) is unique by construction, so is the outcome key
        o_days = (np.arange(N_OUTCOMES) // N_FIRMS) * 21
        stage = rng.choice(FUNNEL, N_OUTCOMES, p=[0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
        q_park = rng.choice(park_ids, N_OUTCOMES)
        q_firm = rng.integers(0, N_FIRMS, N_OUTCOMES)
        cand = np.arange(N_OUTCOMES) % N_FIRMS
        batch = []
        for i in range(N_OUTCOMES):
            batch.append(
                {"query_kind": kinds[i],
                 "query_id": q_park[i] if kinds[i] == "investor" else firms[q_firm[i]],
                 "candidate_id": firms[cand[i]], "stage": stage[i],
                 "date": (start + o_days[i]).astype(dt.date), "event_id": "", "amount_wan": None}
            )  # fmt: skip
            if len(batch) == 100_000:
                s.execute(insert(Outcome), batch)
                batch = []
        if batch:
            s.execute(insert(Outcome), batch)
        s.commit()
        if not url.startswith("sqlite"):
            s.execute(text("ANALYZE"))
            s.commit()
    engine.dispose()


def _more_outcomes(session: Session, n: int) -> None:
    firms = _firms(N_FIRMS)
    rows = [
        {"query_kind": "investor", "query_id": "CB10", "candidate_id": firms[i % N_FIRMS],
         "stage": "contacted", "date": dt.date(2025, 12, 30), "event_id": "", "amount_wan": None}
        for i in range(n)
    ]  # fmt: skip
    session.execute(insert(Outcome), rows)
    session.commit()


def _ledger_csv(path: Path, rng: np.random.Generator) -> None:
    firms = _firms(N_FIRMS)
    idx = rng.integers(0, N_FIRMS, N_LEDGER)
    frame = pd.DataFrame(
        {
            "项目编号": [f"L{i:05d}" for i in range(N_LEDGER)],
            "项目名称": [f"台账项目{i}" for i in range(N_LEDGER)],
            "投资方": [f"企业{j}" for j in idx],
            "投资方统一社会信用代码": [firms[j] for j in idx],
            "来源地": rng.choice(np.array(["宁波", "苏州市", "闵行区", "杭州"]), N_LEDGER),
            "所属园区": rng.choice(
                np.array(["甬蚌产业合作园区", "CB05", "CB02", "CB01"]), N_LEDGER
            ),
            "进度": rng.choice(STAGES, N_LEDGER),
            "日期": pd.to_datetime("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 300, N_LEDGER), unit="D"),
            "协议投资额(亿元)": np.round(rng.gamma(2.0, 1.5, N_LEDGER), 2),
        }
    )
    frame["日期"] = frame["日期"].dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False, encoding="utf-8-sig")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_bench_dashboard(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url: str = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    migrate.upgrade(url)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    _fill(url, rng)
    fill_s = time.perf_counter() - t0
    reference = load_reference()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    times, warm = [], []
    cache = DashboardCache()
    with factory() as s:
        t = time.perf_counter()
        funnel.refresh(s)  # once: every stored outcome counted into funnel_counts
        refresh_all_s = time.perf_counter() - t
        for _ in range(3):  # every query run (what a request costs right after a write)
            t = time.perf_counter()
            board = dashboard(s, cities=reference.cities, year=2025)
            times.append(time.perf_counter() - t)
        dashboard(s, cities=reference.cities, year=2025, cache=cache, stamp=1)
        for _ in range(5):  # the data stamp unchanged: grouped results kept, targets read
            t = time.perf_counter()
            cached = dashboard(s, cities=reference.cities, year=2025, cache=cache, stamp=1)
            warm.append(time.perf_counter() - t)
        assert cached["totals"] == board["totals"]
        _more_outcomes(s, 1000)
        t = time.perf_counter()  # a request after 1,000 new outcomes: counts them in, then all
        after = dashboard(s, cities=reference.cities, year=2025)
        after_write_ms = (time.perf_counter() - t) * 1000
    assert sum(f["count"] for b in after["pairings"] for f in b["funnel"]) > 0
    assert len(board["pairings"]) == 8
    stages = sum(x["projects"] for b in board["pairings"] for x in b["by_stage"])
    assert stages > 0
    ledger = tmp_path / "ledger.csv"
    _ledger_csv(ledger, np.random.default_rng(1))
    with factory() as s:
        t = time.perf_counter()
        report = import_file(s, kind="projects", path=ledger, reference=reference)
        import_s = time.perf_counter() - t
    assert report.inserted == N_LEDGER
    engine.dispose()
    figures = {
        "backend": backend,
        "projects": N_PROJECTS,
        "outcomes": N_OUTCOMES,
        "dashboard_uncached_first_ms": round(times[0] * 1000, 1),
        "dashboard_uncached_median_ms": round(statistics.median(times) * 1000, 1),
        "dashboard_cached_median_ms": round(statistics.median(warm) * 1000, 1),
        "dashboard_after_1000_new_outcomes_ms": round(after_write_ms, 1),
        "funnel_counts_first_fill_s": round(refresh_all_s, 2),
        "dashboard_goal_ms": 200,
        "ledger_rows": N_LEDGER,
        "ledger_import_s": round(import_s, 2),
        "ledger_goal_s": 5,
        "fill_s": round(fill_s, 1),
        "machine": platform.processor() or platform.machine(),
    }
    print(json.dumps(figures, ensure_ascii=False))
    out = Path(os.environ.get("CHAINMATCH_HOME", "var")) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"dashboard-{backend}.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
