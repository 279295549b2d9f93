"""Dated facts looked up "as of" a date with sorted arrays and ``searchsorted``.

An :class:`AsOfTable` holds records ``(key, day, values, grade)`` sorted by ``(key, day)``.
Looking up ``(key, as_of)`` for a million pairs is two ``searchsorted`` calls and a few
gathers; only records with ``day < as_of`` count, so facts dated on or after the as-of date
are invisible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.arrays import one_value
from features.schema import STAGE_GRADE

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
log = logging.getLogger(__name__)

EPOCH = np.datetime64("1900-01-01", "D")
DAY_SPAN = 1 << 17  # days per key: 1900 .. 2258
# Beta(1, 4) prior on conversion: a firm with no history is assumed to convert 20 %
PRIOR_POS = 1.0
PRIOR_NEG = 4.0


def to_days(dates: pd.Timestamp | np.ndarray | pd.Series | pd.DatetimeIndex, n: int) -> IntArray:
    """Dates (one scalar or ``n`` of them) as day numbers since 1900-01-01, shape (n,)."""
    if isinstance(dates, pd.Timestamp | np.datetime64 | str):
        d = np.full(n, np.datetime64(pd.Timestamp(dates).date(), "D"))
    else:
        d = pd.to_datetime(np.asarray(dates)).to_numpy().astype("datetime64[D]")
        if d.shape[0] != n:
            raise ValueError(f"as_of must be one date or {n} dates, got {d.shape[0]}")
    days = (d - EPOCH).astype(np.int64)
    if (days < 0).any() or (days >= DAY_SPAN).any():
        raise ValueError("dates must lie between 1900-01-01 and 2258-12-31")
    return days


def pair_key(a: IntArray, b: IntArray, n: int) -> IntArray:
    """An order-free key for the pair (a, b) of indices in ``0..n-1``."""
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    return lo * np.int64(n) + hi


@dataclass(frozen=True)
class AsOfTable:
    """Records sorted by (key, day) with running sums of ``values`` and running max of grade.

    Built with ``n_keys`` (keys are entity rows ``0..n_keys-1``), the table also keeps where
    each key's records start and its last record day: a lookup dated after a key's last
    record (a ranking request made today) then reads its totals without a binary search.
    """

    composite: IntArray  # key * DAY_SPAN + day, sorted
    cum: FloatArray  # (n + 1, k) running sums, cum[0] = 0
    run_max: FloatArray  # (n,) max grade within the key up to and including this record
    ptr: IntArray | None = None  # (n_keys + 1,) first record of each key (dense keys only)
    last_day: npt.NDArray[np.int32] | None = None  # (n_keys,) last record day, -1 none

    @classmethod
    def build(
        cls,
        keys: IntArray,
        days: IntArray,
        values: FloatArray,
        grade: FloatArray | None = None,
        *,
        n_keys: int | None = None,
    ) -> AsOfTable:
        """Sort the records and precompute running sums and maxima (and, for dense keys
        ``0..n_keys-1``, each key's first record and last day)."""
        keys = np.asarray(keys, dtype=np.int64)
        days = np.asarray(days, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        if values.ndim == 1:
            values = values[:, None]
        comp = keys * DAY_SPAN + days
        order = np.argsort(comp, kind="stable")
        comp = comp[order]
        vals = values[order]
        cum = np.vstack([np.zeros((1, vals.shape[1])), np.cumsum(vals, axis=0)])
        if grade is None:
            run_max: FloatArray = np.zeros(len(comp), dtype=np.float64)
        else:
            g = pd.Series(np.asarray(grade, dtype=np.float64)[order])
            run_max = np.asarray(g.groupby(keys[order]).cummax(), dtype=np.float64)
        if n_keys is None:
            return cls(comp, cum, run_max)
        if len(keys) and (keys.min() < 0 or keys.max() >= n_keys):
            raise ValueError(f"dense keys must lie in 0..{n_keys - 1}")
        ptr = np.searchsorted(comp, np.arange(n_keys + 1, dtype=np.int64) * DAY_SPAN)
        last = np.full(n_keys, -1, dtype=np.int32)
        has = ptr[1:] > ptr[:-1]
        last[has] = (comp[ptr[1:][has] - 1] % DAY_SPAN).astype(np.int32)
        return cls(comp, cum, run_max, ptr.astype(np.int64), last)

    def _bounds(self, keys: IntArray, days: IntArray) -> tuple[IntArray, IntArray]:
        """Record range ``[start, end)`` of each (key, day): the key's records before day."""
        if self.ptr is None or self.last_day is None:
            base = keys * DAY_SPAN
            start = np.searchsorted(self.composite, base, side="left")
            end = start.copy()
            if not len(self.composite):
                return start, end
            # most keys asked for have no record (pairs never met): search only where one is
            first = self.composite[np.minimum(start, len(self.composite) - 1)]
            found = (start < len(self.composite)) & (first < base + days)
            if found.any():
                end[found] = np.searchsorted(self.composite, base[found] + days[found], side="left")
            return start, end
        k = np.minimum(np.maximum(keys, 0), len(self.last_day) - 1)  # np.clip costs 10x
        start = self.ptr[k]
        end = self.ptr[k + 1].copy()
        inside = days <= self.last_day[k]  # only these need to search within their key
        if inside.any():
            end[inside] = np.searchsorted(
                self.composite, keys[inside] * DAY_SPAN + days[inside], side="left"
            )
        return start, end

    def lookup(self, keys: IntArray, days: IntArray) -> tuple[IntArray, FloatArray, FloatArray]:
        """For each (key, day): the number of records before ``day``, their value sums, max grade.

        A key of -1 (unknown entity) finds nothing.
        """
        keys = np.asarray(keys, dtype=np.int64)
        days = np.asarray(days, dtype=np.int64)
        if days.shape != keys.shape:  # one day for every key (np.full: broadcast_to costs more)
            days = np.full(keys.shape, days, dtype=np.int64)
        if one_value(keys) and one_value(days):  # one query's side of a ranking request
            n1, sums1, best1 = self.lookup(keys[:1], days[:1])
            m = len(keys)
            return np.repeat(n1, m), np.repeat(sums1, m, axis=0), np.repeat(best1, m)
        start, end = self._bounds(keys, days)
        n = (end - start).astype(np.int64)
        n[keys < 0] = 0
        end = np.where(keys < 0, start, end)
        sums = self.cum.take(end, axis=0) - self.cum.take(start, axis=0)
        has = n > 0
        best = np.zeros(len(keys))
        best[has] = self.run_max[end[has] - 1]
        return n, sums, best


def _pair_steps(keys: IntArray, days: IntArray, grade: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per record: 1 if it is its pair's first (in date order), and how far it raised the
    pair's best grade so far. Summed over the records before a day they count a side's
    pairs and the best grades those pairs had reached by then, whichever stages a ledger
    skips."""
    order = np.lexsort((days, keys))
    k = keys[order]
    new = np.ones(len(k), dtype=np.bool_)
    new[1:] = k[1:] != k[:-1]
    best = pd.Series(grade[order]).groupby(k).cummax().to_numpy(dtype=np.float64)
    before = np.where(new, 0.0, np.roll(best, 1))
    first = np.empty(len(k))
    gain = np.empty(len(k))
    first[order] = new
    gain[order] = np.maximum(best - before, 0.0)
    return first, gain


def grade_rate(sums: FloatArray) -> FloatArray:
    """A candidate's smoothed mean best grade per pair from its ``by_cand`` sums, with a
    prior of mean 0.25 worth 4 pairs."""
    return np.asarray((sums[:, 3] + 1.0) / (sums[:, 2] + 4.0), dtype=np.float64)


def smoothed_rate(pos: npt.ArrayLike, n: npt.ArrayLike) -> FloatArray:
    """Beta-prior smoothed conversion ``(pos + 1) / (n + 5)``."""
    return np.asarray(
        (np.asarray(pos, dtype=np.float64) + PRIOR_POS)
        / (np.asarray(n, dtype=np.float64) + PRIOR_POS + PRIOR_NEG)
    )


@dataclass(frozen=True)
class History:
    """Outcome records as entity rows and days, plus the as-of tables built on them."""

    query: IntArray
    cand: IntArray
    day: IntArray
    grade: FloatArray
    event_id: npt.NDArray[np.object_]
    stage: npt.NDArray[np.object_]
    pair: AsOfTable  # key: unordered entity pair; values: [records]; grade max
    by_cand: AsOfTable  # key: candidate entity; values: [records, positives, pairs, grades]
    by_query: AsOfTable  # key: query entity; values: [records, positives]
    city_pair: AsOfTable  # key: unordered city pair; values: [records, positives]
    cand_sector: AsOfTable  # key: candidate * S + sector(query); values: [positives]
    query_sector: AsOfTable  # key: query * S + sector(candidate); values: [positives]
    sector_span: int  # S of the two sector keys: the number of IO sectors + 2
    n_cities: int  # span of the city-pair keys

    def sector_key(self, entity: IntArray, sector: IntArray) -> IntArray:
        """Key of (entity, IO sector of its partner; -1 unknown) in the two sector tables."""
        return sector_key(entity, sector, self.sector_span)

    def city_key(self, a: IntArray, b: IntArray) -> IntArray:
        """Key of the unordered city pair (a, b) in ``city_pair``; -1 where a city is unknown."""
        return city_key(a, b, self.n_cities)


def sector_key(entity: IntArray, sector: IntArray, span: int) -> IntArray:
    """(entity, IO sector; -1 unknown) as one key of a sector table spanning ``span``."""
    return entity * span + sector + 1


def city_key(a: IntArray, b: IntArray, n_cities: int) -> IntArray:
    """The unordered city pair (a, b) as one key (dense in ``0..n_cities**2 - 1``), or -1."""
    return np.where((a >= 0) & (b >= 0), pair_key(a, b, n_cities), -1)


def build_registrations(part: pd.DataFrame, ids: pd.Index) -> tuple[IntArray, IntArray]:
    """Event registrations as (event code, entity row), sorted by entity row."""
    row = ids.get_indexer(pd.Index(part["uscc"].to_numpy(dtype=object))).astype(np.int64)
    event = pd.factorize(part["event_id"].to_numpy(dtype=object))[0].astype(np.int64)
    keep = row >= 0
    order = np.argsort(row[keep], kind="stable")
    return event[keep][order], row[keep][order]


def build_history(
    out: pd.DataFrame, ids: pd.Index, city: IntArray, sector: IntArray, n_cities: int
) -> History:
    q = ids.get_indexer(pd.Index(out["query_id"].to_numpy(dtype=object))).astype(np.int64)
    c = ids.get_indexer(pd.Index(out["candidate_id"].to_numpy(dtype=object))).astype(np.int64)
    keep = (q >= 0) & (c >= 0) & out["date"].notna().to_numpy()
    dropped = int((~keep).sum())
    if dropped:
        log.info(
            "history: %d outcome records name unknown entities or lack a date; ignored", dropped
        )
    q, c = q[keep], c[keep]
    kept = out.loc[keep]
    day = to_days(kept["date"].to_numpy(), len(kept))
    grade: FloatArray = np.asarray(
        kept["stage"].map(STAGE_GRADE).fillna(0).to_numpy(dtype=np.float64), dtype=np.float64
    )
    pos = (grade >= 1).astype(np.float64)
    one = np.ones(len(q))
    stage = kept["stage"].astype(str).to_numpy(dtype=object)
    E = len(ids)
    first, gain = _pair_steps(pair_key(q, c, E), day, grade)
    S = int(sector.max()) + 2 if len(sector) else 1
    C = max(n_cities, 1)
    ck = city_key(city[q], city[c], C)
    city_ok = ck >= 0
    both = np.column_stack([one, pos])
    p = pos > 0
    return History(
        query=q,
        cand=c,
        day=day,
        grade=grade,
        event_id=kept["event_id"].to_numpy(dtype=object),
        stage=stage,
        pair=AsOfTable.build(pair_key(q, c, E), day, one, grade),
        by_cand=AsOfTable.build(c, day, np.column_stack([one, pos, first, gain]), n_keys=E),
        by_query=AsOfTable.build(q, day, both, n_keys=E),
        city_pair=AsOfTable.build(ck[city_ok], day[city_ok], both[city_ok], n_keys=C * C),
        cand_sector=AsOfTable.build(sector_key(c[p], sector[q[p]], S), day[p], one[p]),
        query_sector=AsOfTable.build(sector_key(q[p], sector[c[p]], S), day[p], one[p]),
        sector_span=S,
        n_cities=C,
    )
