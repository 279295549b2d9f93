"""Geo and programme families: distance, province, travel time; official and county pairings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from features.families.base import Columns, Pairs
from features.geo import travel_hours
from features.history import pair_key

if TYPE_CHECKING:
    from features.context import FeatureContext


def geo_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """Great-circle km between the two cities, same province, travel hours (NaN if unknown)."""
    cq, cc = ctx.city[p.query], ctx.city[p.cand]
    ok = (cq >= 0) & (cc >= 0)
    km = np.full(len(p), np.nan)
    km[ok] = ctx.city_dist[cq[ok], cc[ok]]
    same = np.full(len(p), np.nan)
    same[ok] = ctx.city_province[cq[ok]] == ctx.city_province[cc[ok]]
    return {
        "distance_km": km,
        "same_province": same,
        "travel_hours": travel_hours(km, 1.0 - same),
    }


def programme_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """Official city pairing, county pairing, co-built park partner, helping-Wanbei crossing."""
    cq, cc = ctx.city[p.query], ctx.city[p.cand]
    ok = (cq >= 0) & (cc >= 0)
    cqs, ccs = np.where(ok, cq, 0), np.where(ok, cc, 0)
    official = ok & ((ctx.city_partner[cqs] == cc) | (ctx.city_partner[ccs] == cq))
    pq, pc = ctx.place[p.query], ctx.place[p.cand]
    county = (pq >= 0) & (pc >= 0) & np.isin(pq * ctx.n_places + pc, ctx.county_pairs)
    n_c = len(ctx.city_partner)
    cob = ok & np.isin(pair_key(cqs, ccs, max(n_c, 1)), ctx.cobuilt_pairs)
    cross = ok & (
        (ctx.city_helping[cqs] & ctx.city_wanbei[ccs])
        | (ctx.city_wanbei[cqs] & ctx.city_helping[ccs])
    )
    return {
        "official_pair": official.astype(np.float64),
        "county_pair": county.astype(np.float64),
        "cobuilt_partner": cob.astype(np.float64),
        "cross_programme": cross.astype(np.float64),
    }
