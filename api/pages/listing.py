"""What a ranked list shows beside each firm: its chance as a level and a percentage, the
firm's facts (营业收入, 参保人数, 资质, distance), the latest recorded step, and a hint when
the list is empty or shorter than asked.

The order and the probability come from the ranking service as they are (the list is
ordered by the number it shows); nothing here re-sorts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from recommender.db import models

# the level a 招商 officer reads first; the percentage stays beside it
LEVELS: Final = ((0.30, "high"), (0.10, "mid"), (0.0, "low"))
SRDI_LABEL: Final = {"national": "国家级专精特新“小巨人”", "province": "省级专精特新"}
# what an officer can record from a row, in funnel order (stage -> button label key)
RECORDABLE: Final = ("contacted", "meeting", "intention", "signed", "declined")


def chance(p: float | None) -> dict[str, str]:
    """``{"pct": "12%", "level": "high|mid|low"}`` (``"–"``/``""`` when unknown)."""
    if p is None or not math.isfinite(p):
        return {"pct": "–", "level": ""}
    level = next(name for bound, name in LEVELS if p >= bound)
    pct = "<1%" if 0 < p < 0.005 else f"{100 * p:.0f}%"
    return {"pct": pct, "level": level}


def distance_km(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    """Great-circle distance between two (lat, lon) points in km (None if one is unknown)."""
    if a is None or b is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def city_points(cities: Any) -> dict[str, tuple[float, float]]:
    """``{adcode: (lat, lon)}`` of the reference cities that have coordinates."""
    out: dict[str, tuple[float, float]] = {}
    for code, lat, lon in zip(cities["city_code"], cities["lat"], cities["lon"], strict=True):
        if math.isfinite(float(lat)) and math.isfinite(float(lon)):
            out[str(code)] = (float(lat), float(lon))
    return out


def firm_facts(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{uscc: facts}``: revenue (万元), employees, qualifications, city, district."""
    t = models.Enterprise
    out: dict[str, dict[str, Any]] = {}
    cols = (t.uscc, t.revenue_wan, t.employees, t.srdi_level, t.is_high_tech, t.listed)
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for uscc, revenue, staff, srdi, high_tech, listed in session.execute(
            select(*cols).where(t.uscc.in_(chunk))
        ):
            quals = [SRDI_LABEL[srdi]] if srdi in SRDI_LABEL else []
            if high_tech:
                quals.append("高新技术企业")
            if listed:
                quals.append("上市公司")
            out[str(uscc)] = {"revenue_wan": revenue, "employees": staff, "quals": quals}
    return out


def enrich(
    rows: Iterable[dict[str, Any]],
    *,
    facts: Mapping[str, Mapping[str, Any]],
    stages: Mapping[str, Mapping[str, Any]],
    origin: tuple[float, float] | None,
    points: Mapping[str, tuple[float, float]],
) -> list[dict[str, Any]]:
    """The rows with ``chance``, ``facts``, ``km`` and ``latest`` added (order kept)."""
    out = []
    for r in rows:
        km = distance_km(origin, points.get(str(r["city_code"])))
        out.append(
            {
                **r,
                "chance": chance(r.get("p_success")),
                "facts": facts.get(str(r["candidate_id"]), {}),
                "km": None if km is None else round(km),
                "latest": stages.get(str(r["candidate_id"])),
            }
        )
    return out


@dataclass(frozen=True)
class Loosen:
    """One filter the user could drop to get more firms: its label and the link without it."""

    label: str
    url: str


def shortfall(
    *, n: int, k: int, base: str, params: Mapping[str, Any], labels: Mapping[str, str]
) -> dict[str, Any] | None:
    """A hint when the list has fewer than ``k`` firms: which filters could be dropped.

    ``params`` are the page's query parameters; ``labels`` say, for each filter that is set,
    how the page names it (``{"province": "省份：江苏省"}``). None when the list is full.
    """
    if n >= k:
        return None
    from urllib.parse import urlencode

    loosen = []
    for name, label in labels.items():
        if params.get(name):
            rest = {p: v for p, v in params.items() if p != name and v not in (None, "")}
            loosen.append(Loosen(label=label, url=f"{base}?{urlencode(rest)}"))
    return {"n": n, "k": k, "loosen": loosen}
