"""Benchmark: import a generated 100k-row enterprises CSV on SQLite and PostgreSQL, and
100k-firm registry exports (企查查 / 天眼查 layouts) built from a generated world.

Times reading, validating, and the whole ``import_file`` (read + validate + upsert + commit),
prints rows/s and writes them to $CHAINMATCH_HOME/bench/import.json (default var/bench).
Never asserts a time; it asserts the counts, so a broken import still fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.engine import make_url

from features.reference import load_reference
from features.uscc import USCC_CHARSET, USCC_WEIGHTS
from recommender.db import migrate, repo
from recommender.db.engine import make_engine, make_session_factory
from recommender.ingest import CityResolver, import_file, read_table, validate_table
from training.world.firms import generate_firms

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


# ----------------------------------------------------------------------------- registry exports
def _registry_converter() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "data" / "registry_export.py"
    spec = importlib.util.spec_from_file_location("registry_export", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _node_scores(got: pd.Series, truth: pd.Series) -> tuple[float, float]:
    """Micro precision and recall of inferred node sets against the world's own."""
    g = got.str.split(";").explode()
    t = truth.str.split(";").explode()
    g = set(zip(g.index, g, strict=True)) - {(i, "") for i in got.index}
    t = set(zip(t.index, t, strict=True)) - {(i, "") for i in truth.index}
    hit = len(g & t)
    return hit / max(len(g), 1), hit / max(len(t), 1)


def _accuracy(stored: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Share of live rows whose class, city, founding year and status are right."""
    got = stored.set_index("uscc").loc[truth["uscc"]]
    t = truth.set_index("uscc")
    live = (t["status"] == "active").to_numpy()
    out = {}
    for column in ("industry_code", "city_code", "founded", "status"):
        right = got[column].astype(str).to_numpy() == t[column].astype(str).to_numpy()
        out[column] = round(float(right[live].mean()), 5)
    out["excluded_statuses_right"] = round(
        float((got["status"].to_numpy()[~live] == t["status"].to_numpy()[~live]).mean()), 5
    )
    return out


@pytest.mark.bench
def test_bench_import_registry_export_100k(db_url: str, tmp_path: Path) -> None:
    """A 企查查-layout export of 100,000 firms (GBK CSV; on SQLite also XLSX) built from a
    generated world: import time, and how often live rows get the right GB/T class, city and
    founding year (goal: 30 s; >= 99%); node inference against the world's own nodes."""
    rx = _registry_converter()
    backend = make_url(db_url).get_backend_name()
    reference = load_reference()
    firms, _ = generate_firms(reference, N_ROWS, np.random.default_rng(0), end_year=2025)
    firms = firms.astype({"is_leading": str})
    results: dict[str, dict[str, object]] = {}
    layouts = [("qichacha", ".csv", "gbk")]
    if backend == "sqlite":  # the other layouts once, on SQLite files of their own
        layouts += [("tianyancha", ".csv", "utf-8-sig"), ("qichacha", ".xlsx", "")]
    for layout, suffix, encoding in layouts:
        frame, truth = rx.to_registry(
            firms, reference.cities, reference.industries, layout=layout,
            xlsx=suffix == ".xlsx", seed=1,
        )  # fmt: skip
        path = rx.write_export(frame, tmp_path / f"{layout}{suffix}", layout=layout,
                               encoding=encoding)  # fmt: skip
        label = f"{layout}{suffix}" + (f" {encoding}" if encoding else "")
        url = db_url if suffix == ".csv" and layout == "qichacha" else _fresh(tmp_path, label)
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session:
                start = time.perf_counter()
                report = import_file(session, kind="enterprises", path=path,
                                     reference=reference, max_bytes=10**9)  # fmt: skip
                seconds = time.perf_counter() - start
                stored = repo.load_frame(session, kind="enterprises")
                lead = rx.leading_list(firms, seed=2)
                lead_path = tmp_path / f"leaders-{layout}.csv"
                lead.to_csv(lead_path, index=False, encoding="gbk")
                start = time.perf_counter()
                listed = import_file(session, kind="enterprises", path=lead_path,
                                     reference=reference, constants={"龙头企业": "是"})  # fmt: skip
                list_s = time.perf_counter() - start
        finally:
            engine.dispose()
        assert report.inserted == N_ROWS, label
        assert listed.match is not None
        assert listed.match.by_uscc + listed.match.by_name == len(lead), label
        accuracy = _accuracy(stored, truth)
        for column in ("industry_code", "city_code", "founded"):
            assert accuracy[column] >= 0.99, (label, column, accuracy)
        truth_nodes = firms.set_index("uscc")["chain_nodes"].reindex(stored["uscc"]).fillna("")
        precision, recall = _node_scores(
            stored["chain_nodes"].reset_index(drop=True), truth_nodes.reset_index(drop=True)
        )
        results[label] = {
            "rows": N_ROWS,
            "bytes": path.stat().st_size,
            "seconds": round(seconds, 2),
            "rows_per_s": round(N_ROWS / seconds),
            "live_rows_right": accuracy,
            "nodes_precision": round(precision, 4),
            "nodes_recall": round(recall, 4),
            "leading_list_rows": len(lead),
            "leading_list_seconds": round(list_s, 2),
        }
        print(
            f"registry import {backend} {label}: {N_ROWS} rows in {seconds:.1f} s "
            f"({N_ROWS / seconds:,.0f} rows/s); live rows right: class "
            f"{accuracy['industry_code']:.2%}, city {accuracy['city_code']:.2%}, year "
            f"{accuracy['founded']:.2%}; nodes precision {precision:.3f} recall {recall:.3f}; "
            f"龙头企业 list of {len(lead)} in {list_s:.1f} s"
        )
    out_dir = Path(os.environ.get("CHAINMATCH_HOME", "var")) / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "import_registry.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous[backend] = {"machine": platform.machine(), "python": platform.python_version(),
                         **results}  # fmt: skip
    out.write_text(json.dumps(previous, indent=2, ensure_ascii=False))


def _fresh(tmp_path: Path, label: str) -> str:
    """A new SQLite file per extra layout (the backend's own database takes the first)."""
    name = "".join(c if c.isalnum() else "_" for c in label)
    return f"sqlite:///{tmp_path / f'{name}.db'}"
