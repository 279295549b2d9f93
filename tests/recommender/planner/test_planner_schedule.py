"""Scheduling: König colouring fills Δ slots, tables per slot, one table per leading firm."""

from __future__ import annotations

import pandas as pd

from recommender.planner import EventSpec, PlanSettings, plan_event
from recommender.planner.check import violations
from recommender.planner.model import build_instance
from recommender.planner.scheduling import Board


def _complete(n_lead: int, n_supp: int, cap_l: int, cap_s: int, **extra: list[object]):  # type: ignore[no-untyped-def]
    parts = pd.DataFrame(
        {
            "uscc": [f"L{i}" for i in range(n_lead)] + [f"S{j}" for j in range(n_supp)],
            "role": ["leading"] * n_lead + ["supporting"] * n_supp,
            "max_meetings": [cap_l] * n_lead + [cap_s] * n_supp,
            **extra,
        }
    )
    pairs = pd.DataFrame(
        [(f"L{i}", f"S{j}", 0.5) for i in range(n_lead) for j in range(n_supp)],
        columns=["leading_uscc", "supporting_uscc", "value"],
    )
    return parts, pairs


def test_complete_bipartite_graph_fits_in_delta_slots() -> None:
    # K_{4,4}: Δ = 4, 16 meetings, exactly 4 slots of 4 tables: König says it fits
    parts, pairs = _complete(4, 4, 4, 4)
    plan = plan_event(EventSpec("K", n_slots=4, n_tables=4), parts, pairs)
    assert len(plan.meetings) == 16
    assert plan.meetings.groupby("slot").size().tolist() == [4, 4, 4, 4]
    assert "König" in plan.report.schedule_method
    assert violations(plan) == []
    # 4 leading firms on 4 tables: each keeps one table all session
    tables = plan.meetings.groupby("leading_uscc")["table"].nunique()
    assert tables.tolist() == [1, 1, 1, 1]
    assert plan.report.leaders_one_table == (4, 4)


def test_table_limit_balances_slots() -> None:
    # K_{3,6} with caps 3 / 1: 6 meetings, Δ = 3 but only 2 tables: 3 slots x 2
    parts, pairs = _complete(3, 6, 3, 1)
    plan = plan_event(EventSpec("T", n_slots=3, n_tables=2), parts, pairs)
    assert len(plan.meetings) == 6
    assert plan.meetings.groupby("slot").size().tolist() == [2, 2, 2]
    assert violations(plan) == []


def test_availability_is_respected_by_greedy_with_repair() -> None:
    # L0 free only in slot 1, L1 only in slot 0: each has room for one meeting (cap 2 -> 1)
    parts, pairs = _complete(2, 2, 2, 2, available_slots=[[1], [0], None, None])
    plan = plan_event(EventSpec("A", n_slots=2, n_tables=2), parts, pairs)
    assert "greedy with repair" in plan.report.schedule_method
    assert plan.report.per_firm.set_index("uscc")["cap"].to_dict() == {
        "L0": 1,
        "L1": 1,
        "S0": 2,
        "S1": 2,
    }
    slots = plan.meetings.set_index("leading_uscc")["slot"].to_dict()
    assert slots == {"L0": 1, "L1": 0}
    assert violations(plan) == []


def test_most_constrained_meetings_are_placed_first() -> None:
    # L0-S0 can use both slots; placed first in slot 0 it would block L1-S0 (slot 0 only)
    parts = pd.DataFrame(
        {
            "uscc": ["L0", "L1", "S0", "S1"],
            "role": ["leading", "leading", "supporting", "supporting"],
            "available_slots": [None, [0], None, [0]],
        }
    )
    pairs = pd.DataFrame(
        [("L0", "S0", 0.9), ("L1", "S0", 0.5), ("L0", "S1", 0.4)],
        columns=["leading_uscc", "supporting_uscc", "value"],
    )
    plan = plan_event(EventSpec("R", n_slots=2, n_tables=2), parts, pairs)
    assert len(plan.meetings) == 3
    assert plan.report.n_dropped == 0
    got = {(r.leading_uscc, r.supporting_uscc): r.slot for r in plan.meetings.itertuples()}
    assert got == {("L0", "S0"): 1, ("L1", "S0"): 0, ("L0", "S1"): 0}


def test_meeting_that_fits_nowhere_is_dropped_and_reported() -> None:
    # L0/S0 share slot 0 only, and L0/S1 too: L0 can hold one of them; caps allow both
    parts = pd.DataFrame(
        {
            "uscc": ["L0", "S0", "S1"],
            "role": ["leading", "supporting", "supporting"],
            "available_slots": [None, [0], [0]],
        }
    )
    pairs = pd.DataFrame(
        [("L0", "S0", 0.9), ("L0", "S1", 0.5)], columns=["leading_uscc", "supporting_uscc", "value"]
    )
    plan = plan_event(EventSpec("D", n_slots=2, n_tables=2), parts, pairs)
    assert plan.meetings[["leading_uscc", "supporting_uscc", "slot"]].values.tolist() == [
        ["L0", "S0", 0]
    ]
    assert plan.report.n_dropped == 1
    assert plan.report.dropped[["leading_uscc", "supporting_uscc"]].values.tolist() == [
        ["L0", "S1"]
    ]
    assert plan.report.objective <= plan.report.lp_bound


def test_board_repair_moves_a_blocker_and_swaps_an_alternating_path() -> None:
    parts = pd.DataFrame(
        {
            "uscc": ["L0", "L1", "S0", "S1"],
            "role": ["leading", "leading", "supporting", "supporting"],
            "available_slots": [None, [0], None, None],
        }
    )
    pairs = pd.DataFrame(
        [("L0", "S0", 0.9), ("L1", "S0", 0.5), ("L0", "S1", 0.4)],
        columns=["leading_uscc", "supporting_uscc", "value"],
    )
    inst = build_instance(EventSpec("R", n_slots=2, n_tables=2), parts, pairs, PlanSettings())
    board = Board(inst, 2)
    board.put(0, 0)  # L0-S0 in slot 0 blocks L1-S0, which can only use slot 0
    assert not board.place(1, repair=False)
    assert board.place(1, repair=True)
    assert board.slot.tolist() == [1, 0, -1]
    assert board.moved == {0}
    # L0-S1: L0 busy in 1, S1 free in both; slot 0 is free for L0 and S1 -> direct
    assert board.place(2)
    assert board.slot.tolist() == [1, 0, 0]


def test_board_kempe_swap_when_no_single_move_helps() -> None:
    # path L0 -a- S0 -b- L1: placing L2-S0 needs the a/b path flipped
    parts = pd.DataFrame(
        {
            "uscc": ["L0", "L1", "S0", "S1"],
            "role": ["leading", "leading", "supporting", "supporting"],
        }
    )
    pairs = pd.DataFrame(
        [("L0", "S0", 0.9), ("L1", "S0", 0.8), ("L1", "S1", 0.7), ("L0", "S1", 0.6)],
        columns=["leading_uscc", "supporting_uscc", "value"],
    )
    inst = build_instance(EventSpec("K", n_slots=2, n_tables=2), parts, pairs, PlanSettings())
    board = Board(inst, None)
    board.put(0, 0)  # L0-S0 slot 0
    board.put(2, 1)  # L1-S1 slot 1
    # L1-S0: L1 free in 0 but S0 busy in 0; S0 free in 1 but L1 busy in 1 -> flip a path
    assert board.place(1)
    assert board.place(3)
    slots = board.slot.tolist()
    assert sorted(slots[:2]) == [0, 1]
    assert sorted(slots[2:]) == [0, 1]
    assert slots[0] != slots[3]
    assert slots[1] != slots[2]


def test_each_leading_firm_keeps_one_table_even_when_availability_forces_repairs() -> None:
    # 3 leading firms, 3 tables, supporting firms with windows: greedy-with-repair schedules,
    # and still no leading firm moves between tables (its own table is free whenever it meets)
    avail = [None, None, None, [0, 1], [1, 2], [0, 2], [2], [0]]
    parts, pairs = _complete(3, 5, 3, 2, available_slots=avail)
    plan = plan_event(EventSpec("H", n_slots=3, n_tables=3), parts, pairs)
    assert violations(plan) == []
    tables = plan.meetings.groupby("leading_uscc")["table"].agg(lambda t: sorted(set(t)))
    assert tables.to_dict() == {"L0": [1], "L1": [2], "L2": [3]}
    assert plan.report.leaders_one_table == (3, 3)


def test_a_replan_keeps_every_leading_firm_at_its_table() -> None:
    from recommender.planner import replan

    parts, pairs = _complete(3, 6, 4, 2)
    plan = plan_event(EventSpec("R", n_slots=4, n_tables=3), parts, pairs)
    before = plan.meetings.groupby("leading_uscc")["table"].first().to_dict()
    after = replan(plan, "S0")
    assert violations(after) == []
    tables = after.meetings.groupby("leading_uscc")["table"].agg(lambda t: sorted(set(t)))
    assert {k: v[0] for k, v in tables.to_dict().items()} == before
    assert all(len(v) == 1 for v in tables)


def test_warnings_name_firms_left_out_host_firms_unmet_minimums_and_short_tables() -> None:
    from recommender.planner.report import organiser_warnings

    # 3 leading firms but 2 tables; S3 (the host city's) can meet nobody; S2 wants 2 meetings
    parts, pairs = _complete(
        3, 4, 2, 2, city_code=["", "", "", "", "", "", "340300"], min_meetings=[0, 0, 0, 0, 0, 2, 0]
    )
    pairs = pairs[
        (pairs["supporting_uscc"] != "S3")
        & ~((pairs["supporting_uscc"] == "S2") & (pairs["leading_uscc"] != "L0"))
    ]
    plan = plan_event(EventSpec("W", n_slots=2, n_tables=2), parts, pairs)
    got = organiser_warnings(
        plan.report, n_tables=2, host_city_code="340300", host_city_name="蚌埠"
    )
    kinds = [w.kind for w in got]
    assert kinds == ["host_left_out", "unmet_minimum", "tables"]
    assert got[0].firms == ("S3",)
    assert got[0].text.startswith("蚌埠本地企业没有排到任何会谈：S3")
    assert got[1].text.startswith("1 家企业没达到各自要求的最少会谈数：S2")
    assert got[1].details[0].startswith("S2：要 2 场，排到 1 场")
    assert "建议把桌数设为 3 张" in got[2].text


def test_share_of_best_reads_right_when_penalties_make_the_bound_negative() -> None:
    from dataclasses import replace

    parts, pairs = _complete(2, 2, 2, 2)
    report = plan_event(EventSpec("B", n_slots=2, n_tables=2), parts, pairs).report
    assert report.share_of_best == 1.0
    worse = replace(report, objective=-800.0, lp_bound=-747.0, gap=(-747.0 + 800.0) / 747.0)
    assert round(worse.share_of_best, 4) == round(1 - 53 / 747, 4)  # 92.9 %, not 107 %


def test_the_organisers_start_time_moves_every_slot_and_is_checked() -> None:
    import pytest

    from recommender.errors import ValidationError

    parts, pairs = _complete(2, 2, 2, 2)
    plan = plan_event(
        EventSpec("S", n_slots=2, n_tables=2, slot_minutes=25),
        parts,
        pairs,
        PlanSettings(start_time="13:30"),
    )
    assert sorted(set(plan.meetings["time"])) == ["13:30-13:55", "13:55-14:20"]
    assert plan.spec.start.strftime("%H:%M") == "13:30"
    with pytest.raises(ValidationError, match="开始时间"):
        PlanSettings(start_time="25:00")
