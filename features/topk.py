"""Top-k across many pre-sorted lists, each with its own score offset (a threshold merge).

Candidate generation keeps firms in lists (per city, per chain node and city), each sorted
once by a static value in [0, 1]. A query gives every list an offset (e.g. how well the
list's city suits the query) and wants the ``k`` rows with the highest ``offset + value``
over the lists. Instead of scoring every row of every list, :func:`top_across` bisects on the
score threshold, counting per list with one vectorised ``searchsorted`` over all lists, and
then scores only the rows above the threshold: cost ``O(iterations * L log N + k log k)`` for
``L`` lists, independent of how many rows the lists hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from features.arrays import spans

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_ITERATIONS = 30  # threshold precision (offset range + 1) / 2**30: far below any real gap


@dataclass(frozen=True)
class SortedLists:
    """Rows per key (CSR layout), each list sorted by descending ``value`` in [0, 1].

    ``key_value`` is ``2 * key + (1 - value)`` per position: ascending over the whole array, so
    one ``searchsorted`` finds, for every list at once, how many of its rows reach a value.
    """

    ptr: IntArray
    rows: IntArray
    values: FloatArray
    key_value: FloatArray

    @classmethod
    def build(cls, keys: IntArray, rows: IntArray, value: FloatArray, n_keys: int) -> SortedLists:
        """Lists of ``rows`` grouped by ``keys`` (in ``[0, n_keys)``), by ``value[rows]`` desc.

        Raises
        ------
        ValueError
            A value of the listed rows lies outside [0, 1].
        """
        v = np.asarray(value, dtype=np.float64)[rows]
        if len(v) and (not np.isfinite(v).all() or v.min() < 0.0 or v.max() > 1.0):
            raise ValueError(f"values must lie in [0, 1], got min {v.min()!r} and max {v.max()!r}")
        order = np.lexsort((-v, keys))
        ptr = np.zeros(n_keys + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys, minlength=n_keys), out=ptr[1:])
        k_sorted = np.asarray(keys, dtype=np.float64)[order]
        v_sorted = v[order]
        return cls(
            ptr=ptr,
            rows=np.asarray(rows, dtype=np.int64)[order],
            values=v_sorted,
            key_value=2.0 * k_sorted + (1.0 - v_sorted),
        )


def top_across(lists: SortedLists, keys: IntArray, offsets: FloatArray, k: int) -> IntArray:
    """The rows with the ``k`` highest ``offsets[i] + value`` over the lists of ``keys[i]``.

    Parameters
    ----------
    lists : SortedLists
    keys : int array
        Distinct list keys to merge.
    offsets : float array
        One score offset per key.
    k : int
        Most rows wanted.

    Returns
    -------
    int array
        Rows, best score first (ties: lower key position, then list order). A row listed under
        several keys can appear more than once.
    """
    keys = np.asarray(keys, dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.float64)
    if k < 1 or len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    lo = lists.ptr[keys]
    size = lists.ptr[keys + 1] - lo
    if int(size.sum()) <= k:
        return _gather(lists, lo, size, offsets)
    base = 2.0 * keys.astype(np.float64)

    def count(t: float) -> IntArray:
        # rows with value >= t - offset, i.e. 1 - value <= 1 - t + offset
        x = np.clip(1.0 - t + offsets, -0.5, 1.5)
        return np.asarray(np.searchsorted(lists.key_value, base + x, side="right") - lo)

    # bisect on the threshold t, keeping count(t_lo) >= k > count(t_hi); every row scoring
    # >= t_lo is gathered, so the result is exact however early the search stops
    t_lo, t_hi = float(offsets.min()), float(offsets.max()) + 1.0 + 1e-9
    n_lo = count(t_lo)
    enough = k + max(16, k // 8)  # gathering this many rows costs less than more searching
    for _ in range(_ITERATIONS):
        if int(n_lo.sum()) <= enough:
            break
        mid = 0.5 * (t_lo + t_hi)
        n_mid = count(mid)
        if int(n_mid.sum()) >= k:
            t_lo, n_lo = mid, n_mid
        else:
            t_hi = mid
    return _gather(lists, lo, np.minimum(n_lo, size), offsets)[:k]


def _gather(lists: SortedLists, lo: IntArray, n: IntArray, offsets: FloatArray) -> IntArray:
    """The first ``n[i]`` rows of each list starting at ``lo[i]``, best score first."""
    pos = spans(lo, n)
    if not len(pos):
        return np.zeros(0, dtype=np.int64)
    score = lists.values[pos] + np.repeat(offsets, n)
    return lists.rows[pos[np.argsort(-score, kind="stable")]]
