"""The ledger and the dashboard on the command line: import, export round trip, the per-pairing
table, the workbook, and one clear line (no traceback) when something is wrong."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from features.reference import load_reference
from recommender.db import migrate, repo
from recommender.db.engine import make_engine, make_session_factory

LEDGER = (
    "项目编号,项目名称,投资方,来源地,所属园区,进度,日期,协议投资额(亿元)\n"
    "P1,汽车零部件项目,宁波甲公司,宁波,甬蚌产业合作园区,签约,2026-03-10,5.2\n"
    "P2,机床项目,杭州乙公司,杭州,CB10,开工,2026-05-01,2.0\n"
    "P3,在谈项目,宁波丙公司,宁波,CB10,在谈,2026-04-01,1.0\n"
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'cm.db'}"
    monkeypatch.setenv("CHAINMATCH_HOME", str(tmp_path))
    monkeypatch.setenv("CHAINMATCH_DATABASE_URL", url)
    migrate.upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        repo.seed_reference(s, reference=load_reference())
        s.commit()
    engine.dispose()
    (tmp_path / "台账.csv").write_text(LEDGER, encoding="utf-8")
    return tmp_path


def test_import_dashboard_export_round_trip(home: Path) -> None:
    from recommender.cli import app

    run = CliRunner().invoke
    r = run(app, ["import", "projects", str(home / "台账.csv")])
    assert r.exit_code == 0, r.output
    assert "inserted 3" in r.output
    r = run(app, ["dashboard", "--year", "2026"])
    assert r.exit_code == 0, r.output
    assert "蚌埠 ← 宁波: 1 / 5.20  [2 / 7.20]" in r.output
    assert "淮南 ← 闵行: 0 / 0.00" in r.output
    r = run(app, ["dashboard", "--year", "2026", "--out", str(home / "看板.xlsx")])
    assert r.exit_code == 0, r.output
    sheet = openpyxl.load_workbook(home / "看板.xlsx")["结对汇总"]
    bengbu = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "蚌埠")
    assert bengbu[3:7] == (1, 5.2, 2, 7.2)
    r = run(app, ["export", "projects", "--headers", "zh", "--out", str(home / "out.csv")])
    assert r.exit_code == 0, r.output
    r = run(app, ["import", "projects", str(home / "out.csv")])
    assert "inserted 0, updated 0, unchanged 3" in r.output


def test_errors_are_one_line(home: Path) -> None:
    from recommender.cli import app

    r = CliRunner().invoke(app, ["dashboard", "--year", "1990"])
    assert r.exit_code == 2
    assert "year must be from 2000" in r.output
    assert "Traceback" not in r.output
    r = CliRunner().invoke(app, ["chain-targets", "CB10"])
    assert r.exit_code == 2
    assert "no known firms yet" in r.output
    r = CliRunner().invoke(app, ["chain-targets", "NOPE"])
    assert r.exit_code == 2
    assert "does not exist" in r.output
