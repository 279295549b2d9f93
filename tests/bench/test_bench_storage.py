"""Benchmark: upsert 100k enterprise rows (insert, then an unchanged re-run, then 10% updates).

Prints rows/s and writes them to $CHAINMATCH_HOME/bench/storage.json (default var/bench).
Never asserts a time; it asserts only the counts, so a broken upsert still fails.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.engine import make_url

from features.schema import ENTERPRISE, conform
from recommender.db import migrate, repo
from recommender.db.engine import make_engine, make_session_factory, session_scope

N_ROWS = 100_000
_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_CITIES = np.array(["340300", "341200", "341300", "340400", "310112", "320500", "330100", "330200"])


def _usccs(city: np.ndarray, serial: np.ndarray) -> list[str]:
    """Valid 18-char codes: 91 + city + MA + 7-digit serial + GB 32100 check digit."""
    bodies = [f"91{c}MA{s:07d}" for c, s in zip(city, serial, strict=True)]
    digits = np.array(
        [
            [int(ch, 36) if ch.isdigit() else np.where(ch == _CHARS)[0][0] for ch in b]
            for b in bodies
        ]
    )
    check = (31 - (digits * _WEIGHTS).sum(axis=1) % 31) % 31
    return [b + _CHARS[c] for b, c in zip(bodies, check, strict=True)]


def make_enterprises(n: int, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.choice(_CITIES, n)
    products = np.array(
        ["MEMS芯片;压力传感器", "锂电池隔膜", "汽车线束", "数控机床;刀具", "光伏玻璃"]
    )
    employees = pd.array(rng.integers(5, 5000, n), dtype="Int64")
    employees[rng.random(n) < 0.1] = pd.NA
    raw = pd.DataFrame(
        {
            "uscc": _usccs(city, np.arange(n)),
            "name": [f"企业{i}有限公司" for i in range(n)],
            "city_code": city,
            "industry_code": rng.choice(["3973", "3841", "3670", "3421", "3042"], n),
            "products": rng.choice(products, n),
            "employees": employees,
            "revenue_wan": np.round(rng.lognormal(8, 1.5, n), 2),
            "founded": pd.array(rng.integers(1980, 2024, n), dtype="Int64"),
            "is_leading": rng.random(n) < 0.05,
            "srdi_level": rng.choice(["none", "province", "national"], n, p=[0.8, 0.15, 0.05]),
            "is_high_tech": rng.random(n) < 0.3,
        }
    )
    return conform(raw, ENTERPRISE)


def _timed(url: str, frame: pd.DataFrame) -> tuple[repo.UpsertCounts, float]:
    engine = make_engine(url)
    try:
        start = time.perf_counter()
        with session_scope(make_session_factory(engine)) as s:
            counts = repo.upsert_frame(s, kind="enterprises", frame=frame)
        return counts, time.perf_counter() - start
    finally:
        engine.dispose()


@pytest.mark.bench
def test_bench_upsert_100k_enterprises(db_url: str) -> None:
    backend = make_url(db_url).get_backend_name()
    migrate.upgrade(db_url)
    frame = make_enterprises(N_ROWS)
    changed = frame.copy()
    # outside the generated range, so exactly every tenth row changes
    changed.loc[changed.index % 10 == 0, "employees"] = 100_000

    results: dict[str, dict[str, float | int]] = {}
    for label, data, expected in (
        ("insert", frame, repo.UpsertCounts(N_ROWS, 0, 0)),
        ("unchanged", frame, repo.UpsertCounts(0, 0, N_ROWS)),
        ("update_10pct", changed, repo.UpsertCounts(0, N_ROWS // 10, N_ROWS - N_ROWS // 10)),
    ):
        counts, seconds = _timed(db_url, data)
        assert counts == expected, label
        results[label] = {
            "rows": N_ROWS,
            "seconds": round(seconds, 3),
            "rows_per_s": round(N_ROWS / seconds),
        }
        rate = N_ROWS / seconds
        print(f"storage {backend} {label}: {N_ROWS} rows in {seconds:.2f} s = {rate:,.0f} rows/s")

    out_dir = Path(os.environ.get("CHAINMATCH_HOME", "var")) / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "storage.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous[backend] = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        **results,
    }
    path.write_text(json.dumps(previous, indent=2, ensure_ascii=False))
