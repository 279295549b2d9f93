"""Benchmark: generate and write worlds of 10k, 100k and 1M firms.

Prints seconds per stage and writes them to $CHAINMATCH_HOME/bench/world.json (default
var/bench). Never asserts a time; it asserts the sizes, so a broken generator still fails.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import pytest

from features.reference import load_reference
from training.world import generate_world, write_world

SIZES = (10_000, 100_000, 1_000_000)


@pytest.mark.bench
def test_bench_world(tmp_path: Path) -> None:
    reference = load_reference()
    results: dict[str, dict[str, object]] = {}
    for n in SIZES:
        t0 = time.perf_counter()
        marks: dict[str, float] = {}

        def step(name: str, marks: dict[str, float] = marks, t0: float = t0) -> None:
            marks[name] = round(time.perf_counter() - t0, 2)

        world = generate_world(reference, n_firms=n, seed=1, on_step=step)
        generated = time.perf_counter() - t0
        write_world(world, tmp_path / str(n))
        total = time.perf_counter() - t0
        assert len(world.enterprises) == n
        assert world.enterprises["uscc"].is_unique
        assert len(world.outcomes) > len(world.truth.pairs) > 10_000
        results[str(n)] = {
            "generate_s": round(generated, 2),
            "write_s": round(total - generated, 2),
            "total_s": round(total, 2),
            "steps_cumulative_s": marks,
            "pairs": len(world.truth.pairs),
            "outcome_rows": len(world.outcomes),
        }
        print(
            f"world {n:>9,} firms: generate {generated:6.1f} s, write {total - generated:5.1f} s, "
            f"{len(world.truth.pairs):,} pairs, {len(world.outcomes):,} outcome rows; {marks}"
        )
        del world

    out_dir = Path(os.environ.get("CHAINMATCH_HOME", "var")) / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sizes": results,
    }
    (out_dir / "world.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
