"""Benchmark: plan a 300 x 1,000 firm session (12 slots, 150 tables); prints and writes JSON.

Goals (reported, never asserted): plan in <= 5 s, objective / LP bound >= 0.995; the
greedy baseline (highest value first) is planned and reported beside it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender.planner import CityQuota, EventSpec, PlanSettings, greedy_plan, plan_event
from recommender.planner.check import violations

N_LEAD, N_SUPP, PER_SUPP = 300, 1_000, 30
CITIES_W = ["340300", "341600", "341300", "340300", "341200", "340400", "341100", "341500"]
CITIES_H = ["310112", "310117", "310120", "320100", "320500", "320300", "330100", "330200"]


def _world(seed: int, *, realistic: bool):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    n = N_LEAD + N_SUPP
    avail: list[object] = [None] * n
    if realistic:  # 20% of firms come for half a day only
        half = rng.random(n) < 0.2
        morning = rng.random(n) < 0.5
        avail = [
            (list(range(6)) if m else list(range(6, 12))) if h else None
            for h, m in zip(half, morning, strict=True)
        ]
    parts = pd.DataFrame(
        {
            "uscc": [f"L{i:04d}" for i in range(N_LEAD)] + [f"S{j:04d}" for j in range(N_SUPP)],
            "name": [f"龙头{i}" for i in range(N_LEAD)] + [f"配套{j}" for j in range(N_SUPP)],
            "role": ["leading"] * N_LEAD + ["supporting"] * N_SUPP,
            "city_code": list(rng.choice(CITIES_H, N_LEAD)) + list(rng.choice(CITIES_W, N_SUPP)),
            "max_meetings": np.concatenate(
                [rng.integers(6, 13, N_LEAD), rng.integers(1, 4, N_SUPP)]
            ),
            "min_meetings": np.concatenate(
                [np.zeros(N_LEAD, int), np.full(N_SUPP, 1 if realistic else 0)]
            ),
            "available_slots": avail,
        }
    )
    # a shortlist: each supporting firm has ~30 candidate leading firms, popular ones more often
    pop = rng.pareto(2.0, N_LEAD) + 1
    pop /= pop.sum()
    lead = np.concatenate(
        [rng.choice(N_LEAD, PER_SUPP, replace=False, p=pop) for _ in range(N_SUPP)]
    )
    supp = np.repeat(np.arange(N_SUPP), PER_SUPP)
    m = len(lead)
    pairs = pd.DataFrame(
        {
            "leading_uscc": [f"L{i:04d}" for i in lead],
            "supporting_uscc": [f"S{j:04d}" for j in supp],
            "value": rng.beta(2, 6, m),
        }
    )
    if realistic:
        prefs = np.array([None, "meet", "must", "no"], dtype=object)
        pairs["pref_leading"] = rng.choice(prefs, m, p=[0.8, 0.15, 0.02, 0.03])
        pairs["pref_supporting"] = rng.choice(prefs, m, p=[0.8, 0.15, 0.02, 0.03])
        pairs["met_before"] = rng.random(m) < 0.02
    return parts, pairs


def _figures(plan, base, seconds: float) -> dict[str, object]:  # type: ignore[no-untyped-def]
    r, g = plan.report, base.report
    return {
        "seconds": round(seconds, 3),
        "n_meetings": r.n_meetings,
        "value": round(r.value, 4),
        "objective": round(r.objective, 4),
        "lp_bound": round(r.lp_bound, 4),
        "objective_over_bound": round(r.objective / r.lp_bound, 6),
        "n_dropped": r.n_dropped,
        "unmet_minimums": len(r.unmet_minimums),
        "leaders_one_table": list(r.leaders_one_table),
        "solver": r.solver,
        "schedule_method": r.schedule_method,
        "timings": {k: round(v, 3) for k, v in r.timings.items()},
        "violations": len(violations(plan)),
        "greedy": {
            "seconds": round(g.timings["total"], 3),
            "n_meetings": g.n_meetings,
            "value": round(g.value, 4),
            "value_over_bound": round(g.value / r.lp_bound, 6),
            "objective": round(g.objective, 4),
            "objective_over_bound": round(g.objective / r.lp_bound, 6),
            "unmet_minimums": len(g.unmet_minimums),
            "n_dropped": g.n_dropped,
        },
    }


@pytest.mark.bench
def test_bench_planner() -> None:
    spec = EventSpec("BENCH", n_slots=12, n_tables=150)
    out: dict[str, object] = {
        "instance": {
            "leading": N_LEAD,
            "supporting": N_SUPP,
            "pairs": N_SUPP * PER_SUPP,
            "slots": 12,
            "tables": 150,
            "capacity": spec.capacity,
        },
    }
    scenarios = {
        "caps_only": (False, PlanSettings()),
        "realistic": (True, PlanSettings()),
        "realistic_quota": (
            True,
            PlanSettings(
                quotas=(CityQuota("340300", "330200", 120), CityQuota("340400", "310112", 120))
            ),
        ),
    }
    for name, (realistic, cfg) in scenarios.items():
        parts, pairs = _world(7, realistic=realistic)
        t0 = time.perf_counter()
        plan = plan_event(spec, parts, pairs, cfg)
        seconds = time.perf_counter() - t0
        base = greedy_plan(spec, parts, pairs, cfg)
        out[name] = _figures(plan, base, seconds)
        assert violations(plan) == []
        assert plan.report.objective <= plan.report.lp_bound + 1e-6 * plan.report.lp_bound
        if cfg.quotas:
            out[name]["quotas"] = [  # type: ignore[index]
                [q.required, q.achieved, q.hard] for q in plan.report.quotas
            ]
    text = json.dumps(out, ensure_ascii=False, indent=2)
    print(text)
    home = Path(os.environ.get("CHAINMATCH_HOME", "var"))
    (home / "bench").mkdir(parents=True, exist_ok=True)
    (home / "bench" / "planner.json").write_text(text, encoding="utf-8")
