"""Per-feature contributions of a tree model from the leaves a row reaches (path attribution).

A reason needs to know which features pushed a candidate up. LightGBM's exact TreeSHAP
(``pred_contrib=True``) costs about 0.4 ms a row with 250 trees on this machine, more than
the rest of a request. Path attribution (Saabas; the method of the ``treeinterpreter``
package) gives the same kind of answer for a fraction of it: along the path from a tree's
root to the leaf a row reaches, each split moves the expected value from the node's value
to its child's, and that move is credited to the split's feature. The credits of a path sum
to ``leaf value - root value``, so over all trees they sum to the raw score minus the bias
(the roots' values), as SHAP values do.

Everything depends only on the model, so :class:`TreePaths` turns each leaf into a row of
a table once, when the model is loaded; a request asks LightGBM only for the leaf indices of
its top k (``pred_leaf=True``) and sums table rows.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["TreePaths"]

FloatArray = npt.NDArray[np.float64]


def _leaves(
    node: Mapping[str, Any], value: float, credit: dict[int, float]
) -> Iterator[tuple[int, float, dict[int, float]]]:
    """(leaf index, leaf value, feature -> credit along the path) for every leaf below."""
    if "leaf_index" in node:
        yield int(node["leaf_index"]), float(node["leaf_value"]), credit
        return
    feature = int(node["split_feature"])
    for side in ("left_child", "right_child"):
        child = node[side]
        is_leaf = "leaf_index" in child
        child_value = float(child["leaf_value"] if is_leaf else child["internal_value"])
        step = dict(credit)
        step[feature] = step.get(feature, 0.0) + child_value - value
        yield from _leaves(child, child_value, step)


class TreePaths:
    """Leaf-indexed contribution table of a LightGBM model (one output per iteration).

    Parameters
    ----------
    booster : the model; its trees are read once with ``dump_model``.
    """

    def __init__(self, booster: lgb.Booster) -> None:
        dump = booster.dump_model()
        if int(dump.get("num_tree_per_iteration", 1)) != 1:
            raise ValueError("path contributions need a model with one tree per iteration")
        self.n_features = int(dump["max_feature_idx"]) + 1
        trees = dump["tree_info"]
        sizes = np.array([int(t["num_leaves"]) for t in trees], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        table = np.zeros((int(sizes.sum()), self.n_features + 1), dtype=np.float64)
        for t, tree in enumerate(trees):
            root = tree["tree_structure"]
            if "leaf_index" not in root:
                root_value = float(root["internal_value"])
                for leaf, leaf_value, credit in _leaves(root, root_value, {}):
                    row = table[self.offsets[t] + leaf]
                    for feature, c in credit.items():
                        row[feature] += c
                    # the bias column takes what the rounded node values leave over, so a
                    # row's credits sum to its leaf value exactly
                    row[-1] = leaf_value - row[:-1].sum()
            else:
                table[self.offsets[t], -1] = float(root["leaf_value"])
        self.table = table
        self.n_trees = len(trees)

    def grouped(self, groups: FloatArray) -> TreePaths:
        """The same table with its columns combined by ``groups`` (``(F + 1, G)``, the last
        row the bias): :meth:`contributions` then answers ``(n, G)`` group sums, and a
        request gathers G numbers a leaf instead of F + 1."""
        if groups.shape[0] != self.table.shape[1]:
            raise ValueError(f"groups need {self.table.shape[1]} rows, got {groups.shape[0]}")
        out = copy.copy(self)
        out.table = np.ascontiguousarray(self.table @ groups)
        return out

    def contributions(self, booster: lgb.Booster, X: npt.ArrayLike) -> FloatArray:
        """``(n, F + 1)`` contributions of ``X``'s rows (last column: the bias), summing to
        the raw score (a :meth:`grouped` table: ``(n, G)``); ``booster`` must be the model
        the table was built from."""
        leaves = np.asarray(booster.predict(X, pred_leaf=True, num_threads=1), dtype=np.int64)
        if leaves.ndim == 1:
            leaves = leaves[:, None]
        if leaves.shape[1] != self.n_trees:
            raise ValueError(f"the booster has {leaves.shape[1]} trees, the table {self.n_trees}")
        # a row's leaves as a sparse 0/1 row times the table: one pass in C (a gather of
        # n x trees table rows summed over trees took 4x as long for 20 rows)
        n, trees = leaves.shape
        reached = sp.csr_matrix(
            (
                np.ones(n * trees),
                (leaves + self.offsets).ravel(),
                np.arange(0, n * trees + 1, trees),
            ),
            shape=(n, len(self.table)),
        )
        return np.asarray(reached @ self.table, dtype=np.float64)
