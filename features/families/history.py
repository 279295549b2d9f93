"""History and reciprocity families: what happened before the as-of date."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from features.families.base import Columns, Pairs
from features.history import pair_key, smoothed_rate

if TYPE_CHECKING:
    from features.context import FeatureContext


def history_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """Past records and best grade of the pair; smoothed conversion of each side and city pair."""
    h = ctx.history
    n_pair, _, best = h.pair.lookup(pair_key(p.query, p.cand, ctx.n_entities), p.day)
    n_c, s_c, _ = p.memo("by_cand", lambda: h.by_cand.lookup(p.cand, p.day))
    n_q, s_q, _ = p.memo("by_query", lambda: h.by_query.lookup(p.query, p.day))
    cq, cc = ctx.city[p.query], ctx.city[p.cand]
    ck = np.where((cq >= 0) & (cc >= 0), pair_key(cq, cc, max(len(ctx.city_partner), 1)), -1)
    n_city, s_city, _ = h.city_pair.lookup(ck, p.day)
    return {
        "hist_pair_records": n_pair.astype(np.float64),
        "hist_pair_best_grade": best,
        "hist_cand_records": n_c.astype(np.float64),
        "hist_cand_conversion": smoothed_rate(s_c[:, 1], n_c),
        "hist_query_conversion": smoothed_rate(s_q[:, 1], n_q),
        "hist_city_pair_conversion": smoothed_rate(s_city[:, 1], n_city),
    }


def reciprocity_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """Share of each side's past positive partners that sit in the other side's IO sector."""
    h = ctx.history
    _, pos_c, _ = p.memo("by_cand", lambda: h.by_cand.lookup(p.cand, p.day))
    _, pos_q, _ = p.memo("by_query", lambda: h.by_query.lookup(p.query, p.day))
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
