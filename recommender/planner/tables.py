"""Where: a table for every scheduled meeting, each leading firm at one table all session.

At a 龙头+配套 event each leading firm keeps its table and the supporting firms come to it.
When there are no more leading firms than tables, every leading firm gets a table of its
own (the table a re-plan's kept meetings already use, else the next free one, in the order
of the instance): a leading firm has at most one meeting per slot, so its own table is free
whenever it meets, and nobody moves. Otherwise (more leading firms than tables, which the
report says, with how many tables would be needed), leading firms, most meetings first, are
packed best-fit onto tables whose busy
slots do not clash with theirs (a table can host several leading firms at different
times). Meetings of leading firms that do not fit anywhere whole take, slot by slot, the
table they used last if free, else the first free one. Meetings given in ``fixed`` keep
their table (used by re-planning).
"""

from __future__ import annotations

import numpy as np

from recommender.planner.model import BoolArray, Instance, IntArray

__all__ = ["assign_tables"]


def assign_tables(inst: Instance, slot: IntArray, fixed: IntArray | None = None) -> IntArray:
    """Tables (1..n_tables, 0 = not scheduled) for edges with ``slot >= 0``.

    Parameters
    ----------
    inst : the instance.
    slot : slot per edge, -1 if not scheduled; at most n_tables meetings per slot.
    fixed : table per edge to keep (0 = free to choose); kept only where the slot allows.

    Returns
    -------
    ndarray of int64, table per edge.
    """
    S, T = inst.spec.n_slots, inst.spec.n_tables
    table = np.zeros(inst.n_edges, dtype=np.int64)
    busy = np.zeros((T, S), dtype=bool)
    placed = slot >= 0
    if fixed is not None:
        _keep_fixed(slot, fixed, placed, table=table, busy=busy)
    todo = placed & (table == 0)
    if not todo.any():
        return table
    own = _own_tables(inst, placed, table)
    if own is not None:
        table[todo] = own[inst.lead[todo]] + 1
        return table
    lead = inst.lead
    # home table of a leading firm: the table most of its fixed meetings use
    home: dict[int, int] = {}
    for e in np.flatnonzero(table > 0):
        home.setdefault(int(lead[e]), int(table[e]) - 1)
    leaders = np.unique(lead[todo])
    counts = np.bincount(lead[todo], minlength=inst.n_firms)[leaders]
    loose: list[int] = []
    for i in leaders[np.argsort(-counts, kind="stable")]:
        mine = np.flatnonzero(todo & (lead == i))
        slots = slot[mine]
        if int(i) in home:
            t = home[int(i)]
            if not busy[t, slots].any():
                busy[t, slots] = True
                table[mine] = t + 1
                continue
        fits = ~busy[:, slots].any(axis=1)
        if fits.any():
            cand = np.flatnonzero(fits)
            t = int(cand[np.argmax(busy[cand].sum(axis=1))])  # best fit: fullest table
            busy[t, slots] = True
            table[mine] = t + 1
        else:
            loose.extend(int(e) for e in mine)
    _place_loose(loose, lead, slot, home, table=table, busy=busy)
    return table


def _keep_fixed(
    slot: IntArray, fixed: IntArray, placed: BoolArray, *, table: IntArray, busy: BoolArray
) -> None:
    """Give kept meetings their table where it is free in their slot (in place)."""
    for e in np.flatnonzero(placed & (fixed > 0)):
        t, s = int(fixed[e]) - 1, int(slot[e])
        if not busy[t, s]:
            busy[t, s] = True
            table[e] = t + 1


def _place_loose(
    loose: list[int],
    lead: IntArray,
    slot: IntArray,
    home: dict[int, int],
    *,
    table: IntArray,
    busy: BoolArray,
) -> None:
    """Meetings of leading firms that fit no table whole: slot by slot, the table the firm
    used last if free, else the first free one (in place)."""
    for k in sorted(loose, key=lambda x: (int(lead[x]), int(slot[x]))):
        s = int(slot[k])
        i = int(lead[k])
        t_pref: int = home.get(i, -1)
        if t_pref < 0 or busy[t_pref, s]:
            free = np.flatnonzero(~busy[:, s])
            if not len(free):  # pragma: no cover - the slot limit guarantees a table
                raise RuntimeError(f"slot {s} has more than {busy.shape[0]} meetings")
            t_pref = int(free[0])
        busy[t_pref, s] = True
        table[k] = t_pref + 1
        home[i] = t_pref


def _own_tables(inst: Instance, placed: BoolArray, table: IntArray) -> IntArray | None:
    """Table index (0-based) per firm giving each leading firm with meetings its own table.

    None when that is impossible: more such leading firms than tables, or kept meetings
    that already share a table between leading firms (an older plan).
    """
    T = inst.spec.n_tables
    leaders = np.unique(inst.lead[placed])
    if len(leaders) > T:
        return None
    own = np.full(inst.n_firms, -1, dtype=np.int64)
    taken = np.zeros(T, dtype=bool)
    kept = np.flatnonzero(table > 0)
    for e in kept:
        i, t = int(inst.lead[e]), int(table[e]) - 1
        if own[i] == -1 and not taken[t]:
            own[i], taken[t] = t, True
        elif own[i] != t:
            return None
    for i in leaders:
        if own[i] == -1:
            t = int(np.flatnonzero(~taken)[0])
            own[i], taken[t] = t, True
    return own
