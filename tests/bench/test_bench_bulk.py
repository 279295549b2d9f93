"""Benchmark of ``chainmatch rank supplier --all -k 50`` (make bench): every supplier list of
an N-firm world, in-process and on a LocalCluster of 2 workers (1 thread each).

N is ``CHAINMATCH_BENCH_BULK_FIRMS`` (default 1,000,000, the issue's goal). The world is
generated, imported and trained once under $CHAINMATCH_HOME/bench/bulk_N (a READY file marks
a finished one; the seconds it took are recorded); a ready ``rank_N`` folder of the ranking
benchmark is copied instead, and a model from ``rank_200k`` is reused for larger worlds.

The cluster run is one CLI process over every list. The in-process run is one CLI process
too, unless ``CHAINMATCH_BENCH_BULK_SAMPLE`` names a number of queries: then this process
builds the service (timed) and ranks that many queries spread evenly over the sorted ids, in
partitions of the same size, and the whole in-process run is extrapolated from them (build +
queries x CPU per list), saying so in the figures. Figures (wall time, wall and CPU cost of
the partitions, peak RSS per process) are printed and written to
$CHAINMATCH_HOME/bench/bulk.json; no time is asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bench

HOME = Path(os.environ.get("CHAINMATCH_HOME", "var")).resolve()
OUT = HOME / "bench" / "bulk.json"
N_FIRMS = int(os.environ.get("CHAINMATCH_BENCH_BULK_FIRMS", "1000000"))
SAMPLE = int(os.environ.get("CHAINMATCH_BENCH_BULK_SAMPLE", "0"))  # 0: every query
AS_OF = "2026-06-01"
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
    t0 = time.perf_counter()
    if (ranked / "READY").exists():  # the ranking benchmark's world: copy, never share
        shutil.copyfile(ranked / "chainmatch.db", home / "chainmatch.db")
        shutil.copytree(ranked / "models", home / "models", dirs_exist_ok=True)
    else:
        _generate(home, n_firms)
    (home / "READY").write_text(f"{time.perf_counter() - t0:.1f}\n")
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
        _env(home), "rank", "supplier", "--all", "-k", str(K), "--as-of", AS_OF,
        "--partition-size", str(PARTITION_SIZE), "--out", str(out), *extra,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    report = json.loads((out / "_bulk.json").read_text())
    return {
        "wall_s": round(wall, 1),
        "ranking_s": report["seconds"],
        "n_queries": report["n_queries"],
        "n_rows": report["n_rows"],
        **_partition_figures(report["partitions"]),
        "output_mb": round(sum(f.stat().st_size for f in out.glob("*.parquet")) / 2**20, 1),
    }


def _partition_figures(parts: list[dict[str, Any]]) -> dict[str, Any]:
    def spread(values: list[float]) -> dict[str, float]:
        return {
            "mean": round(statistics.mean(values), 3),
            "median": round(statistics.median(values), 3),
            "max": round(max(values), 3),
            "sum": round(sum(values), 1),
        }

    n = sum(p["n_queries"] for p in parts)
    peaks: dict[str, float] = {}
    for p in parts:
        peaks[p["worker"]] = max(peaks.get(p["worker"], 0.0), p["peak_rss_mb"])
    return {
        "n_partitions": len(parts),
        "partition_cost_s": spread([p["seconds"] for p in parts]),
        "partition_cpu_s": spread([p["cpu_seconds"] for p in parts]),
        "ms_per_query": round(1000 * sum(p["seconds"] for p in parts) / n, 2),
        "cpu_ms_per_query": round(1000 * sum(p["cpu_seconds"] for p in parts) / n, 2),
        "peak_rss_mb_per_process": peaks,
    }


def _sample_in_process(home: Path, out: Path, n_sample: int) -> dict[str, Any]:
    """``n_sample`` queries ranked in this process, the full in-process run extrapolated."""
    import pandas as pd

    from recommender.ranking import bulk
    from recommender.runtime import Runtime
    from recommender.settings import get_settings

    settings = get_settings(home=home, database_url=_env(home)["CHAINMATCH_DATABASE_URL"])
    t0, cpu0 = time.perf_counter(), time.process_time()
    service = Runtime(settings).ranking.get()
    build_s, build_cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    version = bulk.production_version(settings)
    spec = bulk.BulkSpec(kind="supplier", as_of=pd.Timestamp(AS_OF), k=K)
    ids = bulk.select_queries(service.ctx, "supplier", spec.selection)
    step = max(1, len(ids) // n_sample)
    sample = ids[::step][:n_sample]
    out = bulk.prepare_out(out)
    chunks = [sample[a : a + PARTITION_SIZE] for a in range(0, len(sample), PARTITION_SIZE)]
    parts = [
        asdict(bulk.write_partition(service, i, chunk, spec, out, model_version=version))
        for i, chunk in enumerate(chunks)
    ]
    figures = _partition_figures(parts)
    per_list_cpu = figures["cpu_ms_per_query"] / 1000
    per_list_wall = figures["ms_per_query"] / 1000
    return {
        "sampled": f"{len(sample)} of {len(ids)} queries (every {step}th); the whole run is "
        "extrapolated: build + queries x cost per list",
        "n_queries": len(ids),
        "n_sampled": len(sample),
        "build_s": round(build_s, 1),
        "build_cpu_s": round(build_cpu_s, 1),
        **figures,
        "extrapolated_wall_s": round(build_s + len(ids) * per_list_wall, 1),
        "extrapolated_cpu_s": round(build_cpu_s + len(ids) * per_list_cpu, 1),
    }


def test_bench_all_supplier_lists_in_process_and_on_two_workers() -> None:
    home = _world(N_FIRMS)
    _record(n_firms=N_FIRMS, k=K, partition_size=PARTITION_SIZE, cores=os.cpu_count())
    _record(world_prepare_s=float((home / "READY").read_text() or "nan"))
    if SAMPLE:
        in_process = _sample_in_process(home, home / "lists_in_process.parquet", SAMPLE)
    else:
        in_process = _run(home, "in_process")
    _record(in_process=in_process)
    cluster = _run(home, "cluster", "--scheduler", "local", "--workers", "2")
    _record(local_cluster_2_workers=cluster)
    import pandas as pd

    cols = ["query_id", "rank", "candidate_id"]
    a = pd.read_parquet(home / "lists_in_process.parquet", columns=cols)
    b = pd.read_parquet(home / "lists_cluster.parquet", columns=cols)
    b = b[b["query_id"].isin(set(a["query_id"]))]  # the sample's lists, when sampled
    key = ["query_id", "rank"]
    same = (
        a.sort_values(key).reset_index(drop=True).equals(b.sort_values(key).reset_index(drop=True))
    )
    _record(same_lists=bool(same), compared_lists=int(a["query_id"].nunique()))
