"""Benchmarks of the feature pipeline (make bench): pair features for 1M pairs, candidate
generation among 1M firms, recall@N of candidate generation on the standard world.

Figures are printed and written to $CHAINMATCH_HOME/bench/features.json; no time is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.candidates import CandidateGenerator
from features.context import FeatureContext
from features.pairs import pair_features
from features.reference import Reference, load_reference

pytestmark = pytest.mark.bench

HOME = Path(os.environ.get("CHAINMATCH_HOME", "var"))
WORLD = HOME / "world20k"
RECALL_NS = (200, 500, 1000, 2000)
RECALL_MONTHS = 6
FIGURES: dict[str, Any] = {}


def _record(**values: Any) -> None:
    FIGURES.update(values)
    out = HOME / "bench" / "features.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps(old | FIGURES, indent=2, ensure_ascii=False))
    for k, v in values.items():
        print(f"[bench features] {k} = {v}")


def _city_code(reference: Reference, names: pd.Series) -> pd.Series:
    c = reference.cities
    lookup = pd.concat(
        [
            pd.Series(c["city_code"].to_numpy(), index=c[col].astype(str).to_numpy())
            for col in ("city_code", "name", "short_name")
        ]
    )
    lookup = lookup[~lookup.index.duplicated()]
    return names.astype(str).map(lookup).fillna("").astype(object)


def load_world(folder: Path, reference: Reference) -> dict[str, pd.DataFrame]:
    """The world's import files as entity frames (city names -> city_code)."""

    def read(name: str, dates: tuple[str, ...] = ()) -> pd.DataFrame:
        f = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        for d in dates:
            f[d] = pd.to_datetime(f[d].replace("", None))
        return f

    firms = read("enterprises")
    firms["city_code"] = _city_code(reference, firms.pop("city"))
    for col in ("employees", "founded"):
        firms[col] = pd.to_numeric(firms[col]).astype("Int64")
    firms["revenue_wan"] = pd.to_numeric(firms["revenue_wan"])
    for col in ("is_leading", "is_high_tech", "listed"):
        firms[col] = firms[col].str.lower().isin(["true", "1"])
    parks = read("parks")
    parks["city_code"] = _city_code(reference, parks.pop("city"))
    for col in ("area_ha", "lat", "lon"):
        parks[col] = pd.to_numeric(parks[col])
    outcomes = read("outcomes", ("date",))
    outcomes["amount_wan"] = pd.to_numeric(outcomes["amount_wan"])
    return {
        "enterprises": firms,
        "parks": parks,
        "needs": read("needs", ("created",)),
        "outcomes": outcomes,
        "participants": read("participants"),
    }


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def world(reference: Reference) -> dict[str, pd.DataFrame]:
    if not (WORLD / "enterprises.csv").exists():
        subprocess.run(
            [
                str(Path(sys.executable).parent / "chainmatch"),
                "world",
                "--firms",
                "20000",
                "--seed",
                "7",
                "--out",
                str(WORLD),
            ],
            check=True,
        )
    return load_world(WORLD, reference)


@pytest.fixture(scope="module")
def ctx20k(reference: Reference, world: dict[str, pd.DataFrame]) -> FeatureContext:
    t = time.perf_counter()
    ctx = FeatureContext.build(reference, **world)
    _record(build_seconds_20k_firms=round(time.perf_counter() - t, 2))
    return ctx


def _tile(firms: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` firms by repeating the world's firms with fresh ids and jittered sizes."""
    rng = np.random.default_rng(seed)
    reps = int(np.ceil(n / len(firms)))
    big = pd.concat([firms] * reps, ignore_index=True).iloc[:n].copy()
    big["uscc"] = [f"X{i:017d}" for i in range(n)]
    emp = big["employees"].astype("float64").to_numpy()
    big["employees"] = pd.array(
        np.maximum(1, np.round(emp * rng.lognormal(0, 0.3, n))), dtype="Int64"
    )
    return big


def test_recall_of_candidate_generation(
    ctx20k: FeatureContext, world: dict[str, pd.DataFrame]
) -> None:
    truth = pd.read_parquet(WORLD / "truth" / "pairs.parquet")
    cut = truth["date"].max() - pd.DateOffset(months=RECALL_MONTHS)
    pos = truth[(truth["grade"] >= 1) & (truth["date"] > cut)]
    gen = CandidateGenerator(ctx20k, cap=max(RECALL_NS))
    queries = pos.groupby(["query_kind", "query_id"])["date"].min()
    hits = dict.fromkeys(RECALL_NS, 0)
    by_kind: dict[str, dict[int, int]] = {}
    n_pos: dict[str, int] = {}
    for (kind, qid), first in queries.items():
        got = gen.generate(str(kind), str(qid), as_of=pd.Timestamp(first))
        want = set(pos.loc[(pos["query_kind"] == kind) & (pos["query_id"] == qid), "candidate_id"])
        rank = {c: i for i, c in enumerate(got)}
        n_pos[str(kind)] = n_pos.get(str(kind), 0) + len(want)
        for n in RECALL_NS:
            h = sum(1 for c in want if rank.get(c, n) < n)
            hits[n] += h
            by_kind.setdefault(str(kind), dict.fromkeys(RECALL_NS, 0))[n] += h
    total = len(pos)
    recall = {f"recall@{n}": round(hits[n] / total, 4) for n in RECALL_NS}
    per_kind = {
        k: {f"recall@{n}": round(v[n] / n_pos[k], 4) for n in RECALL_NS} for k, v in by_kind.items()
    }
    _record(recall_positives=total, recall_queries=len(queries), **recall, recall_by_kind=per_kind)
    assert 0.0 <= recall["recall@200"] <= recall["recall@2000"] <= 1.0


def test_pair_features_for_one_million_pairs(
    reference: Reference, world: dict[str, pd.DataFrame], ctx20k: FeatureContext
) -> None:
    rng = np.random.default_rng(1)
    firms = world["enterprises"]
    leading = firms.loc[firms["is_leading"], "uscc"].to_numpy(dtype=object)
    others = firms.loc[~firms["is_leading"], "uscc"].to_numpy(dtype=object)
    n = 1_000_000
    q = np.repeat(rng.choice(leading, 500), n // 500)
    c = rng.choice(others, n)
    as_of = pd.Timestamp("2025-06-01")
    pair_features(ctx20k, kind="supplier", query_ids=q[:1000], candidate_ids=c[:1000], as_of=as_of)
    t = time.perf_counter()
    f = pair_features(ctx20k, kind="supplier", query_ids=q, candidate_ids=c, as_of=as_of)
    secs = time.perf_counter() - t
    # training-style: every pair its own query and date
    q2 = rng.choice(leading, n)
    days = pd.Timestamp("2023-06-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    t = time.perf_counter()
    pair_features(ctx20k, kind="supplier", query_ids=q2, candidate_ids=c, as_of=days.to_numpy())
    secs2 = time.perf_counter() - t
    _record(
        pair_features_1m_seconds=round(secs, 2),
        pair_features_1m_random_queries_dates_seconds=round(secs2, 2),
        pair_features_columns=f.shape[1],
    )
    assert f.shape == (n, len(f.columns))


def test_candidate_generation_among_one_million_firms(
    reference: Reference, world: dict[str, pd.DataFrame]
) -> None:
    big = dict(world)
    big["enterprises"] = _tile(world["enterprises"], 1_000_000)
    big["outcomes"] = world["outcomes"].iloc[:0]
    t = time.perf_counter()
    ctx = FeatureContext.build(reference, **big)
    build = time.perf_counter() - t
    t = time.perf_counter()
    gen = CandidateGenerator(ctx, cap=2000)
    index = time.perf_counter() - t
    rng = np.random.default_rng(2)
    firms = big["enterprises"]
    leading = firms.loc[firms["is_leading"], "uscc"].to_numpy(dtype=object)
    supporting = firms.loc[~firms["is_leading"], "uscc"].to_numpy(dtype=object)
    parks = big["parks"]["park_id"].to_numpy(dtype=object)
    queries = (
        [("supplier", x) for x in rng.choice(leading, 80)]
        + [("customer", x) for x in rng.choice(supporting, 60)]
        + [("investor", x) for x in rng.choice(parks, 60)]
    )
    times = []
    sizes = []
    for kind, qid in queries:
        t = time.perf_counter()
        got = gen.generate(kind, str(qid))
        times.append(time.perf_counter() - t)
        sizes.append(len(got))
    ms = np.asarray(times) * 1000
    _record(
        build_seconds_1m_firms=round(build, 1),
        candidate_index_seconds_1m_firms=round(index, 1),
        candidates_1m_median_ms=round(float(np.median(ms)), 2),
        candidates_1m_p90_ms=round(float(np.percentile(ms, 90)), 2),
        candidates_1m_median_size=int(np.median(sizes)),
        candidates_1m_queries=len(queries),
    )
    assert max(sizes) <= 2000
