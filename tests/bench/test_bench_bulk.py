"""Benchmark of ``chainmatch rank supplier --all -k 50`` (make bench): every supplier list of
an N-firm world, in-process and on a LocalCluster of 2 workers (1 thread each).

N is ``CHAINMATCH_BENCH_BULK_FIRMS`` (default 1,000,000, the issue's goal). The world is
generated, imported and trained once under $CHAINMATCH_HOME/bench/bulk_N (a READY file marks
a finished one); a ready ``rank_N`` folder of the ranking benchmark is copied instead, and a
model from ``rank_200k`` is reused for larger worlds. Each run is one CLI process; figures
(wall time, sum and spread of the partition costs, peak RSS per process) are printed and
written to $CHAINMATCH_HOME/bench/bulk.json; no time is asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bench

HOME = Path(os.environ.get("CHAINMATCH_HOME", "var")).resolve()
OUT = HOME / "bench" / "bulk.json"
N_FIRMS = int(os.environ.get("CHAINMATCH_BENCH_BULK_FIRMS", "1000000"))
K = 50
PARTITION_SIZE = 200
FIGURES: dict[str, Any] = {}


def _record(**values: Any) -> None:
    FIGURES.update(values)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(OUT.read_text()) if OUT.exists() else {}
    OUT.write_text(json.dumps(old | FIGURES, indent=2, ensure_ascii=False))
    for key, value in values.items():
        print(f"[bench bulk] {key} = {value}")


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CHAINMATCH_HOME": str(home),
        "CHAINMATCH_DATABASE_URL": f"sqlite:///{home / 'chainmatch.db'}",
        "CHAINMATCH_LOG_LEVEL": "WARNING",
    }


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("chainmatch")
    return subprocess.run(
        [str(exe), *args], env=env, check=True, capture_output=True, text=True, timeout=7200
    )


def _world(n_firms: int) -> Path:
    """A ready world of ``n_firms`` with a production model (built or copied once)."""
    home = HOME / "bench" / f"bulk_{n_firms}"
    if (home / "READY").exists():
        return home
    label = f"{n_firms // 1000}k" if n_firms < 1_000_000 else f"{n_firms // 1_000_000}m"
    ranked = HOME / "bench" / f"rank_{label}"
    home.mkdir(parents=True, exist_ok=True)
    if (ranked / "READY").exists():  # the ranking benchmark's world: copy, never share
        shutil.copyfile(ranked / "chainmatch.db", home / "chainmatch.db")
        shutil.copytree(ranked / "models", home / "models", dirs_exist_ok=True)
    else:
        _generate(home, n_firms)
    (home / "READY").touch()
    return home


def _generate(home: Path, n_firms: int) -> None:
    from features.reference import load_reference
    from recommender.db import migrate, repo
    from recommender.db.engine import make_engine, make_session_factory
    from recommender.ingest import import_dir

    env = _env(home)
    if not (home / "world" / "enterprises.csv").exists():
        _cli(env, "world", "--firms", str(n_firms), "--seed", "7", "--out", str(home / "world"))
    url = env["CHAINMATCH_DATABASE_URL"]
    (home / "chainmatch.db").unlink(missing_ok=True)
    migrate.upgrade(url)
    reference = load_reference()
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        repo.seed_reference(s, reference=reference)
        s.commit()
        import_dir(s, directory=home / "world", reference=reference, max_bytes=1 << 40)
        s.commit()
    engine.dispose()
    model_from = HOME / "bench" / "rank_200k" / "models"
    if model_from.exists():
        shutil.copytree(model_from, home / "models", dirs_exist_ok=True)
    else:
        _cli(env, "train")


def _run(home: Path, name: str, *extra: str) -> dict[str, Any]:
    out = home / f"lists_{name}.parquet"
    t0 = time.perf_counter()
    _cli(
        _env(home), "rank", "supplier", "--all", "-k", str(K), "--as-of", "2026-06-01",
        "--partition-size", str(PARTITION_SIZE), "--out", str(out), *extra,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    report = json.loads((out / "_bulk.json").read_text())
    parts = report["partitions"]
    costs = [p["seconds"] for p in parts]
    peaks: dict[str, float] = {}
    for p in parts:
        peaks[p["worker"]] = max(peaks.get(p["worker"], 0.0), p["peak_rss_mb"])
    return {
        "wall_s": round(wall, 1),
        "ranking_s": report["seconds"],
        "n_queries": report["n_queries"],
        "n_rows": report["n_rows"],
        "n_partitions": len(parts),
        "partition_cost_s": {
            "mean": round(statistics.mean(costs), 3),
            "median": round(statistics.median(costs), 3),
            "max": round(max(costs), 3),
            "sum": round(sum(costs), 1),
        },
        "ms_per_query": round(1000 * sum(costs) / report["n_queries"], 2),
        "peak_rss_mb_per_process": peaks,
        "output_mb": round(sum(f.stat().st_size for f in out.glob("*.parquet")) / 2**20, 1),
    }


def test_bench_all_supplier_lists_in_process_and_on_two_workers() -> None:
    home = _world(N_FIRMS)
    _record(n_firms=N_FIRMS, k=K, partition_size=PARTITION_SIZE, cores=os.cpu_count())
    in_process = _run(home, "in_process")
    _record(in_process=in_process)
    cluster = _run(home, "cluster", "--scheduler", "local", "--workers", "2")
    _record(local_cluster_2_workers=cluster)
    import pandas as pd

    a = pd.read_parquet(home / "lists_in_process.parquet", columns=["query_id", "candidate_id"])
    b = pd.read_parquet(home / "lists_cluster.parquet", columns=["query_id", "candidate_id"])
    same = (
        a.sort_values(["query_id"], kind="stable")
        .reset_index(drop=True)
        .equals(b.sort_values(["query_id"], kind="stable").reset_index(drop=True))
    )
    _record(same_lists=bool(same))
