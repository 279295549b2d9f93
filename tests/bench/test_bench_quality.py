"""Benchmark: ranking quality of what users get, on every world variant, against the truth.

For each variant of the synthetic world (training/world/variants.py) the product's model is
trained as ``chainmatch train`` trains it, then every test query is ranked over the whole
catalogue through the serving path (candidates → model → default rules → top-k) and scored
against the world's true expected grades. Beside it: the same model with each rule switched
off (the rule's cost), the plain LambdaRank on raw columns over the whole pool, the
perfect-label ceiling and the rungs between it and the product's model (``true_labels``:
the product's rows and model with true grades as labels; ``ceiling_small``: the ceiling's
pool pairs and true grades through the product's features and hyper-parameters;
``ceiling_features``: the same with the ceiling's big trees), the office rule, random, and
the recall of the true top-10 within the
first 500/1,000/2,000 generated candidates. Goals: full path ≥ 1.15
× plain and ≥ 0.85 × ceiling on every variant and kind; recall ≥ 0.95 at ≤ 2,000.

Size: ``CHAINMATCH_BENCH_QUALITY_FIRMS`` (default 10,000 firms, seed 7); variants:
``CHAINMATCH_BENCH_QUALITY_VARIANTS`` (default all). Prints the table and writes
$CHAINMATCH_HOME/bench/quality.json. Never asserts a figure.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from features.reference import load_reference
from recommender.ranking.offline import ranker_factory
from recommender.ranking.rules import Boosts, Diversity, Exclusions, Rules
from training.frames import frames_from_world
from training.quality import evaluate_world
from training.world import VARIANTS, generate_world

pytestmark = pytest.mark.bench
KINDS = ("all", "supplier", "investor", "customer")
DEFAULT = Rules()
RULE_OFF = {
    "no_diversity": replace(DEFAULT, diversity=Diversity(tolerance=0.0)),
    "no_decline_exclusion": replace(DEFAULT, exclusions=Exclusions(declined_within_months=0)),
    "no_boosts": replace(DEFAULT, boosts=Boosts(0.0, 0.0)),
    "no_rules": Rules(
        boosts=Boosts(0.0, 0.0),
        exclusions=Exclusions(existing_partners=False, declined_within_months=0),
        diversity=Diversity(tolerance=0.0),
    ),
}


# from the product's model up to the ceiling, one change a rung (training/quality.py)
LADDER = ("true_labels", "ceiling_small", "ceiling_features", "ceiling")


def _out() -> Path:
    out = Path(os.environ.get("CHAINMATCH_HOME", "var")) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _row(name: str, per: dict[str, float]) -> str:
    return f"  {name:<22}" + "".join(f"{per.get(k, float('nan')):>10.3f}" for k in KINDS)


def test_bench_quality() -> None:
    ref = load_reference()
    n_firms = int(os.environ.get("CHAINMATCH_BENCH_QUALITY_FIRMS", "10000"))
    names = os.environ.get("CHAINMATCH_BENCH_QUALITY_VARIANTS", ",".join(VARIANTS)).split(",")
    results: dict[str, Any] = {"n_firms": n_firms, "seed": 7, "variants": {}}
    for name in names:
        t0 = time.perf_counter()
        world = generate_world(ref, n_firms=n_firms, seed=7, variant=name)
        outcomes = frames_from_world(world, ref).outcomes
        factories = {"full_path": ranker_factory(outcomes=outcomes)}
        factories |= {k: ranker_factory(rules=r, outcomes=outcomes) for k, r in RULE_OFF.items()}
        report = evaluate_world(world, ref, factories=factories)
        n = report.ndcg
        print(f"\n{name}: NDCG@10 vs the true grades, whole catalogue; queries {report.n_queries}")
        print(f"  {'ranker':<22}" + "".join(f"{k:>10}" for k in KINDS))
        for r in ("full_path", *RULE_OFF, "plain", *LADDER, "rule", "random", "oracle"):
            if r in n:
                print(_row(r, n[r]))
        ratios = {
            "×plain": {k: n["full_path"][k] / n["plain"][k] for k in KINDS},
            "×ceiling": {k: n["full_path"][k] / n["ceiling"][k] for k in KINDS},
        }
        for r, per in ratios.items():
            print(_row(f"full_path {r}", per))
        costs = {r: {k: n[r][k] - n["full_path"][k] for k in KINDS} for r in RULE_OFF}
        for r, per in costs.items():
            print(_row(f"gain if {r}", per))
        for kind, rec in sorted(report.recall.items()):
            print(
                f"  recall of true top-10, {kind}: "
                + ", ".join(f"@{at} {v:.3f}" for at, v in sorted(rec.items()))
            )
        results["variants"][name] = {
            **report.to_dict(),
            "ratios": ratios,
            "rule_gain_if_off": costs,
            "seconds_total": time.perf_counter() - t0,
        }
    path = _out() / "quality.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten {path}")
