"""An SVG map of the programme's cities from their coordinates (equirectangular projection).

No tiles and no library: cities are dots at ``x = (lon - lon0)·cos(φ0)·s``,
``y = (lat1 - lat)·s``; good enough for the few hundred kilometres between 皖北 and 沪苏浙.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

WIDTH = 560
PAD = 28


@dataclass(frozen=True)
class Dot:
    """One city on the map."""

    code: str
    label: str
    x: float
    y: float
    r: float
    css: str  # base | park | partner | cand
    count: int = 0


@dataclass(frozen=True)
class CityMap:
    """What the template draws: the canvas size and the dots, background first."""

    width: int
    height: int
    dots: list[Dot] = field(default_factory=list)
    links: list[tuple[float, float, float, float]] = field(default_factory=list)


def city_map(
    cities: pd.DataFrame,
    *,
    park_city: str,
    partner_city: str,
    candidate_counts: Mapping[str, int],
) -> CityMap:
    """Dots for every programme city, with the park's, the partner's and the candidates'.

    Parameters
    ----------
    cities : reference cities (city_code, short_name, lon, lat, role).
    park_city, partner_city : adcodes ('' if none).
    candidate_counts : candidates per city adcode; dot area grows with the count.
    """
    shown = cities[
        cities["role"].isin(["helping", "wanbei"])
        | cities["city_code"].isin([park_city, partner_city, *candidate_counts])
    ]
    shown = shown[shown["lon"].notna() & shown["lat"].notna()]
    if shown.empty:
        return CityMap(WIDTH, 200)
    lon0, lon1 = float(shown["lon"].min()), float(shown["lon"].max())
    lat0, lat1 = float(shown["lat"].min()), float(shown["lat"].max())
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    span = max((lon1 - lon0) * kx, 1e-6)
    scale = (WIDTH - 2 * PAD) / span
    height = int((lat1 - lat0) * scale + 2 * PAD)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (PAD + (lon - lon0) * kx * scale, PAD + (lat1 - lat) * scale)

    top = max(candidate_counts.values(), default=1) or 1
    base: list[Dot] = []
    marked: list[Dot] = []
    where: dict[str, tuple[float, float]] = {}
    for row in shown.to_dict(orient="records"):
        code = str(row["city_code"])
        x, y = xy(float(row["lon"]), float(row["lat"]))
        where[code] = (x, y)
        n = int(candidate_counts.get(code, 0))
        label = str(row["short_name"])
        if code == park_city:
            marked.append(Dot(code, label, x, y, 9.0, "park", n))
        elif code == partner_city:
            marked.append(Dot(code, label, x, y, 4.0 + 10.0 * math.sqrt(n / top), "partner", n))
        elif n:
            marked.append(Dot(code, label, x, y, 3.0 + 10.0 * math.sqrt(n / top), "cand", n))
        else:
            base.append(Dot(code, label, x, y, 2.5, "base"))
    links = []
    if park_city in where and partner_city in where:
        links.append((*where[park_city], *where[partner_city]))
    # big dots first so small ones stay clickable/visible on top
    marked.sort(key=lambda d: -d.r)
    return CityMap(WIDTH, height, [*base, *marked], links)
