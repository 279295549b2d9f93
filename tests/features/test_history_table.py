"""As-of lookups count only records strictly before the date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.history import AsOfTable, _pair_steps, grade_rate, pair_key, smoothed_rate, to_days


def test_lookup_counts_sums_and_best_grade_before_the_date() -> None:
    # key 7: grades 1 (day 10), 3 (day 20), 0 (day 30); key 9: grade 2 (day 15)
    t = AsOfTable.build(
        keys=np.array([7, 9, 7, 7]),
        days=np.array([10, 15, 30, 20]),
        values=np.array([1.0, 1.0, 0.0, 1.0]),
        grade=np.array([1.0, 2.0, 0.0, 3.0]),
    )
    n, sums, best = t.lookup(np.array([7, 7, 7, 9, 5, -1]), np.array([10, 20, 31, 16, 99, 99]))
    np.testing.assert_array_equal(n, [0, 1, 3, 1, 0, 0])
    np.testing.assert_array_equal(sums[:, 0], [0, 1, 2, 1, 0, 0])
    np.testing.assert_array_equal(best, [0, 1, 3, 2, 0, 0])


def test_pair_steps_count_each_pair_once_and_its_best_grade_whichever_stages_are_written() -> None:
    # pair 5: recommended (day 1), meeting (day 2), signed (day 3; no intention written),
    # a late meeting again (day 9); pair 3: recommended, declined
    keys = np.array([5, 5, 5, 3, 3, 5])
    days = np.array([1, 3, 2, 1, 4, 9])
    grade = np.array([0.0, 3.0, 1.0, 0.0, 0.0, 1.0])
    first, gain = _pair_steps(keys, days, grade)
    np.testing.assert_array_equal(first, [1, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(gain, [0, 2, 1, 0, 0, 0])  # pair 5 sums to its best, 3
    # two pairs, best grades 3 and 0: (3 + 1) / (2 + 4); none yet: the prior 1/4
    sums = np.array([[6.0, 4.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(grade_rate(sums), [4 / 6, 0.25])


def test_pair_key_ignores_order() -> None:
    np.testing.assert_array_equal(pair_key(np.array([3, 5]), np.array([5, 3]), 10), [35, 35])


def test_smoothed_rate_uses_a_beta_1_4_prior() -> None:
    np.testing.assert_allclose(
        smoothed_rate(np.array([0.0, 2.0]), np.array([0.0, 2.0])), [0.2, 3 / 7]
    )


def test_to_days_accepts_a_scalar_or_one_date_per_row() -> None:
    one = to_days(pd.Timestamp("1900-01-11"), 2)
    np.testing.assert_array_equal(one, [10, 10])
    many = to_days(np.array(["1900-01-01", "1900-02-01"], dtype="datetime64[ns]"), 2)
    np.testing.assert_array_equal(many, [0, 31])
    with pytest.raises(ValueError, match="3 dates"):
        to_days(np.array(["2020-01-01"], dtype="datetime64[ns]"), 3)


def test_an_empty_table_finds_nothing() -> None:
    t = AsOfTable.build(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 2)))
    n, sums, best = t.lookup(np.array([1, -1]), np.array([10, 10]))
    np.testing.assert_array_equal(n, [0, 0])
    assert sums.shape == (2, 2)
    np.testing.assert_array_equal(best, [0, 0])


def test_a_dense_keyed_table_answers_exactly_as_the_searched_one() -> None:
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 40, 600)
    days = rng.integers(100, 200, 600)
    values = rng.random((600, 2))
    grade = rng.integers(0, 5, 600).astype(float)
    plain = AsOfTable.build(keys, days, values, grade)
    dense = AsOfTable.build(keys, days, values, grade, n_keys=50)  # keys 40..49: no records
    q_keys = np.concatenate([rng.integers(-1, 50, 400), [-1, 45, 3, 3]])
    q_days = np.concatenate([rng.integers(90, 260, 400), [500, 500, 50, 500]])  # before/after all
    for got, want in zip(dense.lookup(q_keys, q_days), plain.lookup(q_keys, q_days), strict=True):
        np.testing.assert_array_equal(got, want)
    n, sums, _ = dense.lookup(np.array([3]), np.array([500]))  # after the last record: all
    assert n[0] == (keys == 3).sum() > 0
    np.testing.assert_allclose(sums[0], values[keys == 3].sum(axis=0))
    with pytest.raises(ValueError, match="dense keys"):
        AsOfTable.build(keys, days, values, n_keys=10)


def _brute(
    records: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], key: int, day: int
) -> tuple[int, np.ndarray, float]:
    keys, days, values, grade = records
    hit = (keys == key) & (days < day)
    return int(hit.sum()), values[hit].sum(axis=0), float(grade[hit].max()) if hit.any() else 0.0


@pytest.mark.parametrize("n_keys", [None, 60])
def test_lookups_agree_with_a_brute_force_count_for_one_key_or_many(n_keys: int | None) -> None:
    rng = np.random.default_rng(11)
    keys = rng.integers(0, 60, 300) * 3  # sparse keys: most asked-for keys have no record
    keys = keys % 60 if n_keys else keys
    days = rng.integers(100, 200, 300)
    values = rng.random((300, 2))
    grade = rng.integers(0, 5, 300).astype(float)
    t = AsOfTable.build(keys, days, values, grade, n_keys=n_keys)
    records = (keys, days, values, grade)
    hi = 60 if n_keys else 180
    asked = [
        (rng.integers(0, hi, 200), rng.integers(90, 260, 200)),  # mixed keys and days
        (np.full(200, int(keys[0])), np.full(200, 150)),  # one query's side, one day
        (np.full(200, int(keys[1])), rng.integers(90, 260, 200)),  # one key, many days
    ]
    for q_keys, q_days in asked:
        n, sums, best = t.lookup(q_keys, q_days)
        for i in range(len(q_keys)):
            want_n, want_sums, want_best = _brute(records, q_keys[i], q_days[i])
            assert n[i] == want_n
            np.testing.assert_allclose(sums[i], want_sums, atol=1e-12)
            assert best[i] == want_best
