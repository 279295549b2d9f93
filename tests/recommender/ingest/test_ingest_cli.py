"""The import, keys and rank commands: registry exports and lists from the command line, and
every failure as one clear message with a non-zero exit (never a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from features.uscc import uscc_check_digit
from recommender.cli import app
from recommender.db import migrate

DATA = Path(__file__).resolve().parents[2] / "data"


def code(city: str, i: int) -> str:
    body = f"91{city}MA{i:07d}"
    return body + uscc_check_digit(body)


A, B = code("340300", 1), code("310112", 2)
EXPORT = (
    "声明：本表数据来源于企查查，仅供参考\r\n"
    "企业名称,登记状态,注册资本,成立日期,统一社会信用代码,所属省份,所属城市,所属区县,"
    "国标行业门类,国标行业大类,国标行业中类,国标行业小类,企业规模,参保人数,经营范围\r\n"
    f"蚌埠华感微电子有限公司,存续,1000万元人民币,2010-03-23,{A},安徽省,蚌埠市,怀远县,制造业,"
    "计算机、通信和其他电子设备制造业,电子器件制造,集成电路制造,M(中型),420,"
    "MEMS芯片的研发、生产\r\n"
    f"上海闵芯集成电路有限公司,注销,500万美元,2015/7/1,{B},上海市,上海市,闵行区,"
    "信息传输、软件和信息技术服务业,软件和信息技术服务业,集成电路设计,集成电路设计,S(小型),-,"
    "芯片设计\r\n"
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    url = f"sqlite:///{tmp_path / 'cm.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("CHAINMATCH_DATABASE_URL", url)
    monkeypatch.setenv("CHAINMATCH_HOME", str(tmp_path / "home"))
    return CliRunner()


def clean_failure(result: Result, code: int) -> str:
    """The result failed with ``code`` and said so in words, without a traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def test_registry_export_then_a_leading_list(cli: CliRunner, tmp_path: Path) -> None:
    export = tmp_path / "企查查.csv"
    export.write_bytes(EXPORT.encode("gbk"))
    result = cli.invoke(app, ["import", "enterprises", str(export)])
    assert result.exit_code == 0, result.output
    assert "inserted 2" in result.output
    assert "layout 企查查批量导出" in result.output
    assert "skipped 1 banner/note line(s)" in result.output
    leaders = tmp_path / "龙头企业.csv"
    leaders.write_text("企业名称\n蚌埠华感微电子有限公司\n不存在有限公司\n", encoding="utf-8")
    result = cli.invoke(app, ["import", "enterprises", str(leaders), "--set", "龙头企业=是"])
    assert result.exit_code == 0, result.output
    assert "updates columns ['is_leading']: matched 1 (by USCC 0, by name 1), unmatched 1" in (
        result.output
    )
    assert "line 3: no stored firm '不存在有限公司'" in result.output


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["import", "enterprises", str(DATA / "bad" / "entity_bomb.xlsx")], 1,
         "no DOCTYPE or entity declarations"),
        (["import", "enterprises", "no/such/file.csv"], 1, "no such file"),
        (["import", "enterprises", str(DATA / "bad" / "mixed_good_bad.csv"), "--set", "是"], 2,
         "--set: expected COLUMN=VALUE"),
        (["import", "enterprises", str(DATA / "bad" / "mixed_good_bad.csv"), "--set", "颜色=红"],
         1, "a column of enterprises"),
        (["keys", "create", "--role", "promotion_office", "--city", "火星"], 2,
         "--city: expected a known city"),
        (["rank", "supplier", A, "--out", "lists.txt"], 2, "--out must end in"),
    ],
)  # fmt: skip
def test_failures_are_one_clear_message(
    cli: CliRunner, args: list[str], code: int, said: str
) -> None:
    assert said in clean_failure(cli.invoke(app, args), code)


def test_keys_take_the_city_as_offices_write_it(cli: CliRunner) -> None:
    for spelling in ("蚌埠", "蚌埠市", "340300"):
        result = cli.invoke(
            app, ["keys", "create", "--role", "promotion_office", "--city", spelling]
        )
        assert result.exit_code == 0, result.output
        assert "city 340300" in result.output


def test_an_unmigrated_database_is_named_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("CHAINMATCH_HOME", str(tmp_path / "home"))
    export = tmp_path / "e.csv"
    export.write_bytes(EXPORT.encode("utf-8"))
    out = clean_failure(CliRunner().invoke(app, ["import", "enterprises", str(export)]), 2)
    assert "run `chainmatch db upgrade`" in out


def test_rank_without_a_model_says_so(cli: CliRunner, tmp_path: Path) -> None:
    export = tmp_path / "e.csv"
    export.write_bytes(EXPORT.encode("utf-8"))
    assert cli.invoke(app, ["import", "enterprises", str(export)]).exit_code == 0
    out = clean_failure(cli.invoke(app, ["rank", "supplier", A, "--out", "l.csv"]), 2)
    assert out.startswith("rank supplier: ")
    assert len(out.strip().splitlines()) == 1
