"""Pair features and human-readable pair details, vectorised over all pairs."""

from __future__ import annotations

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
from features.history import EPOCH, pair_key, to_days
from features.schema import QUERY_KINDS
from features.text import pair_cosine

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
    cols: dict[str, npt.NDArray[np.floating]] = {
        f"kind_{k}": np.full(len(p), float(k == kind)) for k in QUERY_KINDS
    }
    for fn in FAMILY_FUNCTIONS:
        cols.update(fn(ctx, p))
    missing = set(FEATURE_NAMES) - set(cols)
    extra = set(cols) - set(FEATURE_NAMES)
    if missing or extra:  # a family and the catalogue disagree: a programming error
        raise RuntimeError(
            f"feature columns differ from the catalogue: missing {missing}, extra {extra}"
        )
    return pd.DataFrame({n: np.asarray(cols[n], dtype=np.float32) for n in FEATURE_NAMES})


def pair_details(
    ctx: FeatureContext,
    *,
    kind: str,
    query_ids: npt.ArrayLike,
    candidate_ids: npt.ArrayLike,
    as_of: pd.Timestamp | np.ndarray | None = None,
) -> pd.DataFrame:
    """Human-readable values for explanations, one row per pair (meant for a top-k list).

    Returns
    -------
    DataFrame with columns query_id, candidate_id, query_city, candidate_city, distance_km,
    paired_cities (e.g. "宁波→蚌埠" when the two cities are officially paired, else ""),
    matched_nodes (Chinese names of the provider's nodes the demander needs, else of its direct
    upstream nodes, "、"-joined), best_keyword (the provider's product item closest to the
    demander's need text), last_meeting_event_id and last_meeting_date (latest record at
    meeting or beyond between the two, before ``as_of`` when given).
    """
    p = resolve_pairs(ctx, kind=kind, query_ids=query_ids, candidate_ids=candidate_ids, as_of=as_of)
    cities = ctx.reference.cities.reset_index(drop=True)
    short = text_col(cities["short_name"]).to_numpy(dtype=object)

    def city_name(rows: np.ndarray) -> np.ndarray:
        c = ctx.city[rows]
        return np.where(c >= 0, short[np.maximum(c, 0)], "")

    geo = pd.DataFrame(
        {"km": ctx.city_dist[np.maximum(ctx.city[p.query], 0), np.maximum(ctx.city[p.cand], 0)]}
    )
    geo.loc[(ctx.city[p.query] < 0) | (ctx.city[p.cand] < 0), "km"] = np.nan
    # "helping→wanbei" order for the paired-city text
    helping_first = ctx.city_helping[np.maximum(ctx.city[p.query], 0)]
    a = np.where(helping_first, city_name(p.query), city_name(p.cand))
    b = np.where(helping_first, city_name(p.cand), city_name(p.query))
    cq, cc = ctx.city[p.query], ctx.city[p.cand]
    paired = (
        (cq >= 0)
        & (cc >= 0)
        & (
            (ctx.city_partner[np.maximum(cq, 0)] == cc)
            | (ctx.city_partner[np.maximum(cc, 0)] == cq)
        )
    )
    out = pd.DataFrame(
        {
            "query_id": ctx.ids[p.query].to_numpy(dtype=object),
            "candidate_id": ctx.ids[p.cand].to_numpy(dtype=object),
            "query_city": city_name(p.query),
            "candidate_city": city_name(p.cand),
            "distance_km": geo["km"].to_numpy(),
            "paired_cities": np.where(paired, a.astype(object) + "→" + b.astype(object), ""),
            "matched_nodes": matched_node_names(ctx, p.provider, p.demander),
            "best_keyword": _best_keyword(ctx, p),
        }
    )
    last = _last_meeting(ctx, p)
    return pd.concat([out, last], axis=1)


def matched_node_names(
    ctx: FeatureContext, provider: npt.ArrayLike, demander: npt.ArrayLike
) -> np.ndarray:
    """Per (provider row, demander row): Chinese names of the provider's chain nodes that the
    demander needs, else of its nodes directly upstream of a need, "、"-joined ("" if none).

    Vectorised over the pairs (bitset intersections, one sparse matrix); used by
    :func:`pair_details` and by the ranking service's explanations.
    """
    prov = np.asarray(provider, dtype=np.int64)
    dem = np.asarray(demander, dtype=np.int64)
    names = text_col(ctx.reference.chain_nodes["name"]).to_numpy(dtype=object)
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


def _best_keyword(ctx: FeatureContext, p: Pairs) -> np.ndarray:
    products = (
        text_col(ctx.firms["products"].reindex(p.provider).reset_index(drop=True))
        if len(p)
        else pd.Series([], dtype=object)
    )
    items = products.str.split(r"[;；,，、|]").explode().str.strip()
    items = items[items.notna() & (items != "")]
    if items.empty:
        return np.full(len(p), "", dtype=object)
    pair_of = items.index.to_numpy()
    X = ctx.text_model.transform(items.to_numpy(dtype=object))
    sims = pair_cosine(ctx.need_matrix, X, ctx.need_row[p.demander][pair_of], np.arange(len(items)))
    best = pd.DataFrame({"pair": pair_of, "sim": sims, "item": items.to_numpy(dtype=object)})
    best = best.sort_values(["pair", "sim"], ascending=[True, False], kind="stable")
    first = best.drop_duplicates("pair").set_index("pair")
    first.loc[first["sim"] <= 0, "item"] = ""
    return first["item"].reindex(np.arange(len(p)), fill_value="").to_numpy(dtype=object)


def _last_meeting(ctx: FeatureContext, p: Pairs) -> pd.DataFrame:
    h = ctx.history
    E = ctx.n_entities
    rec_key = pair_key(h.query, h.cand, E)
    want = pair_key(p.query, p.cand, E)
    recs = pd.DataFrame({"key": rec_key, "day": h.day, "event": h.event_id, "grade": h.grade})
    recs = recs[(recs["grade"] >= 1) & recs["key"].isin(want)]
    asked = pd.DataFrame({"key": want, "asof": p.day, "pair": np.arange(len(p))})
    m = asked.merge(recs, on="key", how="inner")
    m = (
        m[m["day"] < m["asof"]]
        .sort_values(["pair", "day"], kind="stable")
        .drop_duplicates("pair", keep="last")
    )
    m = m.set_index("pair").reindex(np.arange(len(p)))
    date = pd.Timestamp(EPOCH) + pd.to_timedelta(m["day"].to_numpy(dtype=np.float64), unit="D")
    return pd.DataFrame(
        {
            "last_meeting_event_id": text_col(m["event"]).to_numpy(dtype=object),
            "last_meeting_date": np.asarray(date, dtype="datetime64[ns]"),
        }
    )
