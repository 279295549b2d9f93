"""Pair features, vectorised over all pairs: one implementation for every caller."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from features import nodes
from features.catalogue import FEATURE_NAMES
from features.context import FeatureContext
from features.entities import text_col
from features.families.asks import asks_features
from features.families.base import Pairs
from features.families.chain import chain_features
from features.families.firm import quality_features
from features.families.history import history_features, reciprocity_features
from features.families.park import park_features
from features.families.place import geo_features, programme_features
from features.families.text import text_features
from features.history import to_days
from features.schema import QUERY_KINDS

FAMILY_FUNCTIONS = (
    chain_features,
    text_features,
    geo_features,
    programme_features,
    quality_features,
    history_features,
    reciprocity_features,
    park_features,
    asks_features,
)


def resolve_pairs(
    ctx: FeatureContext,
    *,
    kind: str,
    query_ids: npt.ArrayLike,
    candidate_ids: npt.ArrayLike,
    as_of: pd.Timestamp | np.ndarray | None,
) -> Pairs:
    """Check the kind and ids and turn them into entity rows (see :class:`Pairs`)."""
    if kind not in QUERY_KINDS:
        raise ValueError(f"kind must be one of {list(QUERY_KINDS)}, got {kind!r}")
    qa = np.asarray(query_ids, dtype=object).ravel()
    ca = np.asarray(candidate_ids, dtype=object).ravel()
    if qa.shape != ca.shape:
        raise ValueError(
            f"query_ids and candidate_ids must have the same length, got {len(qa)} and {len(ca)}"
        )
    q = ctx.rows(qa, what="query_ids")
    c = ctx.rows(ca, what="candidate_ids")
    want_park = kind == "investor"
    if ((q >= ctx.n_firms) != want_park).any():
        expected = "park_id" if want_park else "firm uscc"
        raise ValueError(f"{kind} queries must be {expected}s; some query_ids are not")
    if (c >= ctx.n_firms).any():
        raise ValueError("candidate_ids must be firm uscc; some are park ids")
    day = (
        np.full(len(q), np.iinfo(np.int32).max // 1024, dtype=np.int64)  # "now": all history
        if as_of is None
        else to_days(as_of, len(q))
    )
    prov, dem = (q, c) if kind == "customer" else (c, q)
    return Pairs(kind=kind, query=q, cand=c, provider=prov, demander=dem, day=day)


def feature_block(
    ctx: FeatureContext, p: Pairs, names: Sequence[str] = FEATURE_NAMES
) -> npt.NDArray[np.float32]:
    """The features ``names`` of resolved pairs as one C-contiguous float32 matrix.

    The one place pair features are computed: :func:`pair_features` (training, the planner)
    and the ranking service (one query's candidates) both call it, so the values agree to
    the bit.
    """
    n = len(p)
    cols: dict[str, npt.NDArray[np.floating]] = {
        f"kind_{k}": np.full(n, float(k == p.kind)) for k in QUERY_KINDS
    }
    for fn in FAMILY_FUNCTIONS:
        cols.update(fn(ctx, p))
    missing = set(FEATURE_NAMES) - set(cols)
    extra = set(cols) - set(FEATURE_NAMES)
    if missing or extra:  # a family and the catalogue disagree: a programming error
        raise RuntimeError(
            f"feature columns differ from the catalogue: missing {missing}, extra {extra}"
        )
    X = np.empty((n, len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        X[:, j] = cols[name]
    return X


def pair_features(
    ctx: FeatureContext,
    *,
    kind: str,
    query_ids: npt.ArrayLike,
    candidate_ids: npt.ArrayLike,
    as_of: pd.Timestamp | np.ndarray,
) -> pd.DataFrame:
    """Every catalogue feature for each (query, candidate) pair, as of a date.

    Parameters
    ----------
    ctx : FeatureContext
    kind : {"supplier", "investor", "customer"}
    query_ids, candidate_ids : array_like of str
        Same length; queries are firm uscc (supplier, customer) or park_id (investor).
    as_of : Timestamp or array of datetime64
        One date for all pairs, or one per pair. Only outcomes dated strictly before it count.

    Returns
    -------
    DataFrame
        Columns ``FEATURE_NAMES`` (float32, NaN where unknown), one row per pair, input order.
    """
    p = resolve_pairs(ctx, kind=kind, query_ids=query_ids, candidate_ids=candidate_ids, as_of=as_of)
    return pd.DataFrame(feature_block(ctx, p), columns=FEATURE_NAMES)


def node_names(ctx: FeatureContext) -> np.ndarray:
    """Chinese names of the chain nodes, in node order (object array)."""
    return np.asarray(text_col(ctx.reference.chain_nodes["name"]).to_numpy(dtype=object))


def matched_node_names(
    ctx: FeatureContext,
    provider: npt.ArrayLike,
    demander: npt.ArrayLike,
    *,
    names: np.ndarray | None = None,
) -> np.ndarray:
    """Per (provider row, demander row): Chinese names of the provider's chain nodes that the
    demander needs, else of its nodes directly upstream of a need, "、"-joined ("" if none).

    Vectorised over the pairs (bitset intersections); used by the ranking service's
    explanations, which pass ``names`` (:func:`node_names`) read once.
    """
    prov = np.asarray(provider, dtype=np.int64)
    dem = np.asarray(demander, dtype=np.int64)
    names = node_names(ctx) if names is None else names
    make = ctx.makes[prov]
    direct = make & ctx.needs[dem]
    none = nodes.count(direct) == 0
    hit = np.where(none[:, None], make & ctx.pred[dem], direct)
    # (pairs, nodes) membership from the 64-bit words, low bit first
    member = np.unpackbits(np.ascontiguousarray(hit).view(np.uint8), axis=1, bitorder="little")[
        :, : len(names)
    ]
    rows, cols = np.nonzero(member)  # row-major: each row's nodes in node order
    per_row = np.split(names[cols], np.searchsorted(rows, np.arange(1, len(prov))))
    return np.array(["、".join(row) for row in per_row], dtype=object)
