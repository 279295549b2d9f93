"""History and reciprocity families: what happened before the as-of date."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from features.families.base import Columns, Pairs
from features.history import FloatArray, IntArray, grade_rate, pair_key, smoothed_rate

if TYPE_CHECKING:
    from features.context import FeatureContext


Lookup = tuple[IntArray, FloatArray, FloatArray]


def _cand_totals(ctx: FeatureContext, p: Pairs) -> Lookup:
    """The candidate side's records and positives before each day (shared by both families)."""
    return p.memo("by_cand", lambda: ctx.history.by_cand.lookup(p.cand, p.day))


def _query_totals(ctx: FeatureContext, p: Pairs) -> Lookup:
    """The query side's records and positives before each day (shared by both families)."""
    return p.memo("by_query", lambda: ctx.history.by_query.lookup(p.query, p.day))


def history_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """Past records and best grade of the pair; smoothed conversion of each side and city pair."""
    h = ctx.history
    n_pair, _, best = h.pair.lookup(pair_key(p.query, p.cand, ctx.n_entities), p.day)
    n_c, s_c, _ = _cand_totals(ctx, p)
    n_q, s_q, _ = _query_totals(ctx, p)
    n_city, s_city, _ = h.city_pair.lookup(h.city_key(ctx.city[p.query], ctx.city[p.cand]), p.day)
    return {
        "hist_pair_records": n_pair.astype(np.float64),
        "hist_pair_best_grade": best,
        "hist_cand_records": n_c.astype(np.float64),
        "hist_cand_conversion": smoothed_rate(s_c[:, 1], n_c),
        "hist_cand_grade_rate": grade_rate(s_c),
        "hist_query_conversion": smoothed_rate(s_q[:, 1], n_q),
        "hist_city_pair_conversion": smoothed_rate(s_city[:, 1], n_city),
    }


def reciprocity_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """Share of each side's past positive partners that sit in the other side's IO sector."""
    h = ctx.history
    _, pos_c, _ = _cand_totals(ctx, p)
    _, pos_q, _ = _query_totals(ctx, p)
    n_cs, _, _ = h.cand_sector.lookup(h.sector_key(p.cand, ctx.sector[p.query]), p.day)
    n_qs, _, _ = h.query_sector.lookup(h.sector_key(p.query, ctx.sector[p.cand]), p.day)
    return {
        "recip_cand_serves_sector": np.where(
            pos_c[:, 1] > 0, n_cs / np.maximum(pos_c[:, 1], 1), 0.0
        ),
        "recip_query_seeks_sector": np.where(
            pos_q[:, 1] > 0, n_qs / np.maximum(pos_q[:, 1], 1), 0.0
        ),
    }
