"""``rank --all``: every list of a kind, in-process and on a Dask LocalCluster, equal to the
single-request lists; a worker killed mid-run is replaced and its partition rerun."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from recommender.errors import ValidationError
from recommender.ranking import bulk
from recommender.runtime import Runtime
from recommender.settings import Settings, get_settings

if TYPE_CHECKING:
    from recommender.ranking.service import RankingService
    from tests.conftest import SmallWorld

pytestmark = pytest.mark.slow

AS_OF = pd.Timestamp("2026-01-01")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def settings(small_world: SmallWorld, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("bulk_home")
    url = small_world.install(home)
    return get_settings(home=home, database_url=url)


@pytest.fixture(scope="module")
def service(settings: Settings) -> RankingService:
    return Runtime(settings).ranking.get()


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    # the workers (spawned, and respawned after a kill) inherit sys.path: let them import
    # this module, whose fault-injecting task they run
    sys.path.insert(0, str(ROOT))
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c
    sys.path.remove(str(ROOT))


@pytest.fixture(scope="module")
def in_process(
    service: RankingService, small_world: SmallWorld, tmp_path_factory: pytest.TempPathFactory
) -> tuple[bulk.BulkReport, pd.DataFrame]:
    out = tmp_path_factory.mktemp("in_process") / "lists.parquet"
    spec = bulk.BulkSpec(kind="supplier", as_of=AS_OF, k=10, partition_size=7)
    report = bulk.run_in_process(service, spec, out, model_version=small_world.model_version)
    return report, pd.read_parquet(out)


def _lists(frame: pd.DataFrame) -> dict[str, list[str]]:
    """candidate ids in rank order, per query."""
    ordered = frame.sort_values(["query_id", "rank"])
    return {str(q): list(g["candidate_id"]) for q, g in ordered.groupby("query_id", sort=True)}


def test_in_process_ranks_every_live_leading_firm_as_one_request_would(
    service: RankingService, in_process: tuple[bulk.BulkReport, pd.DataFrame]
) -> None:
    report, frame = in_process
    ctx = service.ctx
    F = ctx.n_firms
    expected = sorted(str(u) for u in ctx.ids[:F][ctx.leading[:F] & ctx.live[:F]])
    assert report.n_queries == len(expected) > 7  # several partitions
    assert sorted(frame["query_id"].unique()) == expected
    assert report.n_rows == len(frame) == sum(p.n_rows for p in report.partitions)
    assert len(report.partitions) == -(-len(expected) // 7)
    lists = _lists(frame)
    for q in expected[:: max(1, len(expected) // 5)]:  # a spread of queries, one request each
        one = service.rank("supplier", q, k=10, as_of=AS_OF)
        assert lists[q] == [c.candidate_id for c in one.candidates]
        rows = frame[frame["query_id"] == q].sort_values("rank")
        assert list(rows["rank"]) == list(range(1, len(one.candidates) + 1))
        assert rows["score"].tolist() == pytest.approx([c.final_score for c in one.candidates])
        assert rows["reasons"].iloc[0] == "；".join(r.text_zh for r in one.candidates[0].reasons)
    assert set(frame["model_version"]) == {report.model_version}
    assert (frame["reasons"].str.len() > 0).all()


def test_cluster_lists_equal_in_process_lists(
    client: Client,
    settings: Settings,
    in_process: tuple[bulk.BulkReport, pd.DataFrame],
    tmp_path: Path,
) -> None:
    report, frame = in_process
    spec = bulk.BulkSpec(kind="supplier", as_of=AS_OF, k=10, partition_size=7)
    out = tmp_path / "lists.parquet"
    on_cluster = bulk.run_on_cluster(client, settings, spec, out, show_progress=False)
    got = pd.read_parquet(out)
    assert on_cluster.n_queries == report.n_queries
    assert _lists(got) == _lists(frame)  # ids and order, every query
    merged = got.merge(frame, on=["query_id", "rank"], suffixes=("", "_local"))
    assert merged["score"].tolist() == pytest.approx(merged["score_local"].tolist())
    assert (merged["reasons"] == merged["reasons_local"]).all()
    held = client.run(lambda dask_worker: list(dask_worker.plugins))
    assert not any(n.startswith("chainmatch-ranking-") for ns in held.values() for n in ns)
    workers = {p.worker for p in on_cluster.partitions}
    assert len(workers) == 2  # both workers took partitions
    assert all(w.startswith("tcp://") for w in workers)


def test_where_city_ranks_only_that_citys_queries(
    service: RankingService, in_process: tuple[bulk.BulkReport, pd.DataFrame], tmp_path: Path
) -> None:
    first, frame = in_process
    ctx = service.ctx
    cities = ctx.reference.cities.reset_index(drop=True)
    city_of = dict(zip(ctx.ids.astype(str), cities["city_code"].to_numpy()[ctx.city], strict=True))
    counts = pd.Series([city_of[q] for q in frame["query_id"].unique()]).value_counts()
    code = str(counts.index[0])
    name = str(cities.loc[cities["city_code"] == code, "short_name"].iloc[0])
    selection = bulk.parse_where([f"city={name}"], cities)
    assert selection.city_codes == (code,)
    spec = bulk.BulkSpec(kind="supplier", as_of=AS_OF, k=10, selection=selection)
    report = bulk.run_in_process(service, spec, tmp_path / "x", model_version=first.model_version)
    got = pd.read_parquet(tmp_path / "x")
    assert report.n_queries == int(counts.iloc[0]) < frame["query_id"].nunique()
    assert {city_of[q] for q in got["query_id"]} == {code}
    want = {q: v for q, v in _lists(frame).items() if city_of[q] == code}
    assert _lists(got) == want


def test_a_selection_without_queries_gives_an_empty_readable_dataset(
    service: RankingService, in_process: tuple[bulk.BulkReport, pd.DataFrame], tmp_path: Path
) -> None:
    first, frame = in_process
    used = set(bulk.city_names(service.ctx, list(frame["query_id"].unique())).values())
    cities = service.ctx.reference.cities
    empty = cities.loc[~cities["name"].isin(used), "city_code"].astype(str).iloc[0]
    spec = bulk.BulkSpec(
        kind="supplier", as_of=AS_OF, selection=bulk.QuerySelection(city_codes=(empty,))
    )
    report = bulk.run_in_process(service, spec, tmp_path / "e", model_version=first.model_version)
    got = pd.read_parquet(tmp_path / "e")
    assert (report.n_queries, report.n_rows, len(got)) == (0, 0, 0)
    assert list(got.columns) == bulk.SCHEMA.names


def test_where_rejects_unknown_keys_and_places(service: RankingService) -> None:
    cities = service.ctx.reference.cities
    with pytest.raises(ValidationError, match="city=NAME or province=NAME"):
        bulk.parse_where(["town=蚌埠"], cities)
    with pytest.raises(ValidationError, match="火星"):
        bulk.parse_where(["province=火星"], cities)
    assert bulk.parse_where(["province=安徽"], cities).provinces == ("安徽省",)


def _kill_once(
    name: str, index: int, query_ids: Sequence[str], spec: bulk.BulkSpec, out: str
) -> bulk.PartitionReport:
    """Partition 1's first attempt kills its own worker process; the marker beside the
    output keeps that process's pid."""
    if index == 1:
        try:
            fd = os.open(Path(out).parent / "killed", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            os._exit(1)
    return bulk.rank_partition(name, index, query_ids, spec, out)


def test_a_killed_worker_is_replaced_and_the_output_is_complete(
    client: Client,
    settings: Settings,
    in_process: tuple[bulk.BulkReport, pd.DataFrame],
    tmp_path: Path,
) -> None:
    report, frame = in_process
    marker = tmp_path / "killed"
    spec = bulk.BulkSpec(kind="supplier", as_of=AS_OF, k=10, partition_size=7)
    out = tmp_path / "lists.parquet"
    got_report = bulk.run_on_cluster(
        client, settings, spec, out, task=_kill_once, show_progress=False
    )
    killed_pid = int(marker.read_text())
    assert got_report.n_queries == report.n_queries
    rerun = next(p for p in got_report.partitions if p.index == 1)
    assert rerun.pid != killed_pid  # partition 1 was written by another process
    assert sorted(p.index for p in got_report.partitions) == list(range(len(report.partitions)))
    assert _lists(pd.read_parquet(out)) == _lists(frame)


def test_cli_rank_all_writes_the_dataset_a_workbook_per_city_and_refuses_a_query_id(
    settings: Settings,
    service: RankingService,
    in_process: tuple[bulk.BulkReport, pd.DataFrame],
    tmp_path: Path,
) -> None:
    from recommender.cli import app

    _, frame = in_process
    env = {
        "CHAINMATCH_HOME": str(settings.home),
        "CHAINMATCH_DATABASE_URL": settings.effective_database_url,
    }
    out = tmp_path / "lists.parquet"
    runner = CliRunner()
    books = tmp_path / "books"
    res = runner.invoke(
        app, ["rank", "supplier", "--all", "-k", "10", "--as-of", "2026-01-01", "--out", str(out),
              "--excel-dir", str(books)],
        env=env,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    assert _lists(got) == _lists(frame)
    assert f"{frame['query_id'].nunique()} queries" in res.output
    city = bulk.city_names(service.ctx, list(got["query_id"].unique()))
    assert got["query_city"].tolist() == got["query_id"].map(city).tolist()
    per_city = got.groupby("query_city")["query_id"].agg(lambda q: sorted(set(q)))
    assert sorted(p.stem for p in books.glob("*.xlsx")) == sorted(per_city.index)
    name = str(per_city.index[0])
    sheet = pd.read_excel(books / f"{name}.xlsx", sheet_name="名单", dtype=str, engine="calamine")
    assert sorted(set(sheet["查询对象编号"])) == per_city[name]
    assert len(sheet) == int((got["query_city"] == name).sum())
    assert sheet["排名"].tolist() == got.loc[got["query_city"] == name, "rank"].astype(str).tolist()
    bad = runner.invoke(app, ["rank", "supplier", "X", "--all", "--out", str(out)], env=env)
    assert bad.exit_code != 0
    assert "--all" in bad.output


def test_cli_train_on_the_cluster_registers_a_dask_fitted_model_through_the_same_gate(
    client: Client, small_world: SmallWorld, tmp_path: Path
) -> None:
    from recommender.cli import app
    from training.registry import ModelRegistry

    home = tmp_path / "home"
    env = {"CHAINMATCH_HOME": str(home), "CHAINMATCH_DATABASE_URL": small_world.install(home)}
    registry = ModelRegistry(home / "models")
    before = [i.version for i in registry.list()]
    runner = CliRunner()
    address = str(client.scheduler.address)  # type: ignore[union-attr]
    res = runner.invoke(
        app, ["train", "--kind", "supplier", "--promote-if-better", "--scheduler", address],
        env=env,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    infos = registry.list()
    assert [i.version for i in infos[:-1]] == before
    new = infos[-1]
    assert f"model {new.version} registered" in res.output
    assert new.metadata.notes == f"fitted with lightgbm.dask on {address} (2 workers)"
    assert list(new.metadata.kinds) == ["supplier"]
    assert {"lambdarank", "rule", "logistic", "production"} <= set(new.metadata.metrics)
    # the in-process guard: a model of one kind is registered, never promoted
    assert "not promoted: trained on some query kinds only" in res.output
    assert registry.production() == small_world.model_version
    bad = runner.invoke(app, ["train", "--scheduler", "http://x:8786"], env=env)
    assert bad.exit_code == 2
    assert "tcp://HOST:8786" in bad.output
    assert [i.version for i in registry.list()] == [*before, new.version]
