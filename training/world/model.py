"""Arrays behind the latent utility: what a firm, a park and a pair look like to the world.

:class:`PairModel` is built only from what the import files show (enterprises, parks, needs)
plus the reference data and the hidden per-firm factor, so the truth can be rebuilt from a
world directory and the utility recomputed for any pair (see :mod:`training.world.utility`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.errors import ReferenceDataError
from features.reference import Reference
from features.schema import split_multi

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

EARTH_RADIUS_KM = 6371.0
CHAIN_SAME = 0.3  # same chain, not a direct edge
CHAIN_UPSTREAM_OF_PARK_NODE = 0.6
NEVER = np.datetime64("9999-12-31", "D")
DateArray = npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class PairModel:
    """Per-entity arrays; index ``-1`` never occurs (sentinels are the last row instead).

    Attributes
    ----------
    firm_ids, park_ids : uscc and park_id in row order.
    f_city, f_node, f_sector : city row, chain node row (sentinel ``n_nodes``) and IO sector
        (sentinel ``n_sectors``) of each firm.
    f_logrev, f_quality, f_hidden : log revenue (10,000 CNY), quality score in [0, 1], hidden
        factor of each firm.
    f_need_row : row of the firm in ``e_need`` (sentinel: the last row, all NEVER).
    e_need : (owners + 1, n_nodes + 1) date each enterprise first stated a need for a node.
    p_city, p_partner : city row of each park and of its partner city (-1 if none).
    p_chain : (parks, n_nodes + 1) chain term of an investor pair by candidate node.
    p_io : (parks, n_sectors + 1) IO term of an investor pair by candidate sector.
    p_need : (parks, n_nodes + 1) date each park first stated a need for a node; the park's
        wanted nodes (for ``p_chain``) are all it ever states.
    c_lon, c_lat, c_partner : city coordinates and partner city row (-1 if none).
    sup : (n_nodes + 1, n_nodes + 1) chain term for supplier node i -> buyer node j.
    io : (n_sectors + 1, n_sectors + 1) IO term for supplier sector i -> buyer sector j.
    f_leading, f_helping_side : the firm is a leading firm / in Shanghai, Jiangsu or
        Zhejiang (the pools of customer and investor candidates).
    """

    firm_ids: pd.Index
    park_ids: pd.Index
    f_city: IntArray
    f_node: IntArray
    f_sector: IntArray
    f_logrev: FloatArray
    f_quality: FloatArray
    f_hidden: FloatArray
    f_need_row: IntArray
    e_need: DateArray
    p_city: IntArray
    p_partner: IntArray
    p_chain: FloatArray
    p_io: FloatArray
    p_need: DateArray
    c_lon: FloatArray
    c_lat: FloatArray
    c_partner: IntArray
    sup: FloatArray
    io: FloatArray
    f_leading: npt.NDArray[np.bool_]
    f_helping_side: npt.NDArray[np.bool_]


def city_rows(reference: Reference, values: pd.Series) -> IntArray:
    """Reference city row of each value (Chinese name, short name or adcode).

    Raises
    ------
    ReferenceDataError
        Naming the first value that is no reference city.
    """
    c = reference.cities
    lookup: dict[str, int] = {}
    for col in ("short_name", "city_code", "name"):  # full names win over short ones
        lookup.update({str(v): i for i, v in enumerate(c[col])})
    vals = values.astype(str).to_numpy()
    uniq, inv = np.unique(vals, return_inverse=True)
    rows = np.array([lookup.get(u, -1) for u in uniq], np.int64)
    if (rows < 0).any():
        bad = uniq[rows < 0][0]
        raise ReferenceDataError(f"{bad!r} is not a reference city (expected a name or adcode)")
    return rows[inv]


def io_term(A: FloatArray, cap: float = 0.2) -> FloatArray:
    """IO complementarity in [0, 1]: the direct coefficient, capped at ``cap`` and scaled."""
    return np.asarray(np.minimum(np.asarray(A, float), cap) / cap, dtype=float)


def _node_matrices(reference: Reference) -> tuple[dict[str, int], FloatArray, FloatArray]:
    """Node positions, the supplier chain matrix and the investor (park node) matrix."""
    nodes = reference.chain_nodes
    pos = {str(n): i for i, n in enumerate(nodes["node_id"])}
    k = len(nodes)
    chain = nodes["chain_id"].astype(str).to_numpy()
    same = (chain[:, None] == chain[None, :]).astype(float)
    sup = np.zeros((k + 1, k + 1))
    sup[:k, :k] = CHAIN_SAME * same
    inv = np.zeros((k + 1, k + 1))
    inv[:k, :k] = CHAIN_SAME * same
    for s, d in zip(reference.chain_edges["src"], reference.chain_edges["dst"], strict=True):
        if str(s) in pos and str(d) in pos:
            sup[pos[str(s)], pos[str(d)]] = 1.0
            inv[pos[str(s)], pos[str(d)]] = CHAIN_UPSTREAM_OF_PARK_NODE
    np.fill_diagonal(sup[:k, :k], CHAIN_SAME)  # a peer at the same node: a weak supplier
    np.fill_diagonal(inv[:k, :k], 1.0)  # investor makes exactly what the park wants
    return pos, sup, inv


def _need_matrix(
    owner_ids: pd.Index, needs: pd.DataFrame, kind: str, pos: dict[str, int], k: int
) -> DateArray:
    """(owners + 1, k + 1): earliest date the owner stated a need for the node, else NEVER.

    The last row (no owner) and column (no node) stay NEVER; an undated need counts from
    the beginning of time.
    """
    out = np.full((len(owner_ids) + 1, k + 1), NEVER)
    sub = needs[needs["owner_kind"].astype(str) == kind]
    rows = owner_ids.get_indexer(pd.Index(sub["owner_id"].astype(str)))
    created = pd.to_datetime(sub["created"].replace("", None)) if "created" in sub else None
    when = (
        created.fillna(pd.Timestamp("1900-01-01")).to_numpy().astype("datetime64[D]")
        if created is not None
        else np.full(len(sub), np.datetime64("1900-01-01", "D"))
    )
    for r, cn, d in zip(rows, sub["chain_nodes"].astype(str), when, strict=True):
        if r >= 0:
            for nid in split_multi(cn):
                if nid in pos:
                    out[r, pos[nid]] = min(out[r, pos[nid]], d)
    return out


def build_model(
    reference: Reference,
    enterprises: pd.DataFrame,
    parks: pd.DataFrame,
    needs: pd.DataFrame,
    hidden: FloatArray,
) -> PairModel:
    """Build the :class:`PairModel` from import-layout frames and the hidden factors.

    Parameters
    ----------
    reference : reference data.
    enterprises : enterprises in the import layout (``city`` a name or adcode).
    parks : parks with ``park_id``, ``city`` or ``city_code``, ``partner_city`` or
        ``partner_city_code``, ``gbt_divisions`` (optional).
    needs : needs in the import layout.
    hidden : hidden factor per enterprise row.
    """
    pos, sup, inv = _node_matrices(reference)
    k = len(pos)
    A = np.asarray(reference.io_A, float)
    n_sec = A.shape[0]
    io = np.zeros((n_sec + 1, n_sec + 1))
    io[:n_sec, :n_sec] = io_term(A)

    firm_ids = pd.Index(enterprises["uscc"].astype(str))
    first_node = enterprises["chain_nodes"].astype(str).str.split(";").str[0]
    f_node = np.asarray(first_node.map(pos).fillna(k), dtype=np.int64)
    sector = reference.sector_of(enterprises["industry_code"].astype(str).reset_index(drop=True))
    f_sector = np.where(sector >= 0, sector, n_sec).astype(np.int64)
    srdi = enterprises["srdi_level"].astype(str).to_numpy()
    quality = np.where(srdi == "national", 1.0, np.where(srdi == "province", 0.6, 0.0))
    quality = np.minimum(1.0, quality + 0.4 * _bool(enterprises["is_high_tech"]))
    owners = pd.Index(
        needs.loc[needs["owner_kind"].astype(str) == "enterprise", "owner_id"].astype(str).unique()
    )
    f_need_row = owners.get_indexer(firm_ids)
    f_need_row = np.where(f_need_row >= 0, f_need_row, len(owners)).astype(np.int64)

    park_ids = pd.Index(parks["park_id"].astype(str))
    p_city = city_rows(reference, parks["city"] if "city" in parks else parks["city_code"])
    pcol = "partner_city" if "partner_city" in parks else "partner_city_code"
    partner_vals = (
        parks[pcol].fillna("").astype(str) if pcol in parks else pd.Series([""] * len(parks))
    )
    p_partner = np.full(len(parks), -1, np.int64)
    has = (partner_vals != "").to_numpy()
    if has.any():
        p_partner[has] = city_rows(reference, partner_vals[has])
    p_need = _need_matrix(park_ids, needs, "park", pos, k)[: len(parks)]
    p_chain = np.zeros((len(parks), k + 1))
    for j in range(len(parks)):
        wanted = np.flatnonzero(p_need[j] < NEVER)
        if len(wanted):
            p_chain[j] = inv[:, wanted].max(axis=1)
    p_io = np.zeros((len(parks), n_sec + 1))
    divs = parks["gbt_divisions"].fillna("").astype(str) if "gbt_divisions" in parks else None
    for j in range(len(parks)):
        secs = reference.sector_of(pd.Series(split_multi(divs.iloc[j]) if divs is not None else []))
        secs = np.unique(secs[secs >= 0])
        if len(secs):
            p_io[j, :n_sec] = io[:n_sec, secs].max(axis=1)
            p_io[j, secs] = 1.0

    cities = reference.cities
    code_pos = {str(c): i for i, c in enumerate(cities["city_code"])}
    c_partner = np.array(
        [code_pos.get(str(p), -1) for p in cities["partner_code"].fillna("")], np.int64
    )
    f_city = city_rows(reference, enterprises["city"])
    prov = cities["city_code"].astype(str).str[:2].to_numpy()
    return PairModel(
        firm_ids=firm_ids,
        park_ids=park_ids,
        f_city=f_city,
        f_node=f_node,
        f_sector=f_sector,
        f_logrev=np.log(np.maximum(enterprises["revenue_wan"].to_numpy(float), 1.0)),
        f_quality=quality,
        f_hidden=np.asarray(hidden, float),
        f_need_row=f_need_row,
        e_need=_need_matrix(owners, needs, "enterprise", pos, k),
        p_city=p_city,
        p_partner=p_partner,
        p_chain=p_chain,
        p_io=p_io,
        p_need=p_need,
        c_lon=cities["lon"].to_numpy(float),
        c_lat=cities["lat"].to_numpy(float),
        c_partner=c_partner,
        sup=sup,
        io=io,
        f_leading=_bool(enterprises["is_leading"]),
        f_helping_side=np.isin(prov[f_city], ["31", "32", "33"]),
    )


def _bool(s: pd.Series) -> npt.NDArray[np.bool_]:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(bool)
    return s.astype(str).str.lower().isin(["true", "1", "是"]).to_numpy()


def haversine_km(
    lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray
) -> FloatArray:
    """Great-circle distance in km between points given in degrees (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), float)
