"""The rungs between the product's model and the perfect-label ceiling (training/quality.py):
true grades looked up per labelled row, the labelled rows relabelled with them, and the
ceiling without raw columns or with the product's hyper-parameters."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from features.catalogue import FEATURE_NAMES
from features.context import FeatureContext
from features.history import to_days
from features.reference import load_reference
from training import wholepool
from training.frames import frames_from_world
from training.pipeline import Prepared
from training.quality import true_grades_of_rows, with_true_grades
from training.rankers import RankerParams
from training.world import World, generate_world, true_grades_for_query


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(load_reference(), n_firms=1500, seed=3)


@pytest.fixture(scope="module")
def ctx(world: World) -> FeatureContext:
    ref = load_reference()
    return frames_from_world(world, ref).context(ref)


def _rows(world: World) -> pd.DataFrame:
    """Two supplier queries and a park, three candidates each, one outside the pool."""
    m = world.truth.model
    leads = [str(x) for x in m.firm_ids[np.flatnonzero(m.f_leading)[:2]]]
    sups = [str(x) for x in m.firm_ids[np.flatnonzero(~m.f_leading)[:3]]]
    helping = [str(x) for x in m.firm_ids[np.flatnonzero(m.f_helping_side)[:2]]]
    park = str(m.park_ids[0])
    rows = [("supplier", q, c, "2025-03-01") for q in leads for c in sups]
    rows += [("supplier", leads[0], leads[1], "2025-03-01")]  # a leading firm: not eligible
    rows += [("investor", park, c, "2025-06-10") for c in helping]
    return pd.DataFrame(rows, columns=["query_kind", "query_id", "candidate_id", "exposed"])


def test_true_grades_of_rows_are_the_worlds_grades_as_of_each_row(world: World) -> None:
    rows = _rows(world)
    got = true_grades_of_rows(world, rows)
    for i, (kind, qid, cid, exposed) in enumerate(rows.itertuples(index=False)):
        ids, grade = true_grades_for_query(world.truth, kind, qid, date.fromisoformat(exposed))
        hit = np.flatnonzero(ids == cid)
        want = float(grade[hit[0]]) if len(hit) else 0.0
        assert got[i] == pytest.approx(want)
    assert got[6] == 0.0  # the leading firm is no supplier candidate
    assert np.count_nonzero(got) >= 6  # the others are graded, not defaulted to 0


def test_with_true_grades_relabels_the_fitted_rows_and_nothing_else(world: World) -> None:
    rows = _rows(world).assign(grade=4, qid=0, part="train", sampled=False)
    rows.loc[rows.index[-1], "part"] = "test"
    X = pd.DataFrame({"f": np.arange(len(rows), dtype=float)})
    day = pd.Timestamp("2025-05-01")
    prepared = Prepared(rows=rows, X=X, valid_start=day, test_start=day)
    got = with_true_grades(world, prepared)
    want = true_grades_of_rows(world, rows)
    np.testing.assert_allclose(got.rows["grade"].to_numpy()[:-1], want[:-1])
    assert got.rows["grade"].iloc[-1] == 4  # a test row keeps its logged grade
    assert want[-1] != 4
    assert not np.allclose(got.rows["grade"], 4.0)
    assert (prepared.rows["grade"] == 4).all()  # the logged labels are left as they were
    assert got.X is X
    pd.testing.assert_frame_equal(got.rows.drop(columns="grade"), rows.drop(columns="grade"))


def _pool_pairs(world: World) -> tuple[pd.DataFrame, np.ndarray]:
    m = world.truth.model
    lead = str(m.firm_ids[np.flatnonzero(m.f_leading)[0]])
    ids, grade = true_grades_for_query(world.truth, "supplier", lead, date(2025, 3, 1))
    pairs = pd.DataFrame({"query_id": lead, "candidate_id": ids[:400], "exposed": "2025-03-01"})
    return pairs, grade[:400]


def test_ceiling_rungs_read_what_they_say(world: World, ctx: FeatureContext) -> None:
    pairs, grade = _pool_pairs(world)
    full = wholepool.fit_ceiling(ctx, "supplier", pairs, grade, seed=3)
    own = RankerParams(num_leaves=3, num_boost_round=7, min_data_in_leaf=20)
    small = wholepool.fit_ceiling(ctx, "supplier", pairs, grade, raw=False, params=own)
    assert set(wholepool.RAW_COLUMNS) <= set(full.feature_name())
    assert small.feature_name() == list(FEATURE_NAMES)
    assert small.num_trees() == 7
    leaves = [t["num_leaves"] for t in small.dump_model()["tree_info"]]
    assert max(leaves) <= 3
    assert full.num_trees() == wholepool.CEILING_ROUNDS

    # the scorer gives the fitted model the columns it was fitted on
    score = wholepool.ceiling_scorer(ctx, {"supplier": small})
    q = int(ctx.rows(np.array([pairs["query_id"][0]], dtype=object), what="query_id")[0])
    c = ctx.rows(pairs["candidate_id"].to_numpy(dtype=object), what="candidate_id")
    got = score("supplier", q, c, pd.Timestamp("2025-03-01"))
    day = to_days(pd.Timestamp("2025-03-01"), len(c))
    X = wholepool.ceiling_matrix(ctx, "supplier", np.full(len(c), q), c, day)
    np.testing.assert_allclose(got, small.predict(X[list(FEATURE_NAMES)]))
    # it learned the grades: the top scored tenth is better than the pool on average
    top = np.argsort(-got)[: len(got) // 10]
    assert grade[top].mean() > grade.mean()
