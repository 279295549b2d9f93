"""Every list of a kind at once (``chainmatch rank KIND --all``), in-process or on Dask.

Each list is what one request gives: the queries are split into partitions and every query
goes through :meth:`recommender.ranking.service.RankingService.rank` with the same ``k``,
filters and ``as_of`` (fixed once by the driver, so every worker ranks on the same day).
There is no batch exposure cap across lists: a nightly refresh of every list is the
catalogue, not one batch shown to one audience.

On a cluster (``dask.distributed``) the ranking service is built once per worker, lazily,
by :class:`RankingPlugin` through the composition root (:class:`recommender.runtime.Runtime`:
database, reference data, model registry, rules); tasks carry only query ids. Each task
writes its own Parquet file ``part-NNNNN.parquet`` (atomically, so a task retried after a
worker died simply rewrites it) into the output directory, which therefore must be
reachable by every worker, as must the database and the model registry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import resource
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import WorkerPlugin

from recommender.errors import ModelError, ValidationError
from recommender.ranking.results import RankFilters

if TYPE_CHECKING:
    from distributed import Client, Worker

    from features.context import FeatureContext
    from recommender.ranking.service import RankedList, RankingService
    from recommender.settings import Settings

__all__ = [
    "SCHEMA",
    "BulkReport",
    "BulkSpec",
    "PartitionReport",
    "QuerySelection",
    "RankingPlugin",
    "open_client",
    "parse_where",
    "rank_partition",
    "run_in_process",
    "run_on_cluster",
    "select_queries",
]

DEFAULT_PARTITION_SIZE = 200
WHERE_KEYS = ("city", "province")

SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("query_id", pa.string()),
        ("query_name", pa.string()),
        ("query_city", pa.string()),
        ("rank", pa.int32()),
        ("candidate_id", pa.string()),
        ("name", pa.string()),
        ("city", pa.string()),
        ("city_code", pa.string()),
        ("score", pa.float64()),
        ("model_score", pa.float64()),
        ("p_success", pa.float64()),
        ("reasons", pa.string()),
        ("reasons_en", pa.string()),
        ("model_version", pa.string()),
        ("as_of", pa.date32()),
    ]
)


# -- what to compute ----------------------------------------------------------------------
@dataclass(frozen=True)
class QuerySelection:
    """Which queries of a kind to rank: those in one of ``city_codes`` (6-digit adcodes)
    and one of ``provinces`` (reference names, 安徽省); empty means all."""

    city_codes: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()


@dataclass(frozen=True)
class BulkSpec:
    """One bulk run: kind, list length, candidate filters, the ranking day, the queries."""

    kind: str
    as_of: pd.Timestamp
    k: int = 50
    filters: RankFilters = field(default_factory=RankFilters)
    selection: QuerySelection = field(default_factory=QuerySelection)
    partition_size: int = DEFAULT_PARTITION_SIZE

    def __post_init__(self) -> None:
        size = self.partition_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValidationError(f"partition size must be an integer >= 1, got {size!r}")


def parse_where(items: Sequence[str], cities: pd.DataFrame) -> QuerySelection:
    """``--where city=蚌埠 --where province=安徽省`` as a :class:`QuerySelection`.

    Raises
    ------
    ValidationError
        An item that is not ``city=NAME`` or ``province=NAME``, an unknown city or province.
    """
    from recommender.ingest.cities import city_codes

    by_key: dict[str, list[str]] = {key: [] for key in WHERE_KEYS}
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in by_key or not value:
            raise ValidationError(
                f"--where 只接受 city=城市 或 province=省份 (expected city=NAME or "
                f"province=NAME), got {item!r}"
            )
        by_key[key].append(value)
    known = set(cities["province"].astype(str))
    provinces = tuple(_province(v, known) for v in by_key["province"])
    codes = city_codes(by_key["city"], cities, what="--where city")
    return QuerySelection(city_codes=codes, provinces=provinces)


def _province(value: str, known: set[str]) -> str:
    for name in (value, value + "省", value + "市"):
        if name in known:
            return name
    raise ValidationError(
        f"--where province: 未知省份 (expected one of {sorted(known)}), got {value!r}"
    )


def select_queries(ctx: FeatureContext, kind: str, selection: QuerySelection) -> list[str]:
    """Every query of ``kind`` the selection keeps, sorted by id.

    Leading firms for ``supplier``, supporting firms for ``customer`` (both without the
    firms 注销/吊销, as a query file skips them), parks for ``investor``.
    """
    F = ctx.n_firms
    if kind == "investor":
        rows = np.arange(F, ctx.n_entities)
    elif kind in ("supplier", "customer"):
        leading = np.asarray(ctx.leading[:F], dtype=bool)
        keep = (leading if kind == "supplier" else ~leading) & np.asarray(ctx.live[:F], bool)
        rows = np.flatnonzero(keep)
    else:
        raise ValidationError(
            f"kind must be one of ['supplier', 'investor', 'customer'], got {kind!r}"
        )
    cities = ctx.reference.cities.reset_index(drop=True)
    city = np.asarray(ctx.city, dtype=np.int64)[rows]
    if selection.city_codes or selection.provinces:
        known = city >= 0
        safe = np.where(known, city, 0)
        keep = known.copy()
        if selection.city_codes:
            keep &= cities["city_code"].astype(str).isin(selection.city_codes).to_numpy()[safe]
        if selection.provinces:
            keep &= cities["province"].astype(str).isin(selection.provinces).to_numpy()[safe]
        rows = rows[keep]
    return sorted(ctx.ids[rows].astype(str))


# -- one partition ------------------------------------------------------------------------
@dataclass(frozen=True)
class PartitionReport:
    """What one partition cost, for the run's summary and the benchmark (``cpu_seconds``:
    the process's CPU time, which other jobs on a shared core do not inflate)."""

    index: int
    n_queries: int
    n_rows: int
    seconds: float
    cpu_seconds: float
    worker: str
    pid: int
    peak_rss_mb: float
    model_version: str


def lists_to_table(
    lists: Sequence[RankedList], query_cities: Mapping[str, str] | None = None
) -> pa.Table:
    """The rows of ``lists`` in :data:`SCHEMA` (reasons joined into one cell per language;
    ``query_cities`` names each query's city, by query id)."""
    rows: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    cities = query_cities or {}
    for r in lists:
        day = pd.Timestamp(r.as_of).date()
        for c in r.candidates:
            values = (
                r.kind, r.query_id, r.query_name, cities.get(r.query_id, ""), c.rank,
                c.candidate_id, c.name, c.city_name, c.city_code, c.final_score, c.score,
                c.p_success,
                "；".join(x.text_zh for x in c.reasons), "; ".join(x.text_en for x in c.reasons),
                r.model_version, day,
            )  # fmt: skip
            for name, value in zip(SCHEMA.names, values, strict=True):
                rows[name].append(value)
    return pa.table(rows, schema=SCHEMA)


def rank_queries(
    service: RankingService, query_ids: Sequence[str], spec: BulkSpec, *, model_version: str
) -> list[RankedList]:
    """One :meth:`RankingService.rank` per query; a list from another model is an error."""
    lists = [
        service.rank(spec.kind, q, k=spec.k, filters=spec.filters, as_of=spec.as_of)
        for q in query_ids
    ]
    for r in lists:
        if r.model_version != model_version:
            raise ModelError(
                f"生产模型在运行中变了 (the production model changed during the run): "
                f"expected {model_version}, query {r.query_id} was ranked by {r.model_version}"
            )
    return lists


def city_names(ctx: FeatureContext, ids: Sequence[str]) -> dict[str, str]:
    """The city name (蚌埠市) of each query id ("" when unknown)."""
    names = ctx.reference.cities.reset_index(drop=True)["name"].astype(str).to_numpy()
    rows = ctx.rows(np.asarray(ids, dtype=object), what="query_ids")
    city = np.asarray(ctx.city, dtype=np.int64)[rows]
    return {q: str(names[c]) if c >= 0 else "" for q, c in zip(ids, city, strict=True)}


def part_path(out_dir: Path, index: int) -> Path:
    return out_dir / f"part-{index:05d}.parquet"


def write_partition(
    service: RankingService,
    index: int,
    query_ids: Sequence[str],
    spec: BulkSpec,
    out_dir: Path,
    *,
    model_version: str,
    worker: str = "local",
) -> PartitionReport:
    """Rank one partition and write it to ``part-NNNNN.parquet`` (write, then rename)."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    lists = rank_queries(service, query_ids, spec, model_version=model_version)
    table = lists_to_table(lists, city_names(service.ctx, query_ids))
    final = part_path(out_dir, index)
    tmp = out_dir / f".{final.name}.{uuid.uuid4().hex}.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, final)
    return PartitionReport(
        index=index,
        n_queries=len(query_ids),
        n_rows=table.num_rows,
        seconds=round(time.perf_counter() - t0, 4),
        cpu_seconds=round(time.process_time() - cpu0, 4),
        worker=worker,
        pid=os.getpid(),
        peak_rss_mb=peak_rss_mb(),
        model_version=model_version,
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- the whole run ------------------------------------------------------------------------
@dataclass(frozen=True)
class BulkReport:
    """A finished run; also written as ``_bulk.json`` beside the parts."""

    kind: str
    k: int
    as_of: str
    model_version: str
    n_queries: int
    n_rows: int
    seconds: float
    scheduler: str
    out: str
    partitions: list[PartitionReport]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def production_version(settings: Settings) -> str:
    """The registry's production model version; :class:`ModelError` when there is none."""
    from training.registry import ModelRegistry

    version = ModelRegistry(settings.models_dir).production()
    if version is None:
        raise ModelError(
            f"没有生产模型 (no production model in {settings.models_dir}); "
            "train and promote one first (chainmatch train)"
        )
    return version


def _chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def prepare_out(out: Path) -> Path:
    """Make ``out`` a directory holding no earlier parts (other files are left alone)."""
    if out.exists() and not out.is_dir():
        raise ValidationError(f"--out must be a directory for a Parquet dataset, got file {out}")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.parquet"):
        old.unlink()
    return out


def _finish(
    spec: BulkSpec,
    version: str,
    n_queries: int,
    parts: list[PartitionReport],
    *,
    t0: float,
    scheduler: str,
    out: Path,
) -> BulkReport:
    if not parts:  # no query selected: an empty part keeps the dataset readable, with columns
        pq.write_table(SCHEMA.empty_table(), part_path(out, 0))
    report = BulkReport(
        kind=spec.kind,
        k=spec.k,
        as_of=str(spec.as_of.date()),
        model_version=version,
        n_queries=n_queries,
        n_rows=sum(p.n_rows for p in parts),
        seconds=round(time.perf_counter() - t0, 3),
        scheduler=scheduler,
        out=str(out),
        partitions=sorted(parts, key=lambda p: p.index),
    )
    (out / "_bulk.json").write_text(
        json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return report


def run_in_process(
    service: RankingService,
    spec: BulkSpec,
    out: Path,
    *,
    model_version: str,
    on_partition: Callable[[PartitionReport], None] | None = None,
) -> BulkReport:
    """Every list of ``spec`` with one service in this process, partition by partition."""
    t0 = time.perf_counter()
    out = prepare_out(out)
    ids = select_queries(service.ctx, spec.kind, spec.selection)
    parts: list[PartitionReport] = []
    for index, chunk in enumerate(_chunks(ids, spec.partition_size)):
        part = write_partition(service, index, chunk, spec, out, model_version=model_version)
        parts.append(part)
        if on_partition is not None:
            on_partition(part)
    return _finish(spec, model_version, len(ids), parts, t0=t0, scheduler="in-process", out=out)


# -- on a Dask cluster --------------------------------------------------------------------
# (distributed leaves Client, LocalCluster, progress and gather untyped: hence the ignores)
def settings_values(settings: Settings) -> dict[str, str]:
    """What a worker needs to rebuild the same runtime: absolute paths and the database URL."""
    values = {
        "home": str(Path(settings.home).resolve()),
        "database_url": settings.effective_database_url,
        "reference_dir": str(Path(settings.reference_dir).resolve()),
    }
    if settings.rules_file is not None:
        values["rules_file"] = str(Path(settings.rules_file).resolve())
    return values


def plugin_name(values: Mapping[str, str], model_version: str) -> str:
    """One plugin (one cached service) per database URL, data home and model version."""
    key = json.dumps([sorted(values.items()), model_version], ensure_ascii=False)
    return "chainmatch-ranking-" + hashlib.sha256(key.encode()).hexdigest()[:12]


class RankingPlugin(WorkerPlugin):
    """Builds the ranking service once per worker, on its first task, and keeps it.

    Only settings values and the model version travel (a few hundred bytes); the worker
    reads the database, the reference data and the registry itself, through
    :class:`recommender.runtime.Runtime`, as the API does. A worker that finds another
    production model than the driver's refuses to rank (:class:`ModelError`).
    """

    def __init__(self, values: Mapping[str, str], model_version: str) -> None:
        self.values = dict(values)
        self.model_version = model_version
        self.name = plugin_name(values, model_version)
        self._service: RankingService | None = None
        self._lock: threading.Lock | None = None

    def setup(self, worker: Worker) -> None:
        self._lock = threading.Lock()
        self._service = None

    def teardown(self, worker: Worker) -> None:
        self._service = None

    def service(self) -> RankingService:
        """The worker's service, built on first use (one build even with several threads)."""
        if self._lock is None:  # used outside a worker (setup not called)
            self._lock = threading.Lock()
        with self._lock:
            if self._service is None:
                self._service = self._build()
            return self._service

    def _build(self) -> RankingService:
        from recommender.runtime import Runtime
        from recommender.settings import get_settings

        service = Runtime(get_settings(**self.values)).ranking.get()
        found = service.models.current().version
        if found != self.model_version:
            raise ModelError(
                f"工作节点上的生产模型不同 (the worker's production model differs): expected "
                f"{self.model_version}, found {found}; the workers must see the same model "
                "registry as the driver"
            )
        return service


def _plugin(name: str) -> tuple[RankingPlugin, str]:
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, RankingPlugin):
        raise ModelError(f"worker {worker.address} has no ranking plugin {name!r}")
    return plugin, str(worker.address)


def list_queries(name: str, kind: str, selection: QuerySelection) -> list[str]:
    """Task: the queries to rank, from the worker's own feature context."""
    plugin, _ = _plugin(name)
    return select_queries(plugin.service().ctx, kind, selection)


def rank_partition(
    name: str, index: int, query_ids: Sequence[str], spec: BulkSpec, out_dir: str
) -> PartitionReport:
    """Task: rank one partition with the worker's cached service and write its part file."""
    plugin, address = _plugin(name)
    return write_partition(
        plugin.service(),
        index,
        query_ids,
        spec,
        Path(out_dir),
        model_version=plugin.model_version,
        worker=address,
    )


PartitionTask = Callable[[str, int, Sequence[str], BulkSpec, str], PartitionReport]


def run_on_cluster(
    client: Client,
    settings: Settings,
    spec: BulkSpec,
    out: Path,
    *,
    task: PartitionTask = rank_partition,
    show_progress: bool = True,
) -> BulkReport:
    """Every list of ``spec`` on the cluster behind ``client``, one task per partition.

    ``task`` is :func:`rank_partition` (tests wrap it to inject faults). A worker lost
    mid-task is replaced by its nanny and the scheduler reruns the task elsewhere
    (``distributed.scheduler.allowed-failures`` times); a task that raises fails the run.
    """
    t0 = time.perf_counter()
    version = production_version(settings)
    out = prepare_out(out)
    plugin = RankingPlugin(settings_values(settings), version)
    client.register_plugin(plugin, name=plugin.name)
    try:  # the workers drop the service after the run: nothing is held between nights
        ids, parts = _rank_on_workers(
            client, plugin.name, spec, out, task=task, show_progress=show_progress
        )
    finally:
        client.unregister_worker_plugin(plugin.name)  # type: ignore[no-untyped-call]
    scheduler = str(client.scheduler.address) if client.scheduler else "?"
    return _finish(spec, version, len(ids), parts, t0=t0, scheduler=scheduler, out=out)


def _rank_on_workers(
    client: Client,
    name: str,
    spec: BulkSpec,
    out: Path,
    *,
    task: PartitionTask,
    show_progress: bool,
) -> tuple[list[str], list[PartitionReport]]:
    from distributed import progress

    ids: list[str] = client.submit(
        list_queries, name, spec.kind, spec.selection, pure=False
    ).result()
    chunks = _chunks(ids, spec.partition_size)
    n = len(chunks)
    futures = client.map(task, [name] * n, range(n), chunks, [spec] * n, [str(out)] * n, pure=False)
    if show_progress and futures:
        progress(futures)  # type: ignore[no-untyped-call]
    parts: list[PartitionReport] = client.gather(futures)  # type: ignore[no-untyped-call]
    return ids, parts


def run(
    settings: Settings,
    spec: BulkSpec,
    out: Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
) -> BulkReport:
    """``rank --all``: in-process without ``scheduler``, else on ``local`` (a LocalCluster
    of ``workers`` processes, one thread each) or an existing scheduler ``tcp://HOST:PORT``."""
    if scheduler is None:
        from recommender.runtime import Runtime

        version = production_version(settings)
        service = Runtime(settings).ranking.get()
        return run_in_process(service, spec, out, model_version=version)
    return _run_dask(settings, spec, out, scheduler=scheduler, workers=workers)


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Dask's INFO lines (workers starting, closing) would bury the progress bar."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def _run_dask(
    settings: Settings, spec: BulkSpec, out: Path, *, scheduler: str, workers: int
) -> BulkReport:
    with open_client(scheduler, workers=workers) as client:
        return run_on_cluster(client, settings, spec, out)


@contextlib.contextmanager
def open_client(scheduler: str, *, workers: int = 2) -> Iterator[Client]:
    """A client of ``local`` (a LocalCluster of ``workers`` processes, one thread each,
    closed on exit) or of a running scheduler ``tcp://HOST:PORT`` (``rank --all`` and
    ``train --scheduler`` both open theirs here), with Dask's INFO lines quieted.

    Raises
    ------
    ValidationError
        ``workers`` below 1 for ``local``, or a scheduler that is neither.
    """
    from distributed import Client, LocalCluster

    if scheduler == "local":
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValidationError(f"--workers must be an integer >= 1, got {workers!r}")
        with (
            _quiet("distributed"),
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield client
        return
    if not scheduler.startswith(("tcp://", "tls://")):
        raise ValidationError(
            f"--scheduler 应为 local 或 tcp://HOST:8786 (expected local or a scheduler "
            f"address), got {scheduler!r}"
        )
    with (
        _quiet("distributed"),
        Client(scheduler, timeout="30s") as client,  # type: ignore[no-untyped-call]
    ):
        yield client


# -- an Excel per city --------------------------------------------------------------------
EXCEL_MAX_ROWS = 1_048_575  # a sheet's rows, less the header
EXCEL_COLUMNS_ZH = {
    "query_id": "查询对象编号",
    "query_name": "查询对象",
    "rank": "排名",
    "candidate_id": "统一社会信用代码",
    "name": "企业名称",
    "city": "城市",
    "score": "综合得分",
    "p_success": "签约概率",
    "reasons": "推荐理由",
    "model_version": "模型版本",
}


def write_city_workbooks(dataset: Path, excel_dir: Path) -> list[Path]:
    """One workbook per query city (``蚌埠市.xlsx``): that city's lists, Chinese headers.

    Raises
    ------
    ValidationError
        A city with more rows than one Excel sheet holds (narrow it with ``--where``).
    """
    from recommender.records import excel

    frame = pd.read_parquet(dataset, columns=["query_city", *EXCEL_COLUMNS_ZH])
    excel_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for city, rows in frame.groupby("query_city", sort=True):
        name = str(city) or "未知城市"
        if len(rows) > EXCEL_MAX_ROWS:
            raise ValidationError(
                f"{name}: {len(rows)} 行超出 Excel 单表上限 (more rows than one sheet holds, "
                f"{EXCEL_MAX_ROWS}); narrow the run with --where or use the Parquet dataset"
            )
        sheet = rows.drop(columns="query_city").rename(columns=EXCEL_COLUMNS_ZH)
        path = excel_dir / f"{name}.xlsx"
        excel.write_frames(path, {"名单": sheet})
        written.append(path)
    return written
