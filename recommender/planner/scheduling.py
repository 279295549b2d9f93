"""When: a time slot for every chosen meeting.

A schedule is a proper edge colouring of the bipartite meeting graph (colours = slots): no
firm in two meetings in a slot, at most ``n_tables`` meetings in a slot, and each meeting in
a slot where both firms are available.

* Unrestricted availability: König's theorem says Δ colours suffice, and Δ <= n_slots
  because caps never exceed the slots. :func:`schedule` colours with the standard
  alternating-path algorithm (for edge uv pick colour a free at u and b free at v; if a is
  busy at v, swap a/b along the a-b path from v, which cannot reach u), then balances the
  colour classes (swapping an odd a-b path moves one meeting from class a to class b) until
  no slot holds more than ``n_tables`` meetings; this always succeeds since the matching
  keeps the total within n_slots x n_tables.
* With availability windows: greedy with repair. Meetings are placed must-first, then
  fewest possible slots, then highest value, into the least loaded slot both firms can use;
  if none is free, a repair moves one blocking meeting to another slot, or swaps an a/b
  alternating path whose meetings can all use the other slot. A meeting still unplaced is
  dropped and reported.
"""

from __future__ import annotations

import numpy as np

from recommender.planner.model import BoolArray, Instance, IntArray

__all__ = ["Board", "schedule"]

_MAX_PAIRS = 64  # (a, b) colour pairs tried per repair


class Board:
    """Slots of placed meetings with O(1) look-ups (``at[firm, slot]`` = edge or -1).

    Parameters
    ----------
    inst : the instance; edges are the instance's edge ids.
    limit : most meetings per slot (None = no limit, used by the König colouring).
    """

    def __init__(self, inst: Instance, limit: int | None) -> None:
        S = inst.spec.n_slots
        self.inst = inst
        self.limit = limit if limit is not None else inst.n_edges + 1
        self.at = np.full((inst.n_firms, S), -1, dtype=np.int64)
        self.slot = np.full(inst.n_edges, -1, dtype=np.int64)
        self.load = np.zeros(S, dtype=np.int64)
        self.moved: set[int] = set()

    def ends(self, e: int) -> tuple[int, int]:
        return int(self.inst.lead[e]), int(self.inst.supp[e])

    def put(self, e: int, s: int) -> None:
        u, v = self.ends(e)
        self.at[u, s] = e
        self.at[v, s] = e
        self.slot[e] = s
        self.load[s] += 1

    def remove(self, e: int) -> None:
        s = int(self.slot[e])
        if s < 0:
            return
        u, v = self.ends(e)
        self.at[u, s] = -1
        self.at[v, s] = -1
        self.slot[e] = -1
        self.load[s] -= 1

    def move(self, e: int, s: int) -> None:
        self.remove(e)
        self.put(e, s)
        self.moved.add(e)

    def free_slots(self, e: int) -> BoolArray:
        """Slots where both firms are free, the pair is allowed and a table is left."""
        u, v = self.ends(e)
        ok: BoolArray = (
            (self.at[u] < 0) & (self.at[v] < 0) & self.inst.allowed[e] & (self.load < self.limit)
        )
        return ok

    def walk(self, start: int, a: int, b: int) -> list[int]:
        """Edges of the a/b alternating path from ``start`` (first edge coloured a)."""
        path: list[int] = []
        x, col, other = start, a, b
        while True:
            f = int(self.at[x, col])
            if f < 0:
                return path
            path.append(f)
            u, v = self.ends(f)
            x = v if x == u else u
            col, other = other, col

    def flip(self, path: list[int], a: int, b: int) -> None:
        new = [b if self.slot[f] == a else a for f in path]
        for f in path:
            self.remove(f)
        for f, s in zip(path, new, strict=True):
            self.put(f, s)
            self.moved.add(f)

    def _flip_ok(self, path: list[int], a: int, b: int, add: int) -> bool:
        """Can the path swap a<->b (allowed slots, loads) and then one meeting join ``add``?"""
        allowed = self.inst.allowed
        na = sum(1 for f in path if self.slot[f] == a)
        nb = len(path) - na
        for f in path:
            if not allowed[f, b if self.slot[f] == a else a]:
                return False
        la = self.load[a] - na + nb + (add == a)
        lb = self.load[b] - nb + na + (add == b)
        return bool(la <= self.limit and lb <= self.limit)

    def place(self, e: int, *, repair: bool = True) -> bool:
        """Place meeting ``e``; with ``repair``, other meetings may move. True if placed."""
        ok = self.free_slots(e)
        if ok.any():
            cand = np.flatnonzero(ok)
            self.put(e, int(cand[np.argmin(self.load[cand])]))
            return True
        if not repair:
            return False
        return self._move_blocker(e) or self._kempe(e)

    def _move_blocker(self, e: int) -> bool:
        """Free a slot for ``e`` by moving one meeting that blocks it to another slot."""
        u, v = self.ends(e)
        allowed = self.inst.allowed
        for s in np.flatnonzero(allowed[e]):
            bu, bv = int(self.at[u, s]), int(self.at[v, s])
            if bu >= 0 and bv >= 0:
                continue
            blockers = [b for b in (bu, bv) if b >= 0]
            if not blockers and self.load[s] >= self.limit:
                blockers = [int(f) for f in np.flatnonzero(self.slot == s)[:_MAX_PAIRS]]
            for f in blockers:
                alt = self.free_slots(f)
                alt[s] = False
                if alt.any():
                    self.move(f, int(np.flatnonzero(alt)[0]))
                    if self.free_slots(e)[s]:
                        self.put(e, int(s))
                        return True
                    self.move(f, int(s))  # undo: did not help
                    self.moved.discard(f)
        return False

    def _kempe(self, e: int) -> bool:
        u, v = self.ends(e)
        allowed = self.inst.allowed[e]
        free_u = np.flatnonzero((self.at[u] < 0) & allowed)
        free_v = np.flatnonzero((self.at[v] < 0) & allowed)
        tried = 0
        for a in free_u:
            for b in free_v:
                if a == b or tried >= _MAX_PAIRS:
                    continue
                tried += 1
                # a is free at u and b at v: swap the a/b path from v, then uv takes a
                path = self.walk(v, int(a), int(b))
                if self._flip_ok(path, int(a), int(b), int(a)):
                    self.flip(path, int(a), int(b))
                    self.put(e, int(a))
                    return True
                path = self.walk(u, int(b), int(a))
                if self._flip_ok(path, int(b), int(a), int(b)):
                    self.flip(path, int(b), int(a))
                    self.put(e, int(b))
                    return True
        return False

    def balance(self, limit: int) -> None:
        """Swap odd alternating paths from the fullest to the emptiest slot until <= limit."""
        while True:
            a, b = int(np.argmax(self.load)), int(np.argmin(self.load))
            if self.load[a] <= limit:
                return
            starts = np.flatnonzero((self.at[:, a] >= 0) & (self.at[:, b] < 0))
            for x in starts:
                path = self.walk(int(x), a, b)
                if len(path) % 2 == 1:
                    self.flip(path, a, b)
                    break
            else:  # pragma: no cover - impossible when load[a] > load[b]
                raise RuntimeError(f"no odd path between slots {a} and {b}")


def schedule_order(inst: Instance, edges: IntArray) -> IntArray:
    """Must first, then fewest usable slots, then highest value."""
    n_allowed = inst.allowed[edges].sum(axis=1)
    return edges[np.lexsort((-inst.value[edges], n_allowed, ~inst.must[edges]))]


def schedule(inst: Instance, chosen: BoolArray) -> tuple[Board, BoolArray, str]:
    """Give every chosen meeting a slot.

    Returns
    -------
    board : slots per edge (``board.slot``, -1 = not scheduled).
    dropped : chosen meetings that could not be placed.
    method : which algorithm ran.
    """
    edges = np.flatnonzero(chosen).astype(np.int64)
    T = inst.spec.n_tables
    dropped = np.zeros(inst.n_edges, dtype=bool)
    deg_ok = (
        np.bincount(inst.lead[edges], minlength=inst.n_firms)
        + np.bincount(inst.supp[edges], minlength=inst.n_firms)
    ).max(initial=0) <= inst.spec.n_slots
    if inst.unrestricted and deg_ok and len(edges) <= inst.spec.capacity:
        board = Board(inst, None)
        for e in schedule_order(inst, edges):
            if not board.place(int(e)):  # pragma: no cover - König guarantees success
                raise RuntimeError(f"König colouring failed at meeting {e}")
        board.balance(T)
        board.limit = T
        board.moved.clear()
        return board, dropped, "König bipartite edge colouring (alternating paths) + balancing"
    board = Board(inst, T)
    for e in schedule_order(inst, edges):
        if not board.place(int(e)):
            dropped[e] = True
    board.moved.clear()
    return board, dropped, "greedy with repair (blocker moves, alternating-path swaps)"


def fill(inst: Instance, board: Board, *, skip: BoolArray, repair: bool) -> IntArray:
    """Add unscheduled pairs into free capacity, best first; returns the edges added.

    Pairs that lift a firm towards its minimum go first, then must pairs, then by value.
    A pair is added only if both firms are under their cap and a slot can take it; with
    ``repair`` other meetings may move (``board.moved`` records them).
    """
    on = board.slot >= 0
    deg = (
        np.bincount(inst.lead[on], minlength=inst.n_firms)
        + np.bincount(inst.supp[on], minlength=inst.n_firms)
    ).astype(np.int64)
    room = inst.spec.capacity - int(on.sum())
    cand = np.flatnonzero(~on & ~skip)
    helps = (deg[inst.lead[cand]] < inst.min_m[inst.lead[cand]]) | (
        deg[inst.supp[cand]] < inst.min_m[inst.supp[cand]]
    )
    added: list[int] = []
    for e in cand[np.lexsort((-inst.value[cand], ~inst.must[cand], ~helps))]:
        if room <= 0:
            break
        u, v = int(inst.lead[e]), int(inst.supp[e])
        if deg[u] >= inst.cap[u] or deg[v] >= inst.cap[v]:
            continue
        if board.place(int(e), repair=repair):
            deg[u] += 1
            deg[v] += 1
            room -= 1
            added.append(int(e))
    return np.asarray(added, dtype=np.int64)
