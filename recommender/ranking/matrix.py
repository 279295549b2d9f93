"""Pair features of one query's candidates as a float32 matrix in the model's column order.

This is :func:`features.pairs.pair_features` without the id lookups and the DataFrame: the
service already holds entity rows, and LightGBM scores a C-contiguous float32 matrix without
a conversion. The same family functions compute the values, so the two agree to the bit
(``test_feature_matrix_equals_pair_features`` in
``tests/recommender/test_ranking_service.py`` checks it).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from features.context import FeatureContext
from features.families.base import Pairs
from features.pairs import FAMILY_FUNCTIONS
from features.schema import QUERY_KINDS
from recommender.ranking.models import ServingModel


def feature_matrix(
    ctx: FeatureContext,
    *,
    kind: str,
    query: int,
    candidates: npt.NDArray[np.int64],
    day: int,
    model: ServingModel,
) -> npt.NDArray[np.float32]:
    """Features of (query, candidate) pairs, shape ``(len(candidates), n_features)``.

    Parameters
    ----------
    ctx : FeatureContext
    kind : {"supplier", "investor", "customer"}
    query : int
        Entity row of the query (a firm for supplier/customer, a park for investor).
    candidates : array of int
        Entity rows of candidate firms.
    day : int
        As-of day number (features.history.to_days); only outcomes before it count.
    model : ServingModel
        Gives the column order (``model.feature_names``).
    """
    n = len(candidates)
    q = np.full(n, query, dtype=np.int64)
    c = np.asarray(candidates, dtype=np.int64)
    prov, dem = (q, c) if kind == "customer" else (c, q)
    p = Pairs(
        kind=kind, query=q, cand=c, provider=prov, demander=dem, day=np.full(n, day, dtype=np.int64)
    )
    cols: dict[str, npt.NDArray[np.floating]] = {
        f"kind_{k}": np.full(n, float(k == kind)) for k in QUERY_KINDS
    }
    for fn in FAMILY_FUNCTIONS:
        cols.update(fn(ctx, p))
    X = np.empty((n, len(model.feature_names)), dtype=np.float32)
    for j, name in enumerate(model.feature_names):
        X[:, j] = cols[name]
    return X
