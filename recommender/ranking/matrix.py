"""Pair features of one query's candidates as a float32 matrix in the model's column order.

The service already holds entity rows, so it builds the resolved pairs itself and asks
:func:`features.pairs.feature_block` — the one implementation of pair features, which
training and the planner reach through :func:`features.pairs.pair_features` — for the
model's columns. LightGBM scores the C-contiguous float32 matrix without a conversion.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from features.context import FeatureContext
from features.families.base import Pairs
from features.pairs import feature_block
from recommender.ranking.models import ServingModel


def feature_matrix(
    ctx: FeatureContext,
    *,
    kind: str,
    query: int | npt.NDArray[np.int64],
    candidates: npt.NDArray[np.int64],
    day: int | npt.NDArray[np.int64],
    model: ServingModel,
) -> npt.NDArray[np.float32]:
    """Features of (query, candidate) pairs, shape ``(len(candidates), n_features)``.

    Parameters
    ----------
    ctx : FeatureContext
    kind : {"supplier", "investor", "customer"}
    query : int or array of int
        Entity row of the query (a firm for supplier/customer, a park for investor), or one
        row per candidate.
    candidates : array of int
        Entity rows of candidate firms.
    day : int or array of int
        As-of day number (features.history.to_days); only outcomes before it count.
    model : ServingModel
        Gives the column order (``model.feature_names``).
    """
    n = len(candidates)
    q = np.broadcast_to(np.asarray(query, dtype=np.int64), (n,)).copy()
    c = np.asarray(candidates, dtype=np.int64)
    days = np.broadcast_to(np.asarray(day, dtype=np.int64), (n,)).copy()
    prov, dem = (q, c) if kind == "customer" else (c, q)
    p = Pairs(kind=kind, query=q, cand=c, provider=prov, demander=dem, day=days)
    return feature_block(ctx, p, model.feature_names)
