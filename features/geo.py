"""Distances between cities: great-circle km, a travel-time proxy, the city distance matrix."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
ROAD_KMH = 80.0
CROSS_PROVINCE_HOURS = 0.5

FloatArray = npt.NDArray[np.float64]


def haversine_km(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in km between points given in degrees (arrays broadcast).

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like
        WGS84 longitude and latitude in degrees.

    Returns
    -------
    ndarray of float64, >= 0; NaN where a coordinate is NaN.
    """
    lo1, la1, lo2, la2 = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2)
    )
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def travel_hours(km: npt.ArrayLike, cross_province: npt.ArrayLike) -> FloatArray:
    """Travel-time proxy: ``km / 80`` plus half an hour when crossing a provincial border."""
    return np.asarray(
        np.asarray(km, dtype=np.float64) / ROAD_KMH
        + CROSS_PROVINCE_HOURS * np.asarray(cross_province, dtype=np.float64)
    )


def distance_matrix(lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatArray:
    """Pairwise great-circle km between n points: an (n, n) symmetric matrix, zero diagonal."""
    lo = np.asarray(lon, dtype=np.float64)
    la = np.asarray(lat, dtype=np.float64)
    D = haversine_km(lo[:, None], la[:, None], lo[None, :], la[None, :])
    D = (D + D.T) / 2  # exact symmetry despite rounding
    np.fill_diagonal(D, 0.0)
    return D
