"""Re-planning after a cancellation: keep every other meeting where it is, fill the gaps."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from recommender.errors import NotFoundError
from recommender.planner.matching import solve_matching
from recommender.planner.model import build_instance
from recommender.planner.plan import Plan, board_from, edge_slots, finish
from recommender.planner.scheduling import fill
from recommender.planner.tables import assign_tables

__all__ = ["CHANGE_COLUMNS", "replan"]

CHANGE_COLUMNS = [
    "change",
    "leading_uscc",
    "supporting_uscc",
    "old_slot",
    "old_table",
    "new_slot",
    "new_table",
]


def replan(plan: Plan, cancelled_uscc: str, *, allow_moves: bool = False) -> Plan:
    """Remove a cancelled firm and fill the freed capacity with the next best pairs.

    Every other meeting keeps its slot and table. Freed capacity is offered first to pairs
    that lift a firm towards its minimum, then to must pairs, then by value; a new pair
    goes only where both firms and a table are free. With ``allow_moves`` a new pair may
    also move other meetings to another slot (reported as ``moved``).

    Parameters
    ----------
    plan : the current plan.
    cancelled_uscc : the firm that cancelled.
    allow_moves : let new meetings displace others to different slots.

    Returns
    -------
    Plan
        The new plan; ``report.changes`` lists each removed, moved and added meeting
        (columns ``CHANGE_COLUMNS``; slots 0-based, tables 1-based, -1/0 = none).

    Raises
    ------
    NotFoundError
        The firm is not a (remaining) participant of the event.
    """
    t0 = time.perf_counter()
    known = set(plan.participants["uscc"].astype(str)) - set(plan.cancelled)
    if cancelled_uscc not in known:
        raise NotFoundError(
            f"firm {cancelled_uscc} is not a remaining participant of event "
            f"{plan.spec.event_id}; expected one of its {len(known)} registered firms"
        )
    gone = {*plan.cancelled, cancelled_uscc}
    participants = plan.participants[~plan.participants["uscc"].astype(str).isin(gone)]
    pairs = plan.pairs[
        ~plan.pairs["leading_uscc"].astype(str).isin(gone)
        & ~plan.pairs["supporting_uscc"].astype(str).isin(gone)
    ]
    inst = build_instance(plan.spec, participants, pairs, plan.settings)
    old_slot, old_table = edge_slots(inst, plan.meetings)
    t1 = time.perf_counter()
    match = solve_matching(inst)  # for the new LP bound
    t2 = time.perf_counter()
    board = board_from(inst, old_slot)
    added = fill(inst, board, skip=np.zeros(inst.n_edges, dtype=bool), repair=allow_moves)
    keep_table = np.where(board.slot == old_slot, old_table, 0)
    table = assign_tables(inst, board.slot, fixed=keep_table)
    t3 = time.perf_counter()

    m = plan.meetings
    hit = m["leading_uscc"].isin([cancelled_uscc]) | m["supporting_uscc"].isin([cancelled_uscc])
    removed = pd.DataFrame(
        {
            "change": "removed",
            "leading_uscc": m.loc[hit, "leading_uscc"],
            "supporting_uscc": m.loc[hit, "supporting_uscc"],
            "old_slot": m.loc[hit, "slot"],
            "old_table": m.loc[hit, "table"],
            "new_slot": -1,
            "new_table": 0,
        }
    )
    was = old_slot >= 0
    moved_e = np.flatnonzero(was & ((board.slot != old_slot) | (table != old_table)))
    rows = [removed]
    for kind, e in (("moved", moved_e), ("added", added)):
        rows.append(
            pd.DataFrame(
                {
                    "change": kind,
                    "leading_uscc": inst.uscc[inst.lead[e]],
                    "supporting_uscc": inst.uscc[inst.supp[e]],
                    "old_slot": old_slot[e],
                    "old_table": old_table[e],
                    "new_slot": board.slot[e],
                    "new_table": table[e],
                }
            )
        )
    changes = pd.concat(rows, ignore_index=True)[CHANGE_COLUMNS]
    timings = {"matching_bound": t2 - t1, "fill": t3 - t2, "total": time.perf_counter() - t0}
    notes = [
        f"企业 {cancelled_uscc} 取消参会：取消 {len(removed)} 场，补入 {len(added)} 场，"
        f"调整 {len(moved_e)} 场"
    ]
    meetings, report = finish(
        inst,
        slot=board.slot,
        table=table,
        dropped=np.zeros(inst.n_edges, dtype=bool),
        match=match,
        schedule_method="re-plan: kept in place, freed capacity filled"
        + (" (moves allowed)" if allow_moves else ""),
        timings=timings,
        notes=notes,
    )
    report.changes = changes
    return Plan(
        plan.spec,
        plan.settings,
        plan.participants,
        plan.pairs,
        meetings,
        report,
        cancelled=tuple(sorted(gone)),
    )
