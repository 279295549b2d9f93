"""Chinese text similarity: a character n-gram TF-IDF transformer and a rowwise cosine."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from features.arrays import one_value
from features.errors import NotFittedError


class TextSimilarity(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Character n-gram TF-IDF over Chinese text, rows L2-normalised.

    ``;`` and other separators count as word boundaries, so n-grams never span two
    products. Duplicate texts are vectorised once (firm frames repeat products a lot).

    Parameters
    ----------
    ngram_range : tuple of int
        Smallest and largest n-gram length (characters).
    min_df : int
        Ignore n-grams seen in fewer documents.
    max_features : int or None
        Keep at most this many n-grams (by corpus frequency).
    sublinear_tf : bool
        Use 1 + log(tf).

    Attributes
    ----------
    vectorizer_ : TfidfVectorizer
        The fitted vectoriser.
    keep_ : ndarray of float32
        1 for n-grams that count, 0 for whitespace-only ones.
    n_features_out_ : int
        Vocabulary size.
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        min_df: int = 1,
        max_features: int | None = None,
        sublinear_tf: bool = True,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def fit(self, X: Iterable[str], y: object = None) -> TextSimilarity:
        """Learn the n-gram vocabulary and IDF weights from texts ``X``; return self."""
        docs = _clean(X)
        uniques = pd.unique(docs)
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            dtype=np.float32,
        )
        # IDF should count each document, so fit on all texts, not only the unique ones,
        # unless that would be many; then unique texts weighted equally are close enough.
        self.vectorizer_.fit(docs if len(docs) <= 200_000 else uniques)
        names = self.vectorizer_.get_feature_names_out()
        # n-grams of spaces only (word padding of char_wb) say nothing; weight them 0
        self.keep_ = np.asarray([bool(n.strip()) for n in names], dtype=np.float32)
        self.n_features_out_ = len(names)
        return self

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        """Texts to an L2-normalised sparse matrix (n_texts, n_features_out_)."""
        if not hasattr(self, "vectorizer_"):
            raise NotFittedError(
                "TextSimilarity is not fitted yet; call fit(texts) before transform"
            )
        docs = _clean(X)
        codes, uniques = pd.factorize(docs)
        Xu = normalize(self.vectorizer_.transform(uniques) @ sp.diags(self.keep_))
        return sp.csr_matrix(Xu[codes], dtype=np.float32)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """The n-grams, in column order."""
        if not hasattr(self, "vectorizer_"):
            raise NotFittedError("TextSimilarity is not fitted yet")
        return np.asarray(self.vectorizer_.get_feature_names_out(), dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


def _clean(X: Iterable[str]) -> np.ndarray:
    s = pd.Series(list(X) if not isinstance(X, pd.Series) else X, dtype=object)
    s = s.where(s.notna(), "").astype(str)
    # separators become spaces so that char_wb n-grams stay inside one item
    s = s.str.replace(r"[;；,，、|/]+", " ", regex=True)
    return s.to_numpy(dtype=object)


def dense_row(M: sp.csr_matrix, row: int) -> np.ndarray:
    """Row ``row`` of a CSR matrix as a dense float64 vector (zeros for a row of -1): a
    sparse-times-dense product with it is several times cheaper than sparse-times-sparse."""
    v = np.zeros(M.shape[1], dtype=np.float64)
    if row >= 0:
        lo, hi = M.indptr[row], M.indptr[row + 1]
        v[M.indices[lo:hi]] = M.data[lo:hi]
    return v


def _rows_dot(M: sp.csr_matrix, rows: np.ndarray, V: sp.csr_matrix, v_row: int) -> np.ndarray:
    """Dot products of rows ``rows`` of ``M`` with the one row ``v_row`` of ``V``.

    When the chosen rows hold a good share of ``M``'s values (few distinct texts), the whole
    product ``M @ v`` is cheapest; otherwise the rows are read straight from the CSR arrays
    (a gather and one ``bincount``): slicing ``M[rows]`` builds a new sparse matrix, which
    costs more than the products for a few hundred rows.
    """
    v = dense_row(V, v_row)
    lo, hi = M.indptr[rows], M.indptr[rows + 1]
    lengths = (hi - lo).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(len(rows), dtype=np.float32)
    if M.nnz <= 4 * total:  # few distinct texts, each asked for often: the whole product
        dots: np.ndarray = np.asarray(M @ v, dtype=np.float64).ravel()
        return np.asarray(dots[rows], dtype=np.float32)
    owner = np.repeat(np.arange(len(rows)), lengths)
    # position of every stored value of the chosen rows: its row's start + its rank within
    pos = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths) + lo[owner]
    products = M.data[pos] * v[M.indices[pos]]
    return np.bincount(owner, weights=products, minlength=len(rows)).astype(np.float32)


def pair_cosine(
    Q: sp.csr_matrix, C: sp.csr_matrix, q_rows: np.ndarray, c_rows: np.ndarray
) -> np.ndarray:
    """Cosine of row ``q_rows[i]`` of ``Q`` with row ``c_rows[i]`` of ``C``, for every i.

    Rows must be L2-normalised (as :meth:`TextSimilarity.transform` returns), so the cosine
    is the dot product. A row index of -1 gives 0. Repeated (q, c) combinations are
    computed once.

    Parameters
    ----------
    Q, C : csr_matrix
        Query-side and candidate-side matrices with the same columns.
    q_rows, c_rows : ndarray of int
        Row indices, same length.

    Returns
    -------
    ndarray of float32, one value per pair.
    """
    q_rows = np.asarray(q_rows, dtype=np.int64)
    c_rows = np.asarray(c_rows, dtype=np.int64)
    if q_rows.shape != c_rows.shape:
        raise ValueError(
            f"q_rows and c_rows must have the same length, got {q_rows.shape} and {c_rows.shape}"
        )
    out = np.zeros(q_rows.shape[0], dtype=np.float32)
    ok = (q_rows >= 0) & (c_rows >= 0)
    if not ok.any():
        return out
    qo, co = q_rows[ok], c_rows[ok]
    if len(qo) == 1 or one_value(qo):  # one query row against many (a ranking request)
        out[ok] = _rows_dot(C, co, Q, int(qo[0]))
        return out
    if one_value(co):
        out[ok] = _rows_dot(Q, qo, C, int(co[0]))
        return out
    key = qo * (C.shape[0] + 1) + co
    ukey, inv = np.unique(key, return_inverse=True)
    uq = ukey // (C.shape[0] + 1)
    uc = ukey % (C.shape[0] + 1)
    dots = np.asarray(Q[uq].multiply(C[uc]).sum(axis=1)).ravel().astype(np.float32)
    out[ok] = dots[inv]
    return out
