"""Entity-level arrays shared by pair features and candidate generation.

Firms and parks live in one entity index (firms first, then parks) so a query of any kind
and a candidate are both row numbers into the same arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from features import nodes

if TYPE_CHECKING:
    from features.reference import Reference

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
SRDI_CODE = {"none": 0.0, "province": 1.0, "national": 2.0}
N_DIVISIONS = 100  # GB/T 4754 divisions are 2-digit numbers 01..96


def text_col(s: pd.Series) -> pd.Series:
    """A text column as plain object strings, missing -> ""."""
    return s.astype(object).where(s.notna(), "").astype(str).astype(object)


def keyword_nodes(
    texts: pd.Series, chain_nodes: pd.DataFrame, node_index: pd.Index
) -> sp.csr_matrix:
    """Rows mention a node when their text contains one of the node's keywords (or its name).

    Distinct texts are matched once; each keyword is one vectorised ``str.contains``.
    """
    codes, uniques = pd.factorize(text_col(texts).reset_index(drop=True))
    u = pd.Series(uniques, dtype="str")
    kw = chain_nodes[["node_id", "keywords"]].copy()
    kw["keywords"] = text_col(kw["keywords"]) + ";" + text_col(chain_nodes["name"])
    kw = kw.assign(kw=kw["keywords"].str.split(";")).explode("kw")
    kw["kw"] = kw["kw"].astype(str).str.strip()
    kw = kw[kw["kw"].str.len() >= 2].drop_duplicates(["node_id", "kw"])
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    col_of = node_index.get_indexer(pd.Index(kw["node_id"].to_numpy(dtype=object)))
    for word, col in zip(kw["kw"].to_numpy(dtype=object), col_of, strict=True):
        if col < 0:
            continue
        hit = np.flatnonzero(u.str.contains(str(word), regex=False).to_numpy(dtype=bool))
        rows.append(hit)
        cols.append(np.full(len(hit), col))
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    U = sp.csr_matrix(
        (np.ones(len(r), dtype=np.float32), (r, c)), shape=(len(uniques), len(node_index))
    )
    U.data[:] = 1.0
    return sp.csr_matrix(U[codes])


def division_of(industry_codes: pd.Series) -> IntArray:
    """GB/T code -> its 2-digit division as an int (-1 when not a numeric code)."""
    s = text_col(industry_codes).str.strip().str[:2]
    d = pd.to_numeric(s, errors="coerce")
    return np.asarray(d.fillna(-1).astype(np.int64).to_numpy())


def divisions_bits(divs: pd.Series) -> nodes.Bits:
    """``;``-joined 2-digit divisions -> bitsets over 0..99."""
    s = text_col(divs).reset_index(drop=True)
    parts = s.str.split(";").explode().str.strip()
    d = pd.to_numeric(parts.str[:2], errors="coerce")
    ok = d.notna().to_numpy() & (parts.str.len().to_numpy() >= 2)
    M = sp.csr_matrix(
        (
            np.ones(int(ok.sum()), dtype=np.float32),
            (parts.index.to_numpy()[ok], d.to_numpy()[ok].astype(np.int64)),
        ),
        shape=(len(s), N_DIVISIONS),
    )
    return nodes.to_bits(M, N_DIVISIONS)


def need_rows(
    needs: pd.DataFrame, ids: pd.Index, node_index: pd.Index
) -> tuple[sp.csr_matrix, pd.Series]:
    """Needs grouped per entity: node membership (E, n_nodes) and the joined description text."""
    owner = ids.get_indexer(pd.Index(text_col(needs["owner_id"]).to_numpy(dtype=object)))
    keep = owner >= 0
    nd = needs.loc[keep]
    owner = owner[keep]
    M = nodes.membership(
        text_col(nd["chain_nodes"]) if "chain_nodes" in nd else pd.Series([""] * len(nd)),
        node_index,
    )
    P = sp.csr_matrix(
        (np.ones(len(owner), dtype=np.float32), (owner, np.arange(len(owner)))),
        shape=(len(ids), len(owner)),
    )
    per_entity = (P @ M).tocsr()
    per_entity.data[:] = 1.0
    text = (
        pd.Series(text_col(nd["description"]).to_numpy(), index=owner)
        .groupby(level=0)
        .agg(";".join)
        .reindex(np.arange(len(ids)), fill_value="")
    )
    return per_entity, text.reset_index(drop=True)


def city_arrays(reference: Reference, city_codes: pd.Series) -> dict[str, np.ndarray]:
    """Per-city arrays from Reference.cities and each entity's city row (-1 unknown)."""
    cities = reference.cities.reset_index(drop=True)
    code_index = pd.Index(text_col(cities["city_code"]))
    partner = code_index.get_indexer(text_col(cities["partner_code"]).to_numpy(dtype=object))
    province, _ = pd.factorize(text_col(cities["province"]))
    role = text_col(cities["role"]).to_numpy(dtype=object)
    return {
        "entity_city": code_index.get_indexer(text_col(city_codes).to_numpy(dtype=object)),
        "partner": partner.astype(np.int64),
        "province": province.astype(np.int64),
        "helping": role == "helping",
        "wanbei": role == "wanbei",
        "lon": pd.to_numeric(cities["lon"], errors="coerce").to_numpy(dtype=np.float64),
        "lat": pd.to_numeric(cities["lat"], errors="coerce").to_numpy(dtype=np.float64),
    }


def normalise_place(names: pd.Series) -> pd.Series:
    """District/county names compared without the 区/县/市 suffix (临泉县 ~ 临泉)."""
    s = text_col(names).str.strip()
    return s.where(s.str.len() <= 2, s.str.replace(r"(区|县|市)$", "", regex=True))


def parks_with_reference(parks: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Add ``gbt_divisions`` and ``kind`` from Reference.parks where the frame lacks them."""
    out = parks.copy()
    ref = reference.parks
    by_id = ref.set_index(text_col(ref["park_id"])) if len(ref) else None
    for col, default in (("gbt_divisions", ""), ("kind", "catalogue")):
        if col in out.columns:
            out[col] = text_col(out[col])
            continue
        if by_id is not None and col in by_id.columns:
            out[col] = text_col(by_id[col].reindex(out["park_id"]).reset_index(drop=True))
        else:
            out[col] = default
        out.loc[out[col] == "", col] = default
    return out


def names_of(M: sp.csr_matrix, names: pd.Series) -> pd.Series:
    """``;``-joined node names per row of a membership matrix."""
    C = M.tocoo()
    s = pd.Series(names.to_numpy()[C.col], index=C.row).groupby(level=0).agg(";".join)
    return s.reindex(np.arange(M.shape[0]), fill_value="").reset_index(drop=True)


def places(
    reference: Reference, firms: pd.DataFrame, parks: pd.DataFrame, city: IntArray
) -> tuple[IntArray, IntArray, int]:
    """District ids per entity and the sorted keys of paired counties (both orders)."""

    def key(codes: pd.Series, names: pd.Series) -> pd.Series:
        n = normalise_place(names)
        return (text_col(codes).str[:4] + "|" + n).where(n != "", "")

    ent = key(
        pd.concat([firms["city_code"], parks["city_code"]], ignore_index=True),
        pd.concat([firms["district"], pd.Series([""] * len(parks))], ignore_index=True),
    )
    cp = reference.county_pairs
    if len(cp):
        a = key(cp["helping_code"], cp["helping_name"])
        b = key(cp["wanbei_code"], cp["wanbei_name"])
    else:
        a = b = pd.Series([], dtype=object)
    codes, uniques = pd.factorize(pd.concat([ent, a, b], ignore_index=True))
    empty_code = uniques.get_loc("") if "" in set(uniques) else -2
    codes = np.where(codes == empty_code, -1, codes).astype(np.int64)
    n = len(uniques)
    E = len(ent)
    pa, pb = codes[E : E + len(a)], codes[E + len(a) :]
    ok = (pa >= 0) & (pb >= 0)
    keys = np.unique(np.concatenate([pa[ok] * n + pb[ok], pb[ok] * n + pa[ok]]))
    return codes[:E], keys, n


def cobuilt_pairs(parks: pd.DataFrame, reference: Reference) -> tuple[np.ndarray, np.ndarray]:
    """(Wanbei city, partner city) codes of co-built parks, from the frame and the reference."""
    frames = [parks[["city_code", "partner_city_code", "kind"]]]
    rp = reference.parks
    if len(rp) and {"city_code", "partner_city_code"} <= set(rp.columns):
        frames.append(rp.reindex(columns=["city_code", "partner_city_code", "kind"]))
    allp = pd.concat(frames, ignore_index=True)
    partner = text_col(allp["partner_city_code"])
    keep = (partner != "").to_numpy()
    return (
        text_col(allp["city_code"]).to_numpy(dtype=object)[keep],
        partner.to_numpy(dtype=object)[keep],
    )


def park_gap(
    *,
    park_m: sp.csr_matrix,
    need_m: sp.csr_matrix,
    makes_m: sp.csr_matrix,
    city: IntArray,
    is_park: BoolArray,
    node_chain: IntArray,
    n_nodes: int,
) -> nodes.Bits:
    """Per park: nodes of its chains that firms in its city need and none there make."""
    E = len(city)
    gap = np.zeros((E, nodes.n_words(n_nodes)), dtype=np.uint64)
    if not is_park.any() or n_nodes == 0:
        return gap
    firm = ~is_park & (city >= 0)
    n_city = int(city.max()) + 1 if (city >= 0).any() else 0
    CF = sp.csr_matrix(
        (np.ones(int(firm.sum()), dtype=np.float32), (city[firm], np.flatnonzero(firm))),
        shape=(n_city, E),
    )
    city_need = nodes.to_bits(CF @ need_m, n_nodes)
    city_make = nodes.to_bits(CF @ makes_m, n_nodes)
    NC = sp.csr_matrix(
        (np.ones(n_nodes, dtype=np.float32), (np.arange(n_nodes), node_chain)),
        shape=(n_nodes, int(node_chain.max()) + 1),
    )
    park_rows = np.flatnonzero(is_park & (city >= 0))
    chain_mask = nodes.to_bits((park_m[park_rows] @ NC) @ NC.T, n_nodes)
    c = city[park_rows]
    gap[park_rows] = city_need[c] & ~city_make[c] & chain_mask
    return gap
