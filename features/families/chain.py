"""Chain family: IO coefficients between sectors and chain-node relations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from features import nodes
from features.catalogue import NODE_PATH_CAP
from features.families.base import Columns, Pairs

if TYPE_CHECKING:
    from features.context import FeatureContext


def _io(M: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ok = (a >= 0) & (b >= 0)
    out = np.full(len(a), np.nan)
    out[ok] = M[a[ok], b[ok]]
    return out


def chain_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """IO coefficients both ways, same sector, node match/upstream/path distance, coverage."""
    ref = ctx.reference
    sp_, sd = ctx.sector[p.provider], ctx.sector[p.demander]
    A = np.asarray(ref.io_A, dtype=np.float64)
    L = np.asarray(ref.io_L, dtype=np.float64)
    make = ctx.makes[p.provider]
    need = ctx.needs[p.demander]
    overlap = nodes.intersect_count(make, need)
    n_need = nodes.count(need)
    dist = np.full(len(p), NODE_PATH_CAP + 1, dtype=np.float64)
    for k in range(NODE_PATH_CAP, -1, -1):  # cap + 1 passes, each over all pairs
        hit = nodes.intersect_count(make, ctx.reach[k][p.demander]) > 0
        dist[hit] = k
    return {
        "io_a_forward": _io(A, sp_, sd),
        "io_a_backward": _io(A, sd, sp_),
        "io_l_forward": _io(L, sp_, sd),
        "io_l_backward": _io(L, sd, sp_),
        "same_sector": ((sp_ == sd) & (sp_ >= 0)).astype(np.float64),
        "node_need_match": (overlap > 0).astype(np.float64),
        "node_direct_upstream": (nodes.intersect_count(make, ctx.pred[p.demander]) > 0).astype(
            np.float64
        ),
        "node_path_dist": dist,
        "need_coverage": np.where(n_need > 0, overlap / np.maximum(n_need, 1), 0.0),
    }
