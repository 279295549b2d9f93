"""Benchmark: import a generated 100k-row enterprises CSV on SQLite and PostgreSQL.

Times reading, validating, and the whole ``import_file`` (read + validate + upsert + commit),
prints rows/s and writes them to $CHAINMATCH_HOME/bench/import.json (default var/bench).
Never asserts a time; it asserts the counts, so a broken import still fails.
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

from features.reference import load_reference
from features.uscc import USCC_CHARSET, USCC_WEIGHTS
from recommender.db import migrate
from recommender.db.engine import make_engine, make_session_factory
from recommender.ingest import CityResolver, import_file, read_table, validate_table

N_ROWS = 100_000
_CHARS = np.frombuffer(USCC_CHARSET.encode(), dtype=np.uint8)
_CITIES = np.array(["蚌埠市", "阜阳", "宿州市", "淮南", "闵行区", "苏州市", "杭州", "340200"])
_CITY_CODES = np.array(["340300", "341200", "341300", "340400", "310112", "320500", "330100"])


def _usccs(n: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct valid codes: 91 + a city adcode + 'MA' + 7 digits + the check character."""
    city = rng.choice(_CITY_CODES, n)
    bodies = np.char.add(np.char.add(np.char.add("91", city), "MA"), np.char.zfill(
        np.arange(n).astype(str), 7))  # fmt: skip
    matrix = np.frombuffer("".join(bodies.tolist()).encode(), dtype=np.uint8).reshape(n, 17)
    lookup = np.full(256, 0, dtype=np.int64)
    lookup[_CHARS] = np.arange(31)
    check = (31 - (lookup[matrix] @ np.asarray(USCC_WEIGHTS)) % 31) % 31
    return np.char.add(bodies, _CHARS[check].view("S1").astype(str))


def write_enterprises_csv(path: Path, n: int, *, seed: int = 0) -> None:
    """A valid enterprises file with Chinese headers, UTF-8 with BOM."""
    rng = np.random.default_rng(seed)
    employees = rng.integers(5, 5000, n).astype(str).astype(object)
    employees[rng.random(n) < 0.1] = ""
    frame = pd.DataFrame(
        {
            "统一社会信用代码": _usccs(n, rng),
            "企业名称": [f"皖北测试企业{i}有限公司" for i in range(n)],
            "所在城市": rng.choice(_CITIES, n),
            "行业代码": rng.choice(["3973", "3983", "3670", "C3985", "6520"], n),
            "主营产品": rng.choice(["MEMS芯片;压力传感器", "锂电池隔膜", "汽车线束"], n),
            "从业人数": employees,
            "营业收入(万元)": np.round(rng.lognormal(8, 1.5, n), 2),
            "成立年份": rng.integers(1980, 2024, n),
            "是否龙头企业": rng.choice(["是", "否"], n, p=[0.05, 0.95]),
            "专精特新": rng.choice(["无", "省级", "国家级"], n, p=[0.8, 0.15, 0.05]),
            "高新技术企业": rng.choice(["1", "0"], n),
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8-sig")


@pytest.mark.bench
def test_bench_import_100k_enterprises(db_url: str, tmp_path: Path) -> None:
    backend = make_url(db_url).get_backend_name()
    reference = load_reference()
    path = tmp_path / "enterprises.csv"
    write_enterprises_csv(path, N_ROWS)

    start = time.perf_counter()
    table = read_table(path, kind="enterprises")
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    validated = validate_table(
        table,
        cities=CityResolver(reference.cities),
        industry_codes=set(reference.industries["code"].astype(str)),
    )
    validate_s = time.perf_counter() - start
    assert validated.errors == []
    assert len(validated.frame) == N_ROWS

    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    results: dict[str, dict[str, float | int]] = {
        "read": {"rows": N_ROWS, "seconds": round(read_s, 3), "rows_per_s": round(N_ROWS / read_s)},
        "validate": {
            "rows": N_ROWS,
            "seconds": round(validate_s, 3),
            "rows_per_s": round(N_ROWS / validate_s),
        },
    }
    try:
        for label, expected in (("import_new", (N_ROWS, 0, 0)), ("reimport", (0, 0, N_ROWS))):
            session = make_session_factory(engine)()
            try:
                start = time.perf_counter()
                report = import_file(session, kind="enterprises", path=path, reference=reference)
                seconds = time.perf_counter() - start
            finally:
                session.close()
            assert (report.inserted, report.updated, report.unchanged) == expected, label
            results[label] = {
                "rows": N_ROWS,
                "seconds": round(seconds, 3),
                "rows_per_s": round(N_ROWS / seconds),
            }
    finally:
        engine.dispose()
    for label, r in results.items():
        print(f"import {backend} {label}: {N_ROWS} rows in {r['seconds']:.2f} s "
              f"= {r['rows_per_s']:,} rows/s")  # fmt: skip

    out_dir = Path(os.environ.get("CHAINMATCH_HOME", "var")) / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "import.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous[backend] = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        **results,
    }
    out.write_text(json.dumps(previous, indent=2, ensure_ascii=False))
