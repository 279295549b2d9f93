"""Dated facts looked up "as of" a date with sorted arrays and ``searchsorted``.

An :class:`AsOfTable` holds records ``(key, day, values, grade)`` sorted by ``(key, day)``.
Looking up ``(key, as_of)`` for a million pairs is two ``searchsorted`` calls and a few
gathers; only records with ``day < as_of`` count, so facts dated on or after the as-of date
are invisible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

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
    """Records sorted by (key, day) with running sums of ``values`` and running max of grade."""

    composite: IntArray  # key * DAY_SPAN + day, sorted
    cum: FloatArray  # (n + 1, k) running sums, cum[0] = 0
    run_max: FloatArray  # (n,) max grade within the key up to and including this record

    @classmethod
    def build(
        cls, keys: IntArray, days: IntArray, values: FloatArray, grade: FloatArray | None = None
    ) -> AsOfTable:
        """Sort the records and precompute running sums and maxima."""
        keys = np.asarray(keys, dtype=np.int64)
        days = np.asarray(days, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64).reshape(len(keys), -1)
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
        return cls(comp, cum, run_max)

    def lookup(self, keys: IntArray, days: IntArray) -> tuple[IntArray, FloatArray, FloatArray]:
        """For each (key, day): the number of records before ``day``, their value sums, max grade.

        A key of -1 (unknown entity) finds nothing.
        """
        keys = np.asarray(keys, dtype=np.int64)
        base = keys * DAY_SPAN
        start = np.searchsorted(self.composite, base, side="left")
        end = np.searchsorted(self.composite, base + np.asarray(days, dtype=np.int64), side="left")
        n = (end - start).astype(np.int64)
        n[keys < 0] = 0
        end = np.where(keys < 0, start, end)
        sums = self.cum[end] - self.cum[start]
        has = n > 0
        best = np.zeros(len(keys))
        best[has] = self.run_max[end[has] - 1]
        return n, sums, best


def smoothed_rate(pos: npt.ArrayLike, n: npt.ArrayLike) -> FloatArray:
    """Beta-prior smoothed conversion ``(pos + 1) / (n + 5)``."""
    return np.asarray(
        (np.asarray(pos, dtype=np.float64) + PRIOR_POS)
        / (np.asarray(n, dtype=np.float64) + PRIOR_POS + PRIOR_NEG)
    )
