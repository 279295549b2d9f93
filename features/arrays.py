"""Small array tests shared by the feature code."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def one_value(a: npt.NDArray[np.int64]) -> bool:
    """Whether an array of more than one element holds a single value (the ends first, so
    a typical mixed array costs two reads): one query's side of a ranking request."""
    return len(a) > 1 and a[0] == a[-1] and bool((a == a[0]).all())


def spans(lo: npt.NDArray[np.int64], n: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The positions ``lo[i], …, lo[i] + n[i] - 1`` of every span, span after span: the rows
    of several CSR lists gathered with one take instead of one slice each."""
    n = np.maximum(np.asarray(n, dtype=np.int64), 0)
    total = int(n.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(np.asarray(lo, dtype=np.int64) - (np.cumsum(n) - n), n) + np.arange(total)
