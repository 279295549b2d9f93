"""Chain-node sets as bitsets, and reachability in the industry-chain graph.

A set of chain nodes per entity is stored as ``W = ceil(n_nodes / 64)`` uint64 words, so
"does the provider make a node the demander needs" over a million pairs is one AND and
one ``bitwise_count``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

Bits = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]


def n_words(n_nodes: int) -> int:
    """Words needed for ``n_nodes`` bits (at least 1)."""
    return max(1, (n_nodes + 63) // 64)


def membership(items: pd.Series, node_index: pd.Index) -> sp.csr_matrix:
    """A 0/1 matrix (len(items), len(node_index)) from ``;``-joined node ids; unknown ids drop."""
    s = items.astype(object).where(items.notna(), "").astype(str).reset_index(drop=True)
    parts = s.str.split(";").explode()
    parts = parts.str.strip()
    col = node_index.get_indexer(pd.Index(parts.to_numpy(dtype=object)))
    row = parts.index.to_numpy()
    keep = col >= 0
    M = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (row[keep], col[keep])),
        shape=(len(s), len(node_index)),
    )
    M.data[:] = 1.0
    M.sum_duplicates()
    M.data[:] = 1.0
    return M


def to_bits(M: sp.spmatrix, n_nodes: int) -> Bits:
    """Pack a 0/1 sparse matrix (rows, n_nodes) into uint64 words (rows, W)."""
    C = sp.coo_matrix(M)
    W = n_words(n_nodes)
    out = np.zeros((C.shape[0], W), dtype=np.uint64)
    keep = C.data != 0
    r = C.row[keep].astype(np.int64)
    c = C.col[keep].astype(np.int64)
    np.bitwise_or.at(out, (r, c // 64), np.left_shift(np.uint64(1), (c % 64).astype(np.uint64)))
    return out


def from_bits(bits: Bits, n_nodes: int) -> sp.csr_matrix:
    """Unpack words back to a 0/1 sparse matrix (rows, n_nodes)."""
    rows, words = np.nonzero(bits)
    r_list = []
    c_list = []
    for b in range(64):  # 64 vectorised passes, independent of the number of rows
        hit = (bits[rows, words] >> np.uint64(b)) & np.uint64(1)
        sel = hit.astype(bool)
        r_list.append(rows[sel])
        c_list.append(words[sel] * 64 + b)
    r = np.concatenate(r_list)
    c = np.concatenate(c_list)
    keep = c < n_nodes
    return sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (r[keep], c[keep])),
        shape=(bits.shape[0], n_nodes),
    )


def intersect_count(a: Bits, b: Bits) -> IntArray:
    """Rowwise popcount of ``a & b`` (arrays of equal shape (n, W))."""
    return np.asarray(np.bitwise_count(a & b).sum(axis=1, dtype=np.int64))


def count(a: Bits) -> IntArray:
    """Rowwise popcount."""
    return np.asarray(np.bitwise_count(a).sum(axis=1, dtype=np.int64))


def adjacency(edges: pd.DataFrame, node_index: pd.Index) -> sp.csr_matrix:
    """Directed adjacency ``E[src, dst] = 1`` (src supplies dst); unknown nodes drop."""
    n = len(node_index)
    s = node_index.get_indexer(pd.Index(edges["src"].astype(str).to_numpy()))
    d = node_index.get_indexer(pd.Index(edges["dst"].astype(str).to_numpy()))
    keep = (s >= 0) & (d >= 0)
    E = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (s[keep], d[keep])), shape=(n, n)
    )
    E.data[:] = 1.0
    return E


def upstream_within(E: sp.csr_matrix, cap: int) -> list[sp.csr_matrix]:
    """``R[k][m, n] = 1`` when node m reaches node n downstream in at most k steps, k = 0..cap.

    ``R[0]`` is the identity.
    """
    n = E.shape[0]
    R = sp.identity(n, dtype=np.float32, format="csr")
    out = [R]
    step = R
    for _ in range(cap):
        step = (step @ E).tocsr()
        step.data[:] = 1.0
        R = (R + step).tocsr()
        R.data[:] = 1.0
        out.append(R)
    return out
