"""Property tests: random small events, every hard rule checked, optimum compared by brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.planner import CityQuota, EventSpec, PlanSettings, plan_event, replan
from recommender.planner.check import violations
from recommender.planner.matching import forced_must, penalty
from recommender.planner.model import build_instance

CITIES = ["310112", "340400", "341100"]


@st.composite
def events(
    draw: st.DrawFn, *, restricted: bool
) -> tuple[EventSpec, pd.DataFrame, pd.DataFrame, PlanSettings]:
    n_lead = draw(st.integers(1, 4))
    n_supp = draw(st.integers(1, 6))
    n_slots = draw(st.integers(1, 4))
    n_tables = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = n_lead + n_supp
    avail: list[object] = [None] * n
    if restricted:
        avail = [
            sorted(int(s) for s in np.flatnonzero(rng.random(n_slots) < 0.7)) or None
            for _ in range(n)
        ]
    parts = pd.DataFrame(
        {
            "uscc": [f"L{i}" for i in range(n_lead)] + [f"S{j}" for j in range(n_supp)],
            "role": ["leading"] * n_lead + ["supporting"] * n_supp,
            "name": [f"企业{i}" for i in range(n)],
            "city_code": rng.choice(CITIES, n),
            "min_meetings": rng.integers(0, 3, n),
            "max_meetings": rng.integers(1, 4, n),
            "available_slots": avail,
        }
    )
    rows = [(f"L{i}", f"S{j}") for i in range(n_lead) for j in range(n_supp) if rng.random() < 0.7]
    prefs = np.array([None, "meet", "must", "no"], dtype=object)
    pairs = pd.DataFrame(
        {
            "leading_uscc": [r[0] for r in rows],
            "supporting_uscc": [r[1] for r in rows],
            "value": np.round(rng.random(len(rows)), 3),
            "pref_leading": rng.choice(prefs, len(rows), p=[0.5, 0.2, 0.15, 0.15]),
            "pref_supporting": rng.choice(prefs, len(rows), p=[0.5, 0.2, 0.15, 0.15]),
            "met_before": rng.random(len(rows)) < 0.1,
        }
    )
    quotas: tuple[CityQuota, ...] = ()
    if draw(st.booleans()):
        quotas = (CityQuota("340400", "310112", draw(st.integers(0, 3))),)
    spec = EventSpec("P", n_slots=n_slots, n_tables=n_tables)
    return spec, parts, pairs, PlanSettings(quotas=quotas)


def brute_force(
    spec: EventSpec, parts: pd.DataFrame, pairs: pd.DataFrame, cfg: PlanSettings
) -> float:
    """Best penalised objective over every subset of allowed pairs (hard quotas if possible)."""
    inst = build_instance(spec, parts, pairs, cfg)
    forced = forced_must(inst)
    P = penalty(inst)
    best_hard, best_soft = -np.inf, -np.inf
    qmasks = [
        np.isin(inst.city[inst.lead], [q.wanbei_city_code, q.partner_city_code])
        & np.isin(inst.city[inst.supp], [q.wanbei_city_code, q.partner_city_code])
        & (inst.city[inst.lead] != inst.city[inst.supp])
        for q in cfg.quotas
    ]
    for bits in itertools.product([False, True], repeat=inst.n_edges):
        x = np.array(bits, dtype=bool)
        if (forced & ~x).any() or x.sum() > spec.capacity:
            continue
        deg = np.bincount(inst.lead[x], minlength=inst.n_firms) + np.bincount(
            inst.supp[x], minlength=inst.n_firms
        )
        if (deg > inst.cap).any():
            continue
        unmet = np.maximum(inst.min_m - deg, 0).sum()
        short = sum(
            max(q.min_meetings - int(m[x].sum()), 0)
            for q, m in zip(cfg.quotas, qmasks, strict=True)
        )
        value = inst.value[x].sum()
        if short == 0:
            best_hard = max(best_hard, value - P * unmet)
        best_soft = max(best_soft, value - P * (unmet + short))
    return float(best_hard if best_hard > -np.inf else best_soft)


def _assert_valid(plan, spec: EventSpec, parts: pd.DataFrame, pairs: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    assert violations(plan) == []
    m = plan.meetings
    # independent re-checks of the key rules
    assert not m.duplicated(["slot", "leading_uscc"]).any()
    assert not m.duplicated(["slot", "supporting_uscc"]).any()
    assert not m.duplicated(["slot", "table"]).any()
    assert m["table"].between(1, spec.n_tables).all()
    refused = pairs[(pairs["pref_leading"] == "no") | (pairs["pref_supporting"] == "no")]
    refused_keys = set(zip(refused["leading_uscc"], refused["supporting_uscc"], strict=True))
    assert not refused_keys & set(zip(m["leading_uscc"], m["supporting_uscc"], strict=True))
    r = plan.report
    assert r.objective <= r.lp_bound + 1e-6 * max(1.0, abs(r.lp_bound))
    assert r.n_meetings == len(m)
    got = pd.concat([m["leading_uscc"], m["supporting_uscc"]]).value_counts()
    caps = parts.set_index("uscc")["max_meetings"]
    assert (got <= caps.reindex(got.index)).all()
    if all(q.hard for q in r.quotas) and r.n_dropped == 0:
        assert all(q.met for q in r.quotas)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(restricted=False))
def test_unrestricted_random_events_are_valid_and_optimal(
    event: tuple[EventSpec, pd.DataFrame, pd.DataFrame, PlanSettings],
) -> None:
    spec, parts, pairs, cfg = event
    plan = plan_event(spec, parts, pairs, cfg)
    _assert_valid(plan, spec, parts, pairs)
    assert plan.report.n_dropped == 0  # König: every chosen meeting fits
    inst = build_instance(spec, parts, pairs, cfg)
    if inst.n_edges <= 12:
        best = brute_force(spec, parts, pairs, cfg)
        assert plan.report.objective == pytest.approx(best, rel=1e-4, abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(restricted=True))
def test_random_events_with_availability_are_valid(
    event: tuple[EventSpec, pd.DataFrame, pd.DataFrame, PlanSettings],
) -> None:
    spec, parts, pairs, cfg = event
    plan = plan_event(spec, parts, pairs, cfg)
    _assert_valid(plan, spec, parts, pairs)
    # availability respected, checked directly
    avail: dict[str, object] = dict(zip(parts["uscc"], parts["available_slots"], strict=True))
    for row in plan.meetings.itertuples():
        for u in (row.leading_uscc, row.supporting_uscc):
            slots = avail[str(u)]
            assert slots is None or row.slot in slots  # type: ignore[operator]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(restricted=True), st.integers(0, 100))
def test_replan_keeps_every_unaffected_meeting_in_place(
    event: tuple[EventSpec, pd.DataFrame, pd.DataFrame, PlanSettings], pick: int
) -> None:
    spec, parts, pairs, cfg = event
    plan = plan_event(spec, parts, pairs, cfg)
    gone = str(parts["uscc"].iloc[pick % len(parts)])
    new = replan(plan, gone)
    assert violations(new) == []
    key = ["leading_uscc", "supporting_uscc", "slot", "table"]
    old = plan.meetings[
        (plan.meetings["leading_uscc"] != gone) & (plan.meetings["supporting_uscc"] != gone)
    ]
    kept = set(map(tuple, old[key].to_numpy().tolist()))
    assert kept <= set(map(tuple, new.meetings[key].to_numpy().tolist()))
    assert not (new.meetings[["leading_uscc", "supporting_uscc"]] == gone).any().any()
    changes = new.report.changes
    assert changes is not None
    assert (changes["change"] == "removed").sum() == len(plan.meetings) - len(old)
    assert (changes["change"] == "added").sum() == len(new.meetings) - len(old)
