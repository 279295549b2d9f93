"""``plan_event``: choose the pairs, schedule them, report; and the greedy baseline."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.planner import report as rep
from recommender.planner.matching import (
    MatchResult,
    evaluate,
    forced_must,
    greedy_matching,
    plan_bound,
    solve_matching,
)
from recommender.planner.model import (
    BoolArray,
    EventSpec,
    Instance,
    IntArray,
    PlanSettings,
    build_instance,
)
from recommender.planner.scheduling import Board, fill, schedule
from recommender.planner.tables import assign_tables

__all__ = ["MEETING_COLUMNS", "Plan", "greedy_plan", "plan_event"]

MEETING_COLUMNS = [
    "slot",
    "time",
    "table",
    "leading_uscc",
    "leading_name",
    "supporting_uscc",
    "supporting_name",
    "value",
    "must",
]


@dataclass
class Plan:
    """A planned session.

    Attributes
    ----------
    spec, settings : as given.
    participants, pairs : the inputs (copies; a re-plan starts from them).
    meetings : one row per meeting, columns ``MEETING_COLUMNS``, sorted by slot and table;
        ``slot`` is 0-based, ``table`` 1-based, ``time`` like '09:00-09:20'.
    report : the :class:`~recommender.planner.report.PlanReport`.
    cancelled : firms cancelled so far (their meetings are gone).
    """

    spec: EventSpec
    settings: PlanSettings
    participants: pd.DataFrame
    pairs: pd.DataFrame
    meetings: pd.DataFrame
    report: rep.PlanReport
    cancelled: tuple[str, ...] = ()


def meetings_frame(inst: Instance, slot: IntArray, table: IntArray) -> pd.DataFrame:
    """The meetings table for edges with a slot."""
    e = np.flatnonzero(slot >= 0)
    out = pd.DataFrame(
        {
            "slot": slot[e],
            "time": [inst.spec.slot_label(int(s)) for s in slot[e]],
            "table": table[e],
            "leading_uscc": inst.uscc[inst.lead[e]],
            "leading_name": inst.name[inst.lead[e]],
            "supporting_uscc": inst.uscc[inst.supp[e]],
            "supporting_name": inst.name[inst.supp[e]],
            "value": inst.value[e],
            "must": inst.must[e],
        },
        columns=MEETING_COLUMNS,
    )
    return out.sort_values(["slot", "table"], kind="stable").reset_index(drop=True)


def finish(
    inst: Instance,
    *,
    slot: IntArray,
    table: IntArray,
    dropped: BoolArray,
    match: MatchResult,
    schedule_method: str,
    timings: dict[str, float],
    notes: list[str],
) -> tuple[pd.DataFrame, rep.PlanReport]:
    """Build the meetings frame and the report from a finished board."""
    scheduled = slot >= 0
    value, _, _, objective = evaluate(inst, scheduled)
    # the matching's bound holds only inside its region (forced pairs in, hard quotas met)
    lp_bound = plan_bound(inst, scheduled, match)
    lead_tables = pd.DataFrame({"lead": inst.lead[scheduled], "table": table[scheduled]})
    n_tables = lead_tables.groupby("lead")["table"].nunique()
    drop_rows = pd.DataFrame(
        {
            "leading_uscc": inst.uscc[inst.lead[dropped]],
            "supporting_uscc": inst.uscc[inst.supp[dropped]],
            "reason": "没有双方都有空且有空桌的时段",
        }
    )
    report = rep.PlanReport(
        event_id=inst.spec.event_id,
        objective=objective,
        value=value,
        matching_objective=match.objective,
        lp_bound=lp_bound,
        gap=max(lp_bound - objective, 0.0) / max(abs(lp_bound), 1e-9),
        n_meetings=int(scheduled.sum()),
        n_dropped=int(dropped.sum()),
        per_firm=rep.per_firm(inst, scheduled),
        unmet_minimums=rep.unmet(inst, scheduled, dropped),
        quotas=rep.quota_status(inst, scheduled, match.quotas_hard),
        must_unscheduled=rep.must_status(inst, scheduled, dropped),
        dropped=drop_rows,
        solver=match.solver,
        schedule_method=schedule_method,
        timings=timings,
        leaders_one_table=(int((n_tables == 1).sum()), len(n_tables)),
        notes=[*match.notes, *notes],
    )
    return meetings_frame(inst, slot, table), report


def _plan(
    spec: EventSpec,
    participants: pd.DataFrame,
    pairs: pd.DataFrame,
    settings: PlanSettings,
    *,
    greedy: bool,
) -> Plan:
    t0 = time.perf_counter()
    spec = spec.starting_at(settings.start_time)
    inst = build_instance(spec, participants, pairs, settings)
    t1 = time.perf_counter()
    if greedy:
        chosen = greedy_matching(inst)
        obj = evaluate(inst, chosen)[3]
        match = MatchResult(
            chosen,
            obj,
            float("nan"),
            float("nan"),
            "greedy (highest value first)",
            True,
            forced_must(inst) & chosen,
            time.perf_counter() - t1,
        )
    else:
        match = solve_matching(inst)
    t2 = time.perf_counter()
    board, dropped, method = schedule(inst, match.chosen)
    notes: list[str] = []
    if dropped.any():
        added = fill(inst, board, skip=dropped | match.chosen, repair=False)
        if len(added):
            notes.append(f"{dropped.sum()} 场会谈无法排入时段，已用 {len(added)} 个次优配对补位")
    t3 = time.perf_counter()
    table = assign_tables(inst, board.slot)
    t4 = time.perf_counter()
    timings = {
        "validate": t1 - t0,
        "matching": t2 - t1,
        "scheduling": t3 - t2,
        "tables": t4 - t3,
        "total": t4 - t0,
    }
    meetings, report = finish(
        inst,
        slot=board.slot,
        table=table,
        dropped=dropped,
        match=match,
        schedule_method=method,
        timings=timings,
        notes=notes,
    )
    return Plan(spec, settings, participants.copy(), pairs.copy(), meetings, report)


def plan_event(
    spec: EventSpec,
    participants: pd.DataFrame,
    pairs: pd.DataFrame,
    settings: PlanSettings | None = None,
) -> Plan:
    """Plan a matchmaking session: which pairs meet, in which slot, at which table.

    Parameters
    ----------
    spec : slots, tables and times of the session.
    participants : one row per firm (columns in :mod:`recommender.planner.model`).
    pairs : candidate pairs with their value and both sides' preferences.
    settings : value adjustments and city quotas (defaults: :class:`PlanSettings`).

    Returns
    -------
    Plan
        Meetings and a report with the LP bound, the gap and everything left undone.

    Raises
    ------
    ValidationError
        The inputs are inconsistent (the message says what was expected and what came).
    """
    return _plan(spec, participants, pairs, settings or PlanSettings(), greedy=False)


def greedy_plan(
    spec: EventSpec,
    participants: pd.DataFrame,
    pairs: pd.DataFrame,
    settings: PlanSettings | None = None,
) -> Plan:
    """The baseline: highest value first within the caps, then the same scheduler.

    Its report has no LP bound of its own (``lp_bound`` is NaN); compare its ``objective``
    with the optimised plan's ``lp_bound``.
    """
    return _plan(spec, participants, pairs, settings or PlanSettings(), greedy=True)


def edge_slots(inst: Instance, meetings: pd.DataFrame) -> tuple[IntArray, IntArray]:
    """Slot and table per instance edge for a meetings frame (-1/0 where absent)."""
    key = pd.Series(
        np.arange(inst.n_edges),
        index=pd.MultiIndex.from_arrays([inst.uscc[inst.lead], inst.uscc[inst.supp]]),
    )
    idx = key.reindex(
        pd.MultiIndex.from_arrays(
            [meetings["leading_uscc"].to_numpy(), meetings["supporting_uscc"].to_numpy()]
        )
    )
    ok = idx.notna().to_numpy()
    e = idx.to_numpy()[ok].astype(np.int64)
    slot = np.full(inst.n_edges, -1, dtype=np.int64)
    table = np.zeros(inst.n_edges, dtype=np.int64)
    slot[e] = meetings["slot"].to_numpy(dtype=np.int64)[ok]
    table[e] = meetings["table"].to_numpy(dtype=np.int64)[ok]
    return slot, table


def board_from(inst: Instance, slot: IntArray) -> Board:
    """A board holding the given slots (limit = tables)."""
    board = Board(inst, inst.spec.n_tables)
    for e in np.flatnonzero(slot >= 0):
        board.put(int(e), int(slot[e]))
    return board
