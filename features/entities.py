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
