"""Where: a table for every scheduled meeting, a leading firm keeping one table if it can.

Organisers prefer a leading firm to sit at one table all session while supporting firms
rotate. Leading firms, most meetings first, are packed best-fit onto tables whose busy
slots do not clash with theirs (a table can host several leading firms at different
times). Meetings of leading firms that do not fit anywhere whole take, slot by slot, the
table they used last if free, else the first free one. Meetings given in ``fixed`` keep
their table (used by re-planning).
"""

from __future__ import annotations

import numpy as np

from recommender.planner.model import Instance, IntArray

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
        for e in np.flatnonzero(placed & (fixed > 0)):
            t, s = int(fixed[e]) - 1, int(slot[e])
            if not busy[t, s]:
                busy[t, s] = True
                table[e] = t + 1
    todo = placed & (table == 0)
    if not todo.any():
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
    for k in sorted(loose, key=lambda x: (int(lead[x]), int(slot[x]))):
        s = int(slot[k])
        i = int(lead[k])
        t_pref: int = home.get(i, -1)
        if t_pref < 0 or busy[t_pref, s]:
            free = np.flatnonzero(~busy[:, s])
            if not len(free):  # pragma: no cover - the slot limit guarantees a table
                raise RuntimeError(f"slot {s} has more than {T} meetings")
            t_pref = int(free[0])
        busy[t_pref, s] = True
        table[k] = t_pref + 1
        home[i] = t_pref
    return table
