"""Hand-made events with a known optimum: which pairs the planner chooses, and why not others."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from recommender.errors import ValidationError
from recommender.planner import CityQuota, EventSpec, PlanSettings, greedy_plan, plan_event
from recommender.planner.check import violations


def _parts(rows: list[tuple[str, str, int, int]], **extra: Any) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["uscc", "role", "min_meetings", "max_meetings"])
    frame["name"] = "企业" + frame["uscc"]
    for k, v in extra.items():
        frame[k] = v
    return frame


def _pairs(rows: list[tuple[str, str, float]], **extra: Any) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["leading_uscc", "supporting_uscc", "value"])
    for k, v in extra.items():
        frame[k] = v
    return frame


def _met(plan_meetings: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(plan_meetings["leading_uscc"], plan_meetings["supporting_uscc"], strict=True))


SPEC = EventSpec("E", n_slots=3, n_tables=2)


def test_optimum_beats_greedy_on_the_classic_crossing_instance() -> None:
    # greedy takes L1-S1 (0.9) then only L2-S2 (0.1) fits: 1.0; the optimum crosses: 1.5
    parts = _parts(
        [
            ("L1", "leading", 0, 1),
            ("L2", "leading", 0, 1),
            ("S1", "supporting", 0, 1),
            ("S2", "supporting", 0, 1),
        ]
    )
    pairs = _pairs([("L1", "S1", 0.9), ("L1", "S2", 0.8), ("L2", "S1", 0.7), ("L2", "S2", 0.1)])
    plan = plan_event(SPEC, parts, pairs)
    assert _met(plan.meetings) == {("L1", "S2"), ("L2", "S1")}
    assert plan.report.value == pytest.approx(1.5)
    assert plan.report.lp_bound == pytest.approx(1.5)
    assert plan.report.gap == pytest.approx(0.0, abs=1e-9)
    assert "linprog" in plan.report.solver
    base = greedy_plan(SPEC, parts, pairs)
    assert _met(base.meetings) == {("L1", "S1"), ("L2", "S2")}
    assert base.report.value == pytest.approx(1.0)
    assert violations(plan) == []


def test_no_from_either_side_is_never_scheduled() -> None:
    parts = _parts(
        [
            ("L1", "leading", 0, 3),
            ("S1", "supporting", 0, 3),
            ("S2", "supporting", 0, 3),
            ("S3", "supporting", 0, 3),
        ]
    )
    pairs = _pairs(
        [("L1", "S1", 0.99), ("L1", "S2", 0.98), ("L1", "S3", 0.1)],
        pref_leading=["no", None, None],
        pref_supporting=[None, "no", "meet"],
    )
    plan = plan_event(SPEC, parts, pairs)
    assert _met(plan.meetings) == {("L1", "S3")}
    assert plan.report.value == pytest.approx(0.1)


def test_must_from_both_is_scheduled_even_if_low_value() -> None:
    parts = _parts(
        [("L1", "leading", 0, 1), ("S1", "supporting", 0, 1), ("S2", "supporting", 0, 1)]
    )
    pairs = _pairs(
        [("L1", "S1", 0.9), ("L1", "S2", 0.05)],
        pref_leading=["meet", "must"],
        pref_supporting=[None, "must"],
    )
    plan = plan_event(SPEC, parts, pairs)
    assert _met(plan.meetings) == {("L1", "S2")}
    assert bool(plan.meetings["must"].iloc[0]) is True
    assert plan.report.must_unscheduled.empty


def test_met_before_excluded_or_down_weighted() -> None:
    parts = _parts(
        [("L1", "leading", 0, 1), ("S1", "supporting", 0, 1), ("S2", "supporting", 0, 1)]
    )
    pairs = _pairs([("L1", "S1", 0.9), ("L1", "S2", 0.6)], met_before=[True, False])
    assert _met(plan_event(SPEC, parts, pairs).meetings) == {("L1", "S2")}
    # down-weighted: 0.9 * 0.5 = 0.45 < 0.6 still loses; with weight 0.8: 0.72 wins
    kept = PlanSettings(exclude_met_before=False, met_before_weight=0.5)
    assert _met(plan_event(SPEC, parts, pairs, kept).meetings) == {("L1", "S2")}
    kept = PlanSettings(exclude_met_before=False, met_before_weight=0.8)
    plan = plan_event(SPEC, parts, pairs, kept)
    assert _met(plan.meetings) == {("L1", "S1")}
    assert plan.report.value == pytest.approx(0.72)


def test_caps_and_minimums_shape_the_choice() -> None:
    # L1 is the best partner for everyone but takes 2; S3's minimum forces L2-S3
    parts = _parts(
        [
            ("L1", "leading", 0, 2),
            ("L2", "leading", 0, 3),
            ("S1", "supporting", 0, 1),
            ("S2", "supporting", 0, 1),
            ("S3", "supporting", 1, 1),
        ]
    )
    pairs = _pairs([("L1", "S1", 0.9), ("L1", "S2", 0.8), ("L1", "S3", 0.7), ("L2", "S3", 0.01)])
    plan = plan_event(SPEC, parts, pairs)
    assert _met(plan.meetings) == {("L1", "S1"), ("L1", "S2"), ("L2", "S3")}
    assert plan.report.unmet_minimums == []
    counts = plan.report.per_firm.set_index("uscc")["meetings"]
    assert counts.to_dict() == {"L1": 2, "L2": 1, "S1": 1, "S2": 1, "S3": 1}


def test_infeasible_minimum_is_reported_with_the_availability_reason() -> None:
    spec = EventSpec("E", n_slots=4, n_tables=4)
    parts = _parts(
        [
            ("L1", "leading", 0, 4),
            ("L2", "leading", 0, 4),
            ("L3", "leading", 0, 4),
            ("S1", "supporting", 3, 4),
        ],
        available_slots=[None, None, None, {0, 2}],
    )
    parts.loc[parts["uscc"] == "S1", "name"] = "皖北精密"
    pairs = _pairs([("L1", "S1", 0.5), ("L2", "S1", 0.4), ("L3", "S1", 0.3)])
    plan = plan_event(spec, parts, pairs)
    assert len(plan.meetings) == 2
    assert set(plan.meetings["slot"]) == {0, 2}
    (unmet,) = plan.report.unmet_minimums
    assert (unmet.uscc, unmet.wanted, unmet.got) == ("S1", 3, 2)
    assert unmet.reason == "企业 皖北精密 只在 2 个时段有空"


def test_quota_is_met_when_feasible_at_a_cost_in_value() -> None:
    parts = _parts(
        [
            ("L1", "leading", 0, 2),
            ("S1", "supporting", 0, 1),
            ("S2", "supporting", 0, 1),
            ("S3", "supporting", 0, 1),
            ("S4", "supporting", 0, 1),
        ],
        city_code=["310112", "340400", "340400", "341200", "341200"],
    )
    pairs = _pairs([("L1", "S1", 0.2), ("L1", "S2", 0.3), ("L1", "S3", 0.9), ("L1", "S4", 0.8)])
    free = plan_event(SPEC, parts, pairs)
    assert _met(free.meetings) == {("L1", "S3"), ("L1", "S4")}
    # 淮南 (340400) must meet 闵行 (310112) once: the best 淮南 firm replaces the weaker 阜阳 one
    one = PlanSettings(quotas=(CityQuota("340400", "310112", 1),))
    plan = plan_event(SPEC, parts, pairs, one)
    assert _met(plan.meetings) == {("L1", "S2"), ("L1", "S3")}
    assert plan.report.value == pytest.approx(1.2)
    (status,) = plan.report.quotas
    assert (status.required, status.achieved, status.met, status.hard) == (1, 1, True, True)
    assert "milp" in plan.report.solver
    assert plan.report.lp_bound >= plan.report.objective - 1e-9
    two = plan_event(SPEC, parts, pairs, PlanSettings(quotas=(CityQuota("340400", "310112", 2),)))
    assert _met(two.meetings) == {("L1", "S1"), ("L1", "S2")}
    assert two.report.quotas[0].met


def test_infeasible_quota_becomes_soft_and_is_reported() -> None:
    parts = _parts(
        [("L1", "leading", 0, 2), ("S1", "supporting", 0, 1), ("S2", "supporting", 0, 1)],
        city_code=["310112", "340400", "341200"],
    )
    pairs = _pairs([("L1", "S1", 0.5), ("L1", "S2", 0.5)])
    plan = plan_event(SPEC, parts, pairs, PlanSettings(quotas=(CityQuota("340400", "310112", 3),)))
    (status,) = plan.report.quotas
    assert (status.achieved, status.met, status.hard) == (1, False, False)
    assert len(plan.meetings) == 2
    assert any("软约束" in n for n in plan.report.notes)


def test_session_capacity_limits_the_total() -> None:
    spec = EventSpec("E", n_slots=1, n_tables=2)
    parts = _parts(
        [(f"L{i}", "leading", 0, 1) for i in range(3)]
        + [(f"S{i}", "supporting", 0, 1) for i in range(3)]
    )
    pairs = _pairs([(f"L{i}", f"S{i}", v) for i, v in enumerate([0.3, 0.9, 0.6])])
    plan = plan_event(spec, parts, pairs)
    assert _met(plan.meetings) == {("L1", "S1"), ("L2", "S2")}
    assert sorted(plan.meetings["table"]) == [1, 2]


@pytest.mark.parametrize(
    ("parts", "pairs", "match"),
    [
        (pd.DataFrame({"uscc": ["A"], "role": ["boss"]}), _pairs([]), "leading or supporting"),
        (pd.DataFrame({"uscc": ["A"]}), _pairs([]), "lacks columns"),
        (_parts([("L", "leading", 0, 1)]), _pairs([("L", "X", 0.1)]), "registered"),
        (
            _parts([("L", "leading", 0, 1), ("M", "leading", 0, 1)]),
            _pairs([("L", "M", 0.1)]),
            "supporting firm",
        ),
        (
            _parts([("L", "leading", 0, 1), ("S", "supporting", 0, 1)]),
            _pairs([("L", "S", 0.1)], pref_leading=["maybe"]),
            "must",
        ),
        (
            _parts([("L", "leading", 0, 1), ("S", "supporting", 0, 1)]),
            _pairs([("L", "S", -0.1)]),
            ">= 0",
        ),
        (_parts([("L", "leading", 0, 1)], available_slots=[[7]]), _pairs([]), "0..2, got 7"),
    ],
)
def test_bad_inputs_say_what_was_expected(
    parts: pd.DataFrame, pairs: pd.DataFrame, match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        plan_event(SPEC, parts, pairs)


def test_event_spec_rejects_zero_tables() -> None:
    with pytest.raises(ValidationError, match="n_tables must be an integer >= 1, got 0"):
        EventSpec("E", n_slots=3, n_tables=0)
