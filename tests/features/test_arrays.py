"""The array helpers against plain Python."""

from __future__ import annotations

import numpy as np

from features.arrays import one_value, spans


def test_spans_lists_each_span_in_order_and_skips_empty_ones() -> None:
    lo = np.array([5, 0, 9, 2], dtype=np.int64)
    n = np.array([3, 0, 1, 2], dtype=np.int64)
    expected = [p for a, m in zip(lo, n, strict=True) for p in range(a, a + m)]
    assert spans(lo, n).tolist() == expected == [5, 6, 7, 9, 2, 3]
    assert spans(lo, np.zeros(4, dtype=np.int64)).tolist() == []
    assert spans(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).dtype == np.int64


def test_one_value_needs_two_equal_ends_and_an_equal_middle() -> None:
    assert one_value(np.array([3, 3, 3], dtype=np.int64))
    assert not one_value(np.array([3, 4, 3], dtype=np.int64))
    assert not one_value(np.array([3], dtype=np.int64))
