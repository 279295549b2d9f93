"""TextSimilarity follows the sklearn transformer contract and gives hand-worked cosines."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from features.errors import NotFittedError
from features.text import TextSimilarity, pair_cosine


def test_cosine_of_two_short_texts_matches_the_hand_worked_value() -> None:
    # unigrams, smooth idf: a appears in both docs (idf 1), b and c in one (1 + ln 1.5);
    # the padding space is dropped. cos = 1 / (1 + (1 + ln 1.5)^2)
    model = TextSimilarity(ngram_range=(1, 1), sublinear_tf=False).fit(["ab", "ac"])
    X = model.transform(["ab", "ac"])
    got = pair_cosine(X, X, np.array([0]), np.array([1]))
    assert got[0] == pytest.approx(1 / (1 + (1 + np.log(1.5)) ** 2), rel=1e-5)


def test_identical_texts_have_cosine_one_and_disjoint_texts_zero() -> None:
    model = TextSimilarity().fit(["MEMS芯片;传感器模组", "锂电池", "汽车座椅"])
    X = model.transform(["MEMS芯片", "MEMS芯片", "锂电池"])
    got = pair_cosine(X, X, np.array([0, 0, -1]), np.array([1, 2, 0]))
    np.testing.assert_allclose(got, [1.0, 0.0, 0.0], atol=1e-6)


def test_separators_keep_ngrams_inside_one_item() -> None:
    model = TextSimilarity(ngram_range=(2, 2)).fit(["片;传", "片传"])
    assert "片传" in set(model.get_feature_names_out())
    X = model.transform(["片;传"])
    names = model.get_feature_names_out()
    assert "片传" not in {names[j] for j in X.indices}


def test_fit_returns_self_and_clone_keeps_parameters() -> None:
    model = TextSimilarity(ngram_range=(2, 3), min_df=2)
    assert model.fit(["传感器", "传感器模组"]) is model
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert not hasattr(twin, "vectorizer_")
    twin.set_params(min_df=1)
    assert twin.min_df == 1


def test_transform_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        TextSimilarity().transform(["传感器"])


def test_pair_cosine_rejects_unequal_lengths() -> None:
    X = TextSimilarity().fit(["a"]).transform(["a"])
    with pytest.raises(ValueError, match="same length"):
        pair_cosine(X, X, np.array([0, 0]), np.array([0]))


def test_pair_cosine_one_query_row_or_one_candidate_row_agrees_with_the_general_path() -> None:
    corpus = ["汽车 零部件 铸件", "锂电池 正极材料", "铸件 机加工", "电池 隔膜"]
    ts = TextSimilarity(min_df=1).fit(corpus)
    M = ts.transform(["汽车 铸件", "锂电池", "机加工 铸件", "隔膜 电池", "无关 文本"])
    rows = np.array([0, 1, 2, 3, 4, -1, 2])
    one = np.full(len(rows), 2)
    mixed = np.array([2, 2, 2, 2, 2, 2, 0])  # not constant: the general path
    fast_q = pair_cosine(M, M, one, rows)
    fast_c = pair_cosine(M, M, rows, one)
    general = pair_cosine(M, M, mixed, rows)
    np.testing.assert_allclose(fast_q[:-1], general[:-1], atol=1e-7)
    np.testing.assert_allclose(fast_c, fast_q, atol=1e-7)
    assert fast_q[2] == pytest.approx(1.0, abs=1e-6)  # a row with itself
    assert fast_q[5] == 0.0  # -1: no text
    assert fast_q[0] > fast_q[1]  # 机加工 铸件 is closer to 汽车 铸件 than to 锂电池


def test_one_query_cosine_is_the_dense_dot_product_whichever_way_it_is_read() -> None:
    # 400 texts: a few candidates read their rows from the CSR arrays, many take the whole
    # product; both must equal the dense dot products
    rng = np.random.default_rng(3)
    words = [f"词{i}" for i in range(60)]
    corpus = [" ".join(rng.choice(words, 5)) for _ in range(400)]
    M = TextSimilarity(min_df=1).fit(corpus).transform(corpus)
    dense = M.toarray()
    for n_cand in (5, 2000):  # few rows (gather) and many (whole product)
        cand = rng.integers(0, 400, n_cand)
        got = pair_cosine(M, M, np.full(n_cand, 7), cand)
        np.testing.assert_allclose(got, dense[cand] @ dense[7], atol=1e-6)
        assert got[cand == 7].min(initial=1.0) == pytest.approx(1.0, abs=1e-6)
