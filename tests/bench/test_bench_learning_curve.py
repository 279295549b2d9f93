"""Benchmark: a learning curve of the full path against the perfect-label ceiling.

For each world variant the product's model is trained on a quarter, a half and all of the
training query instances (``evaluate_world(train_shares=…)``: the world prepared once,
nested shares, the test queries and the ceiling unchanged) and its full-path NDCG@10
against the true grades is printed beside the ceiling: a gap that narrows with more
outcomes is data-bound, one that stays is the model's or its labels'. Size and variants as
the quality benchmark (``CHAINMATCH_BENCH_QUALITY_FIRMS``,
``CHAINMATCH_BENCH_QUALITY_VARIANTS``); writes $CHAINMATCH_HOME/bench/learning_curve.json.
Never asserts a figure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from features.reference import load_reference
from recommender.ranking.offline import ranker_factory
from training.frames import frames_from_world
from training.quality import evaluate_world
from training.world import VARIANTS, generate_world

pytestmark = pytest.mark.bench
KINDS = ("supplier", "investor", "customer", "all")
SHARES = (0.25, 0.5, 1.0)


def test_bench_learning_curve() -> None:
    ref = load_reference()
    n_firms = int(os.environ.get("CHAINMATCH_BENCH_QUALITY_FIRMS", "10000"))
    names = os.environ.get("CHAINMATCH_BENCH_QUALITY_VARIANTS", ",".join(VARIANTS)).split(",")
    out: dict[str, Any] = {"n_firms": n_firms, "seed": 7, "shares": SHARES, "variants": {}}
    for name in names:
        world = generate_world(ref, n_firms=n_firms, seed=7, variant=name)
        factories = {"full_path": ranker_factory(outcomes=frames_from_world(world, ref).outcomes)}
        report = evaluate_world(
            world,
            ref,
            factories=factories,
            baselines=("ceiling",),
            recall=False,
            train_shares=SHARES,
        )
        curve = {
            str(share): report.ndcg["full_path" if share == 1.0 else f"full_path@{share}"]
            for share in SHARES
        }
        ceiling = report.ndcg["ceiling"]
        print(f"\n{name}: full-path NDCG@10 by share of training queries (× ceiling)")
        for share, nd in curve.items():
            print(
                f"  {share:>5}"
                + "".join(f"{nd[k]:>8.3f} ({nd[k] / ceiling[k]:.2f})" for k in KINDS)
            )
        print("  ceil " + "".join(f"{ceiling[k]:>8.3f}       " for k in KINDS))
        out["variants"][name] = {"full_path": curve, "ceiling": ceiling}
    path = Path(os.environ.get("CHAINMATCH_HOME", "var")) / "bench" / "learning_curve.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten {path}")
