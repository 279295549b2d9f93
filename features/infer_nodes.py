"""Chain nodes inferred from a firm's industry code and its product / business-scope text.

No registry export or office list says which chain nodes (产业链环节) a firm makes, yet
candidate generation and the node features need them. A node is inferred for a firm when

* its text names one of the node's keywords (or the node's name) **and** its GB/T 4754-2017
  class is one of the node's classes (``gbt_classes``) — the keyword says *what*, the class
  confirms the firm *makes* it rather than, say, trades or services it; or
* no node passes that test, and the text names a specific keyword of the node (at least
  :data:`SPECIFIC_KEYWORD_CHARS` characters, such as 压力传感器 or 动力电池), whatever the class.

Generic scope phrases (技术服务, 货物进出口...) are expected to be removed before (the
importer cleans 经营范围). Matching is one compiled alternation of all keywords over the
distinct texts, so a million firms cost one regex pass over their distinct texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from features.schema import split_multi

__all__ = ["SPECIFIC_KEYWORD_CHARS", "NodeInference", "infer_chain_nodes"]

SPECIFIC_KEYWORD_CHARS = 4


class NodeInference:
    """Keyword and class tables of the chain nodes, compiled once.

    Parameters
    ----------
    chain_nodes : frame with ``node_id``, ``name``, ``gbt_classes`` and ``keywords``
        (``;``-joined), as ``features.reference.Reference.chain_nodes``.
    """

    def __init__(self, chain_nodes: pd.DataFrame) -> None:
        missing = {"node_id", "name", "gbt_classes", "keywords"} - set(chain_nodes.columns)
        if missing:
            raise ValueError(
                f"chain_nodes needs columns node_id, name, gbt_classes, keywords; "
                f"missing {sorted(missing)}"
            )
        nodes = chain_nodes.reset_index(drop=True)
        self.node_ids: list[str] = nodes["node_id"].astype(str).tolist()
        n = len(self.node_ids)
        by_word: dict[str, set[int]] = {}
        class_rows: list[int] = []
        class_cols: list[int] = []
        classes: dict[str, int] = {}
        for i in range(n):
            words = [*split_multi(str(nodes.at[i, "keywords"])), str(nodes.at[i, "name"])]
            for word in (w.strip().lower() for w in words):
                if len(word) >= 2:
                    by_word.setdefault(word, set()).add(i)
            for c in split_multi(str(nodes.at[i, "gbt_classes"])):
                class_rows.append(classes.setdefault(c, len(classes)))
                class_cols.append(i)
        self._words: list[str] = sorted(by_word, key=lambda w: (-len(w), w))
        self._word_nodes: Mapping[str, tuple[int, ...]] = {
            w: tuple(sorted(v)) for w, v in by_word.items()
        }
        self._pattern = re.compile("|".join(re.escape(w) for w in self._words))
        self._classes = classes
        self._class_nodes = sp.csr_matrix(
            (np.ones(len(class_rows), dtype=np.float32), (class_rows, class_cols)),
            shape=(max(len(classes), 1), n),
        )

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def text_hits(self, texts: pd.Series) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(any keyword, specific keyword) hit matrices, rows = ``texts``, cols = nodes."""
        codes, uniques = pd.factorize(texts.astype(str).str.lower().reset_index(drop=True))
        rows_any: list[int] = []
        cols_any: list[int] = []
        rows_spec: list[int] = []
        cols_spec: list[int] = []
        for u, text in enumerate(uniques):
            for word in set(self._pattern.findall(str(text))):
                nodes = self._word_nodes[word]
                rows_any.extend([u] * len(nodes))
                cols_any.extend(nodes)
                if len(word) >= SPECIFIC_KEYWORD_CHARS:
                    rows_spec.extend([u] * len(nodes))
                    cols_spec.extend(nodes)
        shape = (len(uniques), self.n_nodes)
        any_u = _binary(rows_any, cols_any, shape)
        spec_u = _binary(rows_spec, cols_spec, shape)
        return sp.csr_matrix(any_u[codes]), sp.csr_matrix(spec_u[codes])

    def class_hits(self, industry_codes: pd.Series) -> sp.csr_matrix:
        """Rows whose GB/T code is one of a node's classes (4-digit codes only)."""
        code = industry_codes.astype(str).str.strip().reset_index(drop=True)
        idx = code.map(self._classes).fillna(-1).astype(np.int64).to_numpy()
        ok = idx >= 0
        pick = sp.csr_matrix(
            (np.ones(int(ok.sum()), dtype=np.float32), (np.flatnonzero(ok), idx[ok])),
            shape=(len(code), self._class_nodes.shape[0]),
        )
        return _as_binary(pick @ self._class_nodes)

    def infer(self, industry_codes: pd.Series, texts: pd.Series) -> sp.csr_matrix:
        """0/1 matrix (firms, nodes) of the inferred nodes (rules in the module docstring)."""
        if len(industry_codes) != len(texts):
            raise ValueError(
                f"industry_codes and texts must have one entry per firm, got "
                f"{len(industry_codes)} and {len(texts)}"
            )
        any_hit, specific = self.text_hits(texts)
        confirmed = _as_binary(any_hit.multiply(self.class_hits(industry_codes)))
        none = np.asarray(confirmed.sum(axis=1)).ravel() == 0
        fallback = sp.diags(none.astype(np.float32)) @ specific
        return _as_binary(confirmed + fallback)

    def joined(self, M: sp.csr_matrix) -> pd.Series:
        """``;``-joined node ids per row of a 0/1 matrix ("" where none), in catalogue order."""
        M = sp.csr_matrix(M)
        ids = np.asarray(self.node_ids, dtype=object)
        out = np.full(M.shape[0], "", dtype=object)
        for r in np.flatnonzero(np.diff(M.indptr)):
            cols = np.sort(M.indices[M.indptr[r] : M.indptr[r + 1]])
            out[r] = ";".join(ids[cols])
        return pd.Series(out, dtype=object)


def infer_chain_nodes(
    chain_nodes: pd.DataFrame, industry_codes: pd.Series, texts: pd.Series
) -> pd.Series:
    """``;``-joined inferred node ids per firm ("" where none), index of ``industry_codes``.

    Parameters
    ----------
    chain_nodes : the reference chain nodes (node_id, name, gbt_classes, keywords).
    industry_codes : GB/T 4754-2017 code per firm.
    texts : products / cleaned business-scope text per firm.
    """
    model = NodeInference(chain_nodes)
    out = model.joined(model.infer(industry_codes, texts))
    return out.set_axis(industry_codes.index)


def _binary(rows: list[int], cols: list[int], shape: tuple[int, int]) -> sp.csr_matrix:
    M = sp.csr_matrix(
        (
            np.ones(len(rows), dtype=np.float32),
            (np.asarray(rows, np.int64), np.asarray(cols, np.int64)),
        ),
        shape=shape,
    )
    return _as_binary(M)


def _as_binary(M: sp.spmatrix | npt.NDArray[np.float32]) -> sp.csr_matrix:
    out = sp.csr_matrix(M)
    out.sum_duplicates()
    out.eliminate_zeros()
    out.data[:] = 1.0
    return out
