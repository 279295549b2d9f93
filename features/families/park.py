"""Park-fit family (investor queries; 0 for the other kinds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from features import nodes
from features.families.base import Columns, Pairs

if TYPE_CHECKING:
    from features.context import FeatureContext


def park_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """Candidate division among the park's divisions, node among its nodes, chain-gap fill."""
    if p.kind != "investor":
        z = np.zeros(len(p))
        return {"park_division_match": z, "park_node_match": z, "park_gap_fill": z}
    div = ctx.division[p.cand]
    ok = div >= 0
    d = np.where(ok, div, 0)
    words = ctx.park_divisions[p.query, d // 64]
    in_park = ok & (((words >> (d % 64).astype(np.uint64)) & np.uint64(1)) == 1)
    make = ctx.makes[p.cand]
    return {
        "park_division_match": in_park.astype(np.float64),
        "park_node_match": (nodes.intersect_count(make, ctx.park_nodes[p.query]) > 0).astype(
            np.float64
        ),
        "park_gap_fill": (nodes.intersect_count(make, ctx.park_gap[p.query]) > 0).astype(
            np.float64
        ),
    }
