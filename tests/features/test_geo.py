"""Great-circle distance: a known value and metric properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from features.geo import distance_matrix, haversine_km, travel_hours

lon = st.floats(min_value=73.0, max_value=135.0)
lat = st.floats(min_value=18.0, max_value=54.0)
point = st.tuples(lon, lat)


def test_one_degree_on_the_equator_is_111_195_km() -> None:
    assert float(haversine_km(0, 0, 1, 0)) == pytest.approx(111.19508, abs=1e-4)


def test_travel_hours_adds_half_an_hour_across_provinces() -> None:
    np.testing.assert_allclose(travel_hours([160.0, 160.0], [0, 1]), [2.0, 2.5])


@given(point, point)
def test_distance_is_symmetric_and_non_negative(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    d_ab = float(haversine_km(a[0], a[1], b[0], b[1]))
    d_ba = float(haversine_km(b[0], b[1], a[0], a[1]))
    assert d_ab >= 0
    assert d_ab == pytest.approx(d_ba, abs=1e-9)


@given(point)
def test_distance_to_itself_is_zero(a: tuple[float, float]) -> None:
    assert float(haversine_km(a[0], a[1], a[0], a[1])) == pytest.approx(0.0, abs=1e-6)


@given(point, point, point)
def test_triangle_inequality(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]
) -> None:
    ab = float(haversine_km(a[0], a[1], b[0], b[1]))
    bc = float(haversine_km(b[0], b[1], c[0], c[1]))
    ac = float(haversine_km(a[0], a[1], c[0], c[1]))
    assert ac <= ab + bc + 1e-6


@given(st.lists(point, min_size=1, max_size=6))
def test_distance_matrix_is_symmetric_with_zero_diagonal(pts: list[tuple[float, float]]) -> None:
    D = distance_matrix([p[0] for p in pts], [p[1] for p in pts])
    np.testing.assert_array_equal(D, D.T)
    np.testing.assert_array_equal(np.diag(D), 0.0)
    assert (D >= 0).all()
