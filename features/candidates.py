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
- ``place``: the pool's firms by place score + prior: per city, firms sorted by their prior
  percentile; per query a city score (official or co-built-park pairing with the query city,
  plus distance decay ``exp(-d / 250 km)``); the top firms across cities by city score +
  prior percentile, taken by a threshold merge of the pre-sorted per-city lists
  (:mod:`features.topk`);
- ``division``: investor queries: firms in the park's GB/T divisions;
- ``proven``: the pool's firms with the best record so far — smoothed conversion of their
  earlier recommendations (features.history.smoothed_rate), a first-stage score learned from
  outcomes over the whole pool; kept as monthly snapshots, and a query as of a date reads the
  latest snapshot taken on or before it, so no later outcome leaks in;
- ``prior``: the pool's best firms by the static prior (a fallback that fills short lists).

Investor queries rank their ``node`` source place-aware: makers of the park's needed or gap
nodes, then of nodes one step upstream, then of the rest of those chains, each level ordered
by place score + prior over per-(node, city) lists.

Each source fills its quota of the cap first; unused quota goes to the others in order.
Quotas are per kind (``KIND_QUOTAS``): an investor pool is the whole 沪苏浙 economy, where the
park's chains and the place are what a content-free generator can see, so those two sources
get most of the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from features import nodes
from features.arrays import spans
from features.context import FeatureContext
from features.entities import N_DIVISIONS
from features.history import smoothed_rate, to_days
from features.schema import HELPING_PROVINCES, QUERY_KINDS
from features.text import dense_row
from features.topk import SortedLists, top_across

IntArray = npt.NDArray[np.int64]
DEFAULT_QUOTAS = {
    "history": 0.05,
    "event": 0.15,
    "node": 0.3,
    "text": 0.15,
    "place": 0.1,
    "proven": 0.1,
    "division": 0.05,
    "sector": 0.1,
    "prior": 0.05,
}
KIND_QUOTAS = {
    "supplier": DEFAULT_QUOTAS,
    "customer": DEFAULT_QUOTAS,
    # measured on the standard world (recall@2000 of investor positives): node 0.85 + place
    # 0.1 + history 0.05 -> 0.60; node alone 0.64; every slot given to another source costs
    # recall there, but a list made of the park's chains only would show no other place or past
    # partner
    "investor": {"history": 0.05, "node": 0.75, "place": 0.1, "proven": 0.1},
}
# Place score of a candidate city for a query city: each term in [0, 1], like the prior
# percentile it is added to, and weighted equally (nothing is fitted to outcomes).
PAIRED_BONUS = 1.0
DISTANCE_SCALE_KM = 250.0  # decay length of exp(-d / scale): about a 3-hour drive


# (source, kind, the query's city, sector or node profile, list length)
_MemoKey = tuple[str, str, int | bytes, int]


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
        keys = np.asarray(keys, dtype=np.int64)
        lo = self.ptr[keys]
        pos = spans(lo, np.minimum(self.ptr[keys + 1] - lo, k))
        if not len(pos):
            return np.zeros(0, dtype=np.int64)
        cand = np.asarray(pd.unique(self.rows[pos]), dtype=np.int64)
        return cand[best_first(-prior[cand], k)]


def best_first(keys: npt.NDArray[np.float64], k: int) -> IntArray:
    """Positions of the ``k`` smallest ``keys`` in ascending order, ties by position: the
    first ``k`` of a stable argsort, without sorting all of them."""
    if len(keys) <= k:
        return np.argsort(keys, kind="stable")
    kth = np.partition(keys, k - 1)[k - 1]
    if np.isnan(kth):  # fewer than k numbers: NaN sorts last, as in argsort
        return np.argsort(keys, kind="stable")[:k]
    below = np.flatnonzero(keys < kth)
    at = np.flatnonzero(keys == kth)[: k - len(below)]
    pick = np.concatenate([below, at])
    return pick[np.lexsort((pick, keys[pick]))]


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
        Share of the cap each source fills first (history, event, node, text, place, division,
        sector, prior), for every kind; default ``KIND_QUOTAS`` per kind.
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
        self.quotas = {
            kind: dict(KIND_QUOTAS[kind] if quotas is None else quotas) for kind in QUERY_KINDS
        }
        self.text_neighbours = text_neighbours
        self._memos: dict[_MemoKey, IntArray] = {}
        self._pool = {kind: pool_mask(ctx, kind) for kind in QUERY_KINDS}
        self._build_chain_and_text()
        self._build_places()
        rows = np.flatnonzero(self._pool["investor"] & (ctx.division >= 0))
        self._division = _Inverted.build(ctx.division[rows], rows, ctx.prior, N_DIVISIONS)
        self._proven_days, self._proven = self._proven_snapshots()
        self._build_events_and_partners()

    def _build_chain_and_text(self) -> None:
        """Per kind: pool firms by chain node, by IO sector and by distinct text."""
        ctx = self.ctx
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

    def _build_places(self) -> None:
        """Per kind: pool firms by city and by prior; investor makers by (node, city)."""
        ctx = self.ctx
        n_nodes = len(ctx.node_index)
        n_cities = len(ctx.city_partner)
        self._n_cities = n_cities
        self._city_score = city_scores(ctx)
        self._city: dict[str, SortedLists] = {}
        self._best: dict[str, IntArray] = {}
        for kind, pool in self._pool.items():
            pct = prior_percentile(ctx.prior, pool)
            rows = np.flatnonzero(pool & (ctx.city >= 0))
            self._city[kind] = SortedLists.build(ctx.city[rows], rows, pct, n_cities)
            prow = np.flatnonzero(pool)
            self._best[kind] = prow[np.argsort(-ctx.prior[prow], kind="stable")][: self.cap]
            if kind == "investor":
                M = nodes.from_bits(ctx.makes, n_nodes).tocoo()
                keep = pool[M.row] & (ctx.city[M.row] >= 0)
                r = M.row[keep].astype(np.int64)
                self._node_city = SortedLists.build(
                    M.col[keep].astype(np.int64) * n_cities + ctx.city[r],
                    r,
                    pct,
                    n_nodes * n_cities,
                )

    def _build_events_and_partners(self) -> None:
        """Event registrations by firm and by event; each entity's past partners by date."""
        ctx = self.ctx
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
        # one row per (entity, partner, day) of the history, sorted by entity then day
        self._partner_of, self._partner, self._partner_day = a[order], b[order], d[order]

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
        q = int(self.ctx.rows([query_id], what="query_id")[0])
        return self.rows_for(kind, q, n=n, as_of=as_of, query_id=query_id)

    def rows_for(
        self,
        kind: str,
        q: int,
        *,
        n: int | None = None,
        as_of: pd.Timestamp | None = None,
        query_id: str = "",
    ) -> IntArray:
        """As :meth:`generate_rows` for a query already resolved to its entity row ``q``
        (the ranking service resolves it once per request)."""
        if kind not in QUERY_KINDS:
            raise ValueError(f"kind must be one of {list(QUERY_KINDS)}, got {kind!r}")
        ctx = self.ctx
        if (q >= ctx.n_firms) != (kind == "investor"):
            query_id = query_id or str(ctx.ids[q])
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
            "proven": self._proven_rows(kind, as_of)[:limit],
            "sector": self._sectors(kind, q, limit),
            "prior": self._best[kind][:limit],
        }
        return _merge(sources, self.quotas[kind], limit, exclude=q)

    def _proven_snapshots(self) -> tuple[IntArray, dict[str, list[IntArray]]]:
        """Per kind, the pool firms with a record ordered by smoothed conversion as of the
        first day of every month the history spans (best ``cap`` kept)."""
        h = self.ctx.history
        out: dict[str, list[IntArray]] = {kind: [] for kind in QUERY_KINDS}
        if not len(h.day):
            return np.zeros(0, dtype=np.int64), out
        first = pd.Timestamp("1900-01-01") + pd.Timedelta(days=int(h.day.min()))
        last = pd.Timestamp("1900-01-01") + pd.Timedelta(days=int(h.day.max()))
        months = pd.date_range(
            first.to_period("M").to_timestamp(),
            last.to_period("M").to_timestamp() + pd.offsets.MonthBegin(1),
            freq="MS",
        )
        days = to_days(months.to_numpy(), len(months))
        seen = np.unique(h.cand)
        for kind in QUERY_KINDS:
            rows = seen[self._pool[kind][seen]]
            for d in days:
                n, sums, _ = h.by_cand.lookup(rows, np.full(len(rows), d, dtype=np.int64))
                has = n > 0
                r = rows[has]
                score = smoothed_rate(sums[has, 1], n[has])
                order = np.lexsort((-self.ctx.prior[r], -score))[: self.cap]
                out[kind].append(r[order].astype(np.int64))
        return days.astype(np.int64), out

    def _proven_rows(self, kind: str, as_of: pd.Timestamp | None) -> IntArray:
        days = self._proven_days
        if not len(days):
            return np.zeros(0, dtype=np.int64)
        if as_of is None:
            return self._proven[kind][-1]
        i = int(np.searchsorted(days, to_days(as_of, 1)[0], side="right")) - 1
        return self._proven[kind][i] if i >= 0 else np.zeros(0, dtype=np.int64)

    def _history(self, q: int, pool: npt.NDArray[np.bool_], as_of: pd.Timestamp | None) -> IntArray:
        lo, hi = np.searchsorted(self._partner_of, [q, q + 1])
        if as_of is not None:
            day = to_days(as_of, 1)[0]
            hi = lo + int(np.searchsorted(self._partner_day[lo:hi], day, side="left"))
        partners = self._partner[lo:hi][::-1]  # latest first
        return np.asarray(pd.unique(partners[pool[partners]]), dtype=np.int64)

    def _events(self, q: int, pool: npt.NDArray[np.bool_], k: int) -> IntArray:
        lo, hi = np.searchsorted(self._reg_row, [q, q + 1])
        events = self._reg_event[lo:hi]
        start = self._ev_ptr[events]
        pos = spans(start, self._ev_ptr[events + 1] - start)
        if not len(pos):
            return np.zeros(0, dtype=np.int64)
        rows = np.asarray(pd.unique(self._ev_rows[pos]), dtype=np.int64)
        rows = rows[pool[rows]]
        return rows[best_first(-self.ctx.prior[rows], k)]

    def _divisions(self, kind: str, q: int, k: int) -> IntArray:
        if kind != "investor":
            return np.zeros(0, dtype=np.int64)
        return self._division.top(_set_bits(self.ctx.park_divisions[q]), k, self.ctx.prior)

    def _places(self, kind: str, q: int, k: int) -> IntArray:
        c = int(self.ctx.city[q])
        if c < 0:
            return np.zeros(0, dtype=np.int64)
        return self._memo(("place", kind, c, k), lambda: self._places_of_city(kind, c, k))

    def _places_of_city(self, kind: str, c: int, k: int) -> IntArray:
        cities = np.arange(self._n_cities, dtype=np.int64)
        return top_across(self._city[kind], cities, self._city_score[c], k)

    def _memo(self, key: _MemoKey, make: Callable[[], IntArray]) -> IntArray:
        """A source that depends only on the query's city, sector or node profile (and the
        kind and k) is the same for every query there: computed once, kept read-only."""
        rows = self._memos.get(key)
        if rows is None:
            rows = make()
            rows.setflags(write=False)
            # cities, sectors and node profiles x kinds x list lengths: a few hundred to a few
            # thousand lists of at most 3 k rows (under 100 MB at the cap)
            if len(self._memos) < 4_096:
                self._memos[key] = rows
        return rows

    def _nodes(self, kind: str, q: int, k: int) -> IntArray:
        """Makers of the query's chain nodes. They depend only on the query's node bits (and
        a park's city), which few profiles share (29 among 4,000 leading firms of the 200k
        benchmark world), so each profile's list is computed once."""
        ctx = self.ctx
        if kind == "customer":
            profile = ctx.makes[q].tobytes()
        elif kind == "investor":
            bits = ctx.needs[q] | ctx.park_gap[q]
            profile = (
                bits.tobytes()
                + ctx.reach[1][q].tobytes()
                + int(ctx.city[q]).to_bytes(4, "little", signed=True)
            )
        else:
            profile = ctx.needs[q].tobytes() + ctx.park_gap[q].tobytes() + ctx.reach[1][q].tobytes()
        return self._memo(("node", kind, profile, k), lambda: self._nodes_of(kind, q, k))

    def _nodes_of(self, kind: str, q: int, k: int) -> IntArray:
        ctx = self.ctx
        idx = self._node[kind]
        if kind == "customer":
            made = _set_bits(ctx.makes[q])
            chain = np.flatnonzero(np.isin(ctx.node_chain, ctx.node_chain[made]))
            both = [idx.top(made, k, ctx.prior), idx.top(chain.astype(np.int64), k, ctx.prior)]
            return np.asarray(pd.unique(np.concatenate(both)), dtype=np.int64)
        if kind == "investor":
            return self._park_nodes(q, k)
        wanted = _set_bits(ctx.needs[q] | ctx.park_gap[q])
        exact = idx.top(wanted, k, ctx.prior)
        near = idx.top(_set_bits(ctx.reach[1][q] & ~ctx.needs[q]), k, ctx.prior)
        chain = np.flatnonzero(np.isin(ctx.node_chain, ctx.node_chain[wanted]))
        same_chain = idx.top(chain.astype(np.int64), k, ctx.prior)
        return np.asarray(pd.unique(np.concatenate([exact, near, same_chain])), dtype=np.int64)

    def _park_nodes(self, q: int, k: int) -> IntArray:
        """Makers of the park's needed/gap nodes, then of nodes one step upstream, then of the
        rest of those chains; each level by place score + prior percentile."""
        ctx = self.ctx
        c = int(ctx.city[q])
        wanted_bits = ctx.needs[q] | ctx.park_gap[q]
        wanted = _set_bits(wanted_bits)
        near = _set_bits(ctx.reach[1][q] & ~wanted_bits)
        chain = np.flatnonzero(np.isin(ctx.node_chain, ctx.node_chain[wanted]))
        rest = np.setdiff1d(chain, np.concatenate([wanted, near]))
        if c < 0:
            idx = self._node["investor"]
            levels = [idx.top(nodes_, k, ctx.prior) for nodes_ in (wanted, near, rest)]
        else:
            C = self._n_cities
            cities = np.arange(C, dtype=np.int64)
            levels = []
            got = 0
            for level in (wanted, near, rest):
                if got >= k:  # a later level would only rank below the first k
                    break
                keys = (level[:, None] * C + cities[None, :]).ravel()
                offsets = np.tile(self._city_score[c], len(level))
                # a firm making several nodes of a level is listed several times: ask for a
                # little more than needed, then deduplicate
                top = pd.unique(top_across(self._node_city, keys, offsets, k + k // 4))
                levels.append(np.asarray(top[:k], dtype=np.int64))
                got += len(levels[-1])
        return np.asarray(pd.unique(np.concatenate(levels)), dtype=np.int64)

    def _text_neighbours(self, kind: str, q: int, k: int) -> IntArray:
        ctx = self.ctx
        matrix, _, inv = self._text[kind]
        source, row = (
            (ctx.product_matrix, ctx.product_row[q])
            if kind == "customer"
            else (ctx.need_matrix, ctx.need_row[q])
        )
        vec = dense_row(source, int(row))
        if not vec.any() or matrix.shape[0] == 0:  # no text (or an empty one)
            return np.zeros(0, dtype=np.int64)
        scores = np.asarray(matrix @ vec).ravel()
        t = min(self.text_neighbours, len(scores))
        best = np.argpartition(-scores, t - 1)[:t]
        best = best[scores[best] > 0]
        best = best[np.argsort(-scores[best], kind="stable")]
        per_text = max(1, k // max(len(best), 1))
        start = inv.ptr[best]
        return inv.rows[spans(start, np.minimum(inv.ptr[best + 1] - start, per_text))]

    def _sectors(self, kind: str, q: int, k: int, n_sectors: int = 3) -> IntArray:
        ctx = self.ctx
        s = int(ctx.sector[q])
        if s < 0:
            return np.zeros(0, dtype=np.int64)
        return self._memo(("sector", kind, s, k), lambda: self._sectors_of(kind, s, k, n_sectors))

    def _sectors_of(self, kind: str, s: int, k: int, n_sectors: int) -> IntArray:
        ctx = self.ctx
        A = np.asarray(ctx.reference.io_A, dtype=np.float64)
        weight = A[s, :] if kind == "customer" else A[:, s]
        top = np.argsort(-weight, kind="stable")[:n_sectors].astype(np.int64)
        return self._sector[kind].top(top, k, ctx.prior)


def pool_mask(ctx: FeatureContext, kind: str) -> npt.NDArray[np.bool_]:
    """Entities that may be candidates of a kind: supporting firms (supplier), leading firms
    (customer), firms of Shanghai, Jiangsu and Zhejiang (investor); never a firm whose
    registration is 注销/吊销 (``ctx.live``)."""
    if kind not in QUERY_KINDS:
        raise ValueError(f"kind must be one of {list(QUERY_KINDS)}, got {kind!r}")
    firm = (np.arange(ctx.n_entities) < ctx.n_firms) & ctx.live
    if kind == "supplier":
        return firm & ~ctx.leading
    if kind == "customer":
        return firm & ctx.leading
    prov = ctx.reference.cities["province"].astype(str).to_numpy(dtype=object)
    helping = np.zeros(ctx.n_entities, dtype=bool)
    ok = ctx.city >= 0
    helping[ok] = np.isin(prov[ctx.city[ok]], HELPING_PROVINCES)
    return firm & helping


def city_scores(ctx: FeatureContext) -> npt.NDArray[np.float64]:
    """Place score of every candidate city (column) for every query city (row).

    ``PAIRED_BONUS`` if the two are an official pair (either direction) or a co-built-park
    pair, plus ``exp(-d / DISTANCE_SCALE_KM)`` of their distance (0 where it is unknown).

    Parameters
    ----------
    ctx : FeatureContext

    Returns
    -------
    ndarray of float, shape (n_cities, n_cities)
    """
    n = len(ctx.city_partner)
    dist = np.asarray(ctx.city_dist, dtype=np.float64)
    score = np.where(np.isnan(dist), 0.0, np.exp(-np.nan_to_num(dist) / DISTANCE_SCALE_KM))
    paired = np.zeros((n, n), dtype=bool)
    a, b = np.divmod(ctx.cobuilt_pairs, max(n, 1))
    paired[a, b] = paired[b, a] = True
    has = np.flatnonzero(ctx.city_partner >= 0)
    paired[has, ctx.city_partner[has]] = paired[ctx.city_partner[has], has] = True
    return np.asarray(score + PAIRED_BONUS * paired, dtype=np.float64)


def prior_percentile(
    prior: npt.NDArray[np.float64], pool: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """Share of the pool whose prior is at most each row's (in (0, 1]; 0 outside the pool).

    Ties share the highest rank, so equal priors get equal percentiles.

    Parameters
    ----------
    prior : float array, one per entity
    pool : bool array, one per entity

    Returns
    -------
    ndarray of float
    """
    out = np.zeros(len(prior), dtype=np.float64)
    p = np.nan_to_num(np.asarray(prior, dtype=np.float64)[pool])
    if len(p):
        out[pool] = np.searchsorted(np.sort(p), p, side="right") / len(p)
    return out


def _merge(
    sources: dict[str, IntArray], quotas: dict[str, float], limit: int, *, exclude: int
) -> IntArray:
    """Each source's top share (its quota of ``limit``) first, in source order; then the rest
    of every source in the same order; duplicates and the query itself dropped."""
    firsts = [a[: int(np.ceil(quotas.get(name, 0.0) * limit))] for name, a in sources.items()]
    merged = pd.unique(np.concatenate([*firsts, *sources.values()]))
    merged = merged[merged != exclude]
    return np.asarray(merged[:limit], dtype=np.int64)
