"""Import → train → rank from a registry export plus an office's 龙头企业 list (no contract file).

A small world gives the truth; its firms reach the database only as a 企查查-layout export
(GBK, banner, 国标行业 names, no chain nodes) and a 龙头企业 list (names, some USCCs, 采购需求);
parks, events and outcomes come from the world's files. Then ``train`` and
``rank supplier --queries 龙头企业.csv --out lists.csv`` run as a user would run them.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from typer.testing import CliRunner

from features.reference import load_reference
from recommender.cli import app
from recommender.db import migrate
from training.world import generate_world, write_world
from training.world.writer import read_import_file

DATA = Path(__file__).resolve().parents[2] / "data"


def _converter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("registry_export", DATA / "registry_export.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_registry_export_and_leading_list_are_enough_to_rank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rx = _converter()
    reference = load_reference()
    world = tmp_path / "world"
    write_world(generate_world(reference, n_firms=1200, seed=5), world)
    firms = read_import_file(world, "enterprises")
    frame, truth = rx.to_registry(firms, reference.cities, reference.industries, seed=1)
    export = rx.write_export(frame, tmp_path / "企查查导出.csv", encoding="gbk")
    leaders = rx.leading_list(firms, seed=2)
    leaders_file = tmp_path / "龙头企业.csv"
    leaders.to_csv(leaders_file, index=False, encoding="gbk")
    rest = tmp_path / "rest"
    rest.mkdir()
    for kind in ("parks", "needs", "events", "participants", "outcomes"):
        shutil.copy(world / f"{kind}.csv", rest / f"{kind}.csv")

    url = f"sqlite:///{tmp_path / 'cm.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("CHAINMATCH_DATABASE_URL", url)
    monkeypatch.setenv("CHAINMATCH_HOME", str(tmp_path / "home"))
    cli = CliRunner()

    def run(*args: str) -> str:
        result = cli.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    out = run("import", "enterprises", str(export))
    assert f"inserted {len(firms)}" in out
    assert "layout 企查查批量导出" in out
    out = run("import", "enterprises", str(leaders_file), "--set", "龙头企业=是")
    assert f"matched {len(leaders)} (by USCC" in out
    assert "unmatched" not in out
    run("import-dir", str(rest))
    out = run("train", "--promote-if-better")
    assert "promoted: yes" in out
    lists_file = tmp_path / "lists.csv"
    run("rank", "supplier", "--queries", str(leaders_file), "-k", "10", "--out", str(lists_file))

    lists = pd.read_csv(lists_file, dtype=str)
    queries = set(lists["查询对象编号"])
    alive = truth.loc[truth["status"] == "active", "uscc"]
    wanted = set(firms.loc[firms["is_leading"], "uscc"]) & set(alive)
    assert wanted <= queries  # every live leading firm of the list got its list
    assert (lists.groupby("查询对象编号").size() == 10).all()
    assert not set(lists["统一社会信用代码"]) & set(firms.loc[firms["is_leading"], "uscc"])
