"""Candidate generation: a few thousand promising firms per query, out of a million.

Sources, each a ranked list (static prior: size and quality flags):

- ``history``: past partners of the query (records before the as-of date);
- ``node``: firms that make a chain node the query needs, then nodes one step upstream
  (customer queries: leading firms that need a node the query makes);
- ``text``: firms whose products (customer: whose needs) are TF-IDF neighbours of the
  query's need text (customer: of its products);
- ``sector``: firms in the IO sectors that supply most to the query's sector (customer: that
  buy most from it);
- ``event``: firms registered at the same matchmaking events as the query;
- ``place``: firms of the query city's official partner, then of co-built-park partners, then
  of the other cities by distance;
- ``division``: investor queries: firms in the park's GB/T divisions;
- ``prior``: the pool's best firms by the static prior (a fallback that fills short lists).

Each source fills its quota of the cap first; unused quota goes to the others in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from features import nodes
from features.context import FeatureContext
from features.entities import N_DIVISIONS
from features.history import to_days
from features.schema import QUERY_KINDS

IntArray = npt.NDArray[np.int64]
HELPING_PROVINCES = ("上海市", "江苏省", "浙江省")
DEFAULT_QUOTAS = {
    "history": 0.05,
    "event": 0.15,
    "node": 0.3,
    "text": 0.15,
    "place": 0.15,
    "division": 0.05,
    "sector": 0.1,
    "prior": 0.05,
}


@dataclass(frozen=True)
class _Inverted:
    """Lists of entity rows per key, each sorted by descending prior (CSR layout)."""

    ptr: IntArray
    rows: IntArray

    @classmethod
    def build(
        cls, keys: IntArray, rows: IntArray, prior: npt.NDArray[np.float64], n_keys: int
    ) -> _Inverted:
        order = np.lexsort((-prior[rows], keys))
        ptr = np.zeros(n_keys + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys, minlength=n_keys), out=ptr[1:])
        return cls(ptr, rows[order].astype(np.int64))

    def top(self, keys: IntArray, k: int, prior: npt.NDArray[np.float64]) -> IntArray:
        """Best ``k`` rows (by prior) over the lists of ``keys``, deduplicated."""
        parts = [
            self.rows[self.ptr[key] : min(self.ptr[key] + k, self.ptr[key + 1])] for key in keys
        ]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        cand = pd.unique(np.concatenate(parts))
        return np.asarray(cand[np.argsort(-prior[cand], kind="stable")][:k], dtype=np.int64)


def _set_bits(row: nodes.Bits) -> IntArray:
    return np.flatnonzero(np.unpackbits(row.view(np.uint8), bitorder="little")).astype(np.int64)


class CandidateGenerator:
    """Candidates for a query from inverted indices, text neighbours and past partners.

    Parameters
    ----------
    ctx : FeatureContext
    cap : int
        Most candidates returned per query.
    quotas : mapping, optional
        Share of the cap each source fills first (history, node, text, sector).
    text_neighbours : int
        Distinct texts taken from the text search.
    """

    def __init__(
        self,
        ctx: FeatureContext,
        *,
        cap: int = 2000,
        quotas: dict[str, float] | None = None,
        text_neighbours: int = 200,
    ) -> None:
        if cap < 1:
            raise ValueError(f"cap must be an integer >= 1, got {cap}")
        self.ctx = ctx
        self.cap = cap
        self.quotas = dict(DEFAULT_QUOTAS if quotas is None else quotas)
        self.text_neighbours = text_neighbours
        F = ctx.n_firms
        firm = np.arange(ctx.n_entities) < F
        prov = ctx.reference.cities["province"].astype(str).to_numpy(dtype=object)
        helping = np.zeros(ctx.n_entities, dtype=bool)
        ok = ctx.city >= 0
        helping[ok] = np.isin(prov[ctx.city[ok]], HELPING_PROVINCES)
        self._pool = {
            "supplier": firm & ~ctx.leading,
            "investor": firm & helping,
            "customer": firm & ctx.leading,
        }
        n_nodes = len(ctx.node_index)
        n_sec = int(np.asarray(ctx.reference.io_A).shape[0])
        self._node: dict[str, _Inverted] = {}
        self._sector: dict[str, _Inverted] = {}
        self._text: dict[str, tuple[sp.csr_matrix, IntArray, _Inverted]] = {}
        for kind, pool in self._pool.items():
            sets = ctx.needs if kind == "customer" else ctx.makes
            M = nodes.from_bits(sets, n_nodes).tocoo()
            keep = pool[M.row]
            self._node[kind] = _Inverted.build(
                M.col[keep].astype(np.int64), M.row[keep].astype(np.int64), ctx.prior, n_nodes
            )
            rows = np.flatnonzero(pool & (ctx.sector >= 0))
            self._sector[kind] = _Inverted.build(ctx.sector[rows], rows, ctx.prior, n_sec)
            text_row = ctx.need_row if kind == "customer" else ctx.product_row
            matrix = ctx.need_matrix if kind == "customer" else ctx.product_matrix
            prow = np.flatnonzero(pool)
            used, local = np.unique(text_row[prow], return_inverse=True)
            self._text[kind] = (
                sp.csr_matrix(matrix[used]),
                used,
                _Inverted.build(local.astype(np.int64), prow, ctx.prior, len(used)),
            )
        n_cities = len(ctx.city_partner)
        self._city: dict[str, _Inverted] = {}
        self._best: dict[str, IntArray] = {}
        for kind, pool in self._pool.items():
            rows = np.flatnonzero(pool & (ctx.city >= 0))
            self._city[kind] = _Inverted.build(ctx.city[rows], rows, ctx.prior, n_cities)
            prow = np.flatnonzero(pool)
            self._best[kind] = prow[np.argsort(-ctx.prior[prow], kind="stable")][: self.cap]
        self._city_order = _city_order(ctx)
        rows = np.flatnonzero(self._pool["investor"] & (ctx.division >= 0))
        self._division = _Inverted.build(ctx.division[rows], rows, ctx.prior, N_DIVISIONS)
        ev, er = ctx.registrations
        self._reg_event, self._reg_row = ev, er
        by_event = np.argsort(ev, kind="stable")
        self._ev_rows = er[by_event]
        self._ev_ptr = np.zeros(int(ev.max()) + 2 if len(ev) else 1, dtype=np.int64)
        np.cumsum(np.bincount(ev, minlength=len(self._ev_ptr) - 1), out=self._ev_ptr[1:])
        h = ctx.history
        a = np.concatenate([h.query, h.cand])
        b = np.concatenate([h.cand, h.query])
        d = np.concatenate([h.day, h.day])
        order = np.lexsort((d, a))
        self._h_a, self._h_b, self._h_d = a[order], b[order], d[order]

    def generate(
        self,
        kind: str,
        query_id: str,
        *,
        n: int | None = None,
        as_of: pd.Timestamp | None = None,
    ) -> npt.NDArray[np.object_]:
        """Candidate uscc for one query, most promising first, at most ``n`` (default: cap).

        Parameters
        ----------
        kind : {"supplier", "investor", "customer"}
        query_id : str
            Firm uscc, or park_id for investor queries.
        n : int, optional
            Most candidates wanted (capped at ``cap``).
        as_of : Timestamp, optional
            Past partners count only from records before this date (default: all).
        """
        rows = self.generate_rows(kind, query_id, n=n, as_of=as_of)
        return np.asarray(self.ctx.ids[rows].to_numpy(dtype=object))

    def generate_rows(
        self,
        kind: str,
        query_id: str,
        *,
        n: int | None = None,
        as_of: pd.Timestamp | None = None,
    ) -> IntArray:
        """As :meth:`generate`, returning entity rows."""
        if kind not in QUERY_KINDS:
            raise ValueError(f"kind must be one of {list(QUERY_KINDS)}, got {kind!r}")
        ctx = self.ctx
        q = int(ctx.rows([query_id], what="query_id")[0])
        if (q >= ctx.n_firms) != (kind == "investor"):
            raise ValueError(
                f"{kind} query {query_id!r} must be a {'park' if kind == 'investor' else 'firm'}"
            )
        limit = self.cap if n is None else min(int(n), self.cap)
        if limit < 1:
            raise ValueError(f"n must be an integer >= 1, got {n}")
        pool = self._pool[kind]
        sources = {
            "history": self._history(q, pool, as_of),
            "event": self._events(q, pool, limit),
            "node": self._nodes(kind, q, limit),
            "text": self._text_neighbours(kind, q, limit),
            "place": self._places(kind, q, limit),
            "division": self._divisions(kind, q, limit),
            "sector": self._sectors(kind, q, limit),
            "prior": self._best[kind][:limit],
        }
        return _merge(sources, self.quotas, limit, exclude=q)

    def _history(self, q: int, pool: npt.NDArray[np.bool_], as_of: pd.Timestamp | None) -> IntArray:
        lo, hi = np.searchsorted(self._h_a, [q, q + 1])
        if as_of is not None:
            hi = lo + int(np.searchsorted(self._h_d[lo:hi], to_days(as_of, 1)[0], side="left"))
        partners = self._h_b[lo:hi][::-1]  # latest first
        return np.asarray(pd.unique(partners[pool[partners]]), dtype=np.int64)

    def _events(self, q: int, pool: npt.NDArray[np.bool_], k: int) -> IntArray:
        lo, hi = np.searchsorted(self._reg_row, [q, q + 1])
        parts = [
            self._ev_rows[self._ev_ptr[e] : self._ev_ptr[e + 1]] for e in self._reg_event[lo:hi]
        ]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        rows = pd.unique(np.concatenate(parts))
        rows = rows[pool[rows]]
        return np.asarray(
            rows[np.argsort(-self.ctx.prior[rows], kind="stable")][:k], dtype=np.int64
        )

    def _divisions(self, kind: str, q: int, k: int) -> IntArray:
        if kind != "investor":
            return np.zeros(0, dtype=np.int64)
        return self._division.top(_set_bits(self.ctx.park_divisions[q]), k, self.ctx.prior)

    def _places(self, kind: str, q: int, k: int) -> IntArray:
        c = int(self.ctx.city[q])
        if c < 0:
            return np.zeros(0, dtype=np.int64)
        idx = self._city[kind]
        parts: list[IntArray] = []
        got = 0
        for city in self._city_order[c]:  # at most the number of cities
            part = idx.rows[idx.ptr[city] : min(idx.ptr[city] + k - got, idx.ptr[city + 1])]
            parts.append(part)
            got += len(part)
            if got >= k:
                break
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _nodes(self, kind: str, q: int, k: int) -> IntArray:
        ctx = self.ctx
        idx = self._node[kind]
        if kind == "customer":
            made = _set_bits(ctx.makes[q])
            chain = np.flatnonzero(np.isin(ctx.node_chain, ctx.node_chain[made]))
            both = [idx.top(made, k, ctx.prior), idx.top(chain.astype(np.int64), k, ctx.prior)]
            return np.asarray(pd.unique(np.concatenate(both)), dtype=np.int64)
        wanted = _set_bits(ctx.needs[q] | ctx.park_gap[q])
        exact = idx.top(wanted, k, ctx.prior)
        near = idx.top(_set_bits(ctx.reach[1][q] & ~ctx.needs[q]), k, ctx.prior)
        chain = np.flatnonzero(np.isin(ctx.node_chain, ctx.node_chain[wanted]))
        same_chain = idx.top(chain.astype(np.int64), k, ctx.prior)
        return np.asarray(pd.unique(np.concatenate([exact, near, same_chain])), dtype=np.int64)

    def _text_neighbours(self, kind: str, q: int, k: int) -> IntArray:
        ctx = self.ctx
        matrix, _, inv = self._text[kind]
        vec = (
            ctx.product_matrix[ctx.product_row[q]]
            if kind == "customer"
            else ctx.need_matrix[ctx.need_row[q]]
        )
        if vec.nnz == 0 or matrix.shape[0] == 0:
            return np.zeros(0, dtype=np.int64)
        scores = np.asarray((matrix @ vec.T).todense()).ravel()
        t = min(self.text_neighbours, len(scores))
        best = np.argpartition(-scores, t - 1)[:t]
        best = best[scores[best] > 0]
        best = best[np.argsort(-scores[best], kind="stable")]
        per_text = max(1, k // max(len(best), 1))
        parts = [inv.rows[inv.ptr[b] : min(inv.ptr[b] + per_text, inv.ptr[b + 1])] for b in best]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _sectors(self, kind: str, q: int, k: int, n_sectors: int = 3) -> IntArray:
        ctx = self.ctx
        s = int(ctx.sector[q])
        if s < 0:
            return np.zeros(0, dtype=np.int64)
        A = np.asarray(ctx.reference.io_A, dtype=np.float64)
        weight = A[s, :] if kind == "customer" else A[:, s]
        top = np.argsort(-weight, kind="stable")[:n_sectors].astype(np.int64)
        return self._sector[kind].top(top, k, ctx.prior)


def _city_order(ctx: FeatureContext) -> IntArray:
    """Per city: its official partner, then co-built-park partners, then the rest by distance."""
    n = len(ctx.city_partner)
    score = ctx.city_dist.copy()
    score[np.isnan(score)] = np.inf
    a, b = np.divmod(ctx.cobuilt_pairs, max(n, 1))
    score[a, b] = -1.0
    score[b, a] = -1.0
    has = ctx.city_partner >= 0
    score[np.flatnonzero(has), ctx.city_partner[has]] = -2.0
    return np.asarray(np.argsort(score, axis=1, kind="stable"), dtype=np.int64)


def _merge(
    sources: dict[str, IntArray], quotas: dict[str, float], limit: int, *, exclude: int
) -> IntArray:
    """Each source's top share (its quota of ``limit``) first, in source order; then the rest
    of every source in the same order; duplicates and the query itself dropped."""
    firsts = [a[: int(np.ceil(quotas.get(name, 0.0) * limit))] for name, a in sources.items()]
    merged = pd.unique(np.concatenate([*firsts, *sources.values()]))
    merged = merged[merged != exclude]
    return np.asarray(merged[:limit], dtype=np.int64)
