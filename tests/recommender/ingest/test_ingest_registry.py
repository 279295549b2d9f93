"""Registry batch exports (企查查 / 天眼查 layouts) import as the offices download them."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from features.context import FeatureContext
from features.reference import Reference, load_reference
from features.schema import EXCLUDED_STATUSES, NEED, OUTCOME, live_mask
from features.uscc import uscc_check_digit
from recommender.db import repo
from recommender.ingest import CityResolver, import_file, read_table, validate_table
from recommender.ingest.registry import IndustryNames, clean_scope, parse_capital
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


rx = _converter()


def code(city: str, i: int) -> str:
    body = f"91{city}MA{i:07d}"
    return body + uscc_check_digit(body)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def names(reference: Reference) -> IndustryNames:
    return IndustryNames.from_frame(reference.industries)


SCOPE = (
    "一般项目：MEMS芯片、压力传感器的研发、生产、销售；技术服务、技术开发、技术咨询、技术交流、"
    "技术转让、技术推广；货物进出口。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
    "许可项目：检验检测服务（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目"
    "以审批结果为准）"
)
QCC_ROWS = [
    # 企业名称, 登记状态, 法定代表人, 注册资本, 成立日期, 统一社会信用代码, 所属省份, 所属城市,
    # 所属区县, 门类, 大类, 中类, 小类, 企业规模, 参保人数, 经营范围
    ["蚌埠华感微电子有限公司", "存续（在营、开业、在册）", "王伟", "1000万元人民币", "2010-03-23",
     code("340300", 1), "安徽省", "蚌埠市", "怀远县", "制造业", "计算机、通信和其他电子设备制造业",
     "电子器件制造", "集成电路制造", "M(中型)", "420", SCOPE],
    ["上海闵芯集成电路有限公司", "在业", "李娜", "500万美元", "2015/7/1", code("310112", 2),
     "上海市", "上海市", "闵行区", "信息传输、软件和信息技术服务业", "软件和信息技术服务业",
     "集成电路设计", "集成电路设计", "S(小型)", "85", "集成电路设计；技术服务"],
    ["上海松江新材料有限公司", "注销", "-", "1.2亿元", "2003年11月5日", code("310117", 3),
     "上海市", "市辖区", "松江区", "制造业", "非金属矿物制品业", "-", "-", "-", "-",
     "光伏玻璃制造；玻璃制品销售"],
    ["宁波甬芯传感科技股份有限公司", "吊销，未注销", "张强", "3,000万人民币", "40260",
     code("330200", 4), "浙江省", "宁波市", "鄞州区", "制造业", "仪器仪表制造业",
     "通用仪器仪表制造", "供应用仪器仪表制造", "L(大型)", "2100 人", "传感器研发"],
]  # fmt: skip


def _qcc_csv(tmp_path: Path, rows: list[list[str]], *, encoding: str = "gbk") -> Path:
    header = [
        "企业名称", "登记状态", "法定代表人", "注册资本", "成立日期", "统一社会信用代码",
        "所属省份", "所属城市", "所属区县", "国标行业门类", "国标行业大类", "国标行业中类",
        "国标行业小类", "企业规模", "参保人数", "经营范围",
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=header)
    path = tmp_path / "企查查导出.csv"
    body = frame.to_csv(index=False, lineterminator="\r\n")
    text = rx.QCC_BANNER + "\r\n" + body + "数据来源：企查查\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def _validated(path: Path, reference: Reference, names: IndustryNames) -> pd.DataFrame:
    table = read_table(path, kind="enterprises")
    result = validate_table(
        table,
        cities=CityResolver(reference.cities),
        industry_codes=set(reference.industries["code"].astype(str)),
        industry_names=names,
    )
    assert result.errors == []
    return result.frame.set_index("uscc")


def test_qichacha_csv_in_gbk_is_recognised_and_mapped(
    tmp_path: Path, reference: Reference, names: IndustryNames
) -> None:
    path = _qcc_csv(tmp_path, QCC_ROWS)
    table = read_table(path, kind="enterprises")
    assert table.layout == "qichacha"
    assert table.encoding == "gb18030"
    assert len(table.banner) == 1
    assert table.banner[0].startswith("声明")
    assert table.footer == (7,)  # banner, header, 4 rows, then the note
    assert table.lines.tolist() == [3, 4, 5, 6]
    assert table.ignored == ()  # 法定代表人 is a known registry column, not reported
    f = _validated(path, reference, names)
    a, b, c, d = (code("340300", 1), code("310112", 2), code("310117", 3), code("330200", 4))
    assert f.loc[[a, b, c, d], "industry_code"].tolist() == ["3973", "6520", "30", "4016"]
    assert f.loc[[a, b, c, d], "city_code"].tolist() == ["340300", "310112", "310117", "330200"]
    assert f.loc[[a, b, c, d], "founded"].tolist() == [2010, 2015, 2003, 2010]
    assert f.loc[a, "founded_on"] == pd.Timestamp("2010-03-23")
    assert f.loc[d, "founded_on"] == pd.Timestamp("2010-03-23")  # Excel serial 40260
    assert f.loc[[a, b, c, d], "status"].tolist() == ["active", "active", "deregistered", "revoked"]
    assert f.loc[[a, b, c, d], "size_band"].tolist() == ["medium", "small", "", "large"]
    assert f.loc[a, "employees"] == 420
    assert f.loc[d, "employees"] == 2100
    assert pd.isna(f.loc[c, "employees"])  # "-" is empty
    assert f.loc[a, "registered_capital_wan"] == 1000.0
    assert f.loc[b, "registered_capital_wan"] == pytest.approx(500 * 7.05)
    assert f.loc[b, "capital_currency"] == "USD"
    assert f.loc[c, "registered_capital_wan"] == 12000.0
    assert f.loc[d, "registered_capital_wan"] == 3000.0
    assert f.loc[a, "products"] == "MEMS芯片;压力传感器;检验检测服务"
    assert f.loc[a, "district"] == "怀远县"


def test_a_row_that_still_misses_a_value_is_reported_by_line(
    tmp_path: Path, reference: Reference, names: IndustryNames
) -> None:
    rows = [list(r) for r in QCC_ROWS]
    rows[1][9:13] = ["-", "-", "-", "-"]  # no 国标行业 at all
    rows[2][6:9] = ["火星省", "火星市", "-"]
    table = read_table(_qcc_csv(tmp_path, rows, encoding="utf-8-sig"), kind="enterprises")
    result = validate_table(
        table,
        cities=CityResolver(reference.cities),
        industry_codes=set(reference.industries["code"].astype(str)),
        industry_names=names,
    )
    found = [(e.line, e.column, e.got) for e in result.errors]
    assert found == [(4, "industry_code", ""), (5, "city", "火星省/火星市")]


def test_tianyancha_xlsx_with_real_dates(
    tmp_path: Path, reference: Reference, names: IndustryNames
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业列表"
    ws.append([rx.TYC_BANNER])
    ws.merge_cells("A1:H1")  # a merged title cell above the header is fine
    ws.append(["公司名称", "登记状态", "注册资本", "成立日期", "统一社会信用代码", "所属省份",
               "所属城市", "所属区县", "所属行业", "参保人数", "经营范围"])  # fmt: skip
    ws.append(["阜阳新锂材料科技有限公司", "存续", "2000万(元)", dt.datetime(2018, 6, 30),
               code("341200", 5), "安徽省", "阜阳市", "颍州区", "锂离子电池制造", 650,
               "锂电池、电池包的研发、生产"])  # fmt: skip
    ws.append(["南京宁芯科技有限公司", "开业", "100万欧元", 43466, code("320100", 6),
               "江苏省", "南京市", "江宁区", "C3973 集成电路制造", "-", "芯片制造"])  # fmt: skip
    path = tmp_path / "天眼查.xlsx"
    wb.save(path)
    table = read_table(path, kind="enterprises")
    assert (table.layout, table.encoding, table.sheet) == ("tianyancha", "xlsx", "企业列表")
    f = _validated(path, reference, names)
    e, g = code("341200", 5), code("320100", 6)
    assert f.loc[[e, g], "industry_code"].tolist() == ["3841", "3973"]
    assert f.loc[[e, g], "founded"].tolist() == [2018, 2019]
    assert f.loc[g, "founded_on"] == pd.Timestamp("2019-01-01")
    assert f.loc[e, "registered_capital_wan"] == 2000.0
    assert f.loc[g, "capital_currency"] == "EUR"
    assert f.loc[e, "products"] == "锂电池;电池包"


@pytest.mark.parametrize(
    ("text", "wan", "currency"),
    [
        ("1000万元人民币", 1000.0, "CNY"),
        ("1000万人民币", 1000.0, "CNY"),
        ("1,000万元", 1000.0, "CNY"),
        ("300万(元)", 300.0, "CNY"),
        ("50000元", 5.0, "CNY"),
        ("1.2亿元", 12000.0, "CNY"),
        ("120", 120.0, "CNY"),  # the contract's plain number: 万元
        ("500万美元", 3525.0, "USD"),
        ("100万港元", 90.0, "HKD"),
        ("", float("nan"), ""),
    ],
)
def test_registered_capital_units_and_currencies(text: str, wan: float, currency: str) -> None:
    amount, cur, bad = parse_capital(pd.Series([text]))
    assert not bad[0]
    if np.isnan(wan):
        assert np.isnan(amount.iat[0])
    else:
        assert amount.iat[0] == pytest.approx(wan)
    assert cur.iat[0] == currency


def test_capital_in_an_unknown_currency_is_bad() -> None:
    _, _, bad = parse_capital(pd.Series(["100万卢布", "约一千万", "100万元"]))
    assert bad.tolist() == [True, True, False]


def test_industry_names_by_level_exact_then_normalised(names: IndustryNames) -> None:
    assert names.lookup("集成电路制造", level=4) == "3973"
    assert names.lookup(" 集成电路 制造 ", level=4) == "3973"  # spaces
    assert names.lookup("计算机,通信及其他电子设备制造业", level=2) == "39"  # punctuation, 及/和
    assert names.lookup("专用设备修理", level=3) == "433"  # a 中类 with one 小类 of its name
    assert names.lookup("专用设备修理", level=4) == "4330"
    assert names.lookup("专用设备修理", level=None) == "4330"  # the deepest
    assert names.lookup("制造业", level=1) == "C"
    assert names.lookup("3973", level=4) == "3973"
    assert names.lookup("集成电路制造", level=4, within="65") == ""  # not under 软件和信息技术
    assert names.lookup("不存在的行业", level=4) == ""


def test_scope_boiler_plate_is_removed() -> None:
    assert clean_scope(SCOPE) == "MEMS芯片;压力传感器;检验检测服务"
    assert clean_scope("技术服务、技术开发；货物进出口") == ""
    assert clean_scope("汽车零部件制造；汽车零部件销售") == "汽车零部件"


@pytest.fixture(scope="module")
def world_firms(reference: Reference, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("world")
    write_world(generate_world(reference, n_firms=1500, seed=11), out)
    return read_import_file(out, "enterprises")


@pytest.mark.parametrize(
    ("layout", "suffix", "encoding"),
    [("qichacha", ".csv", "gbk"), ("tianyancha", ".csv", "utf-8-sig"), ("qichacha", ".xlsx", "")],
)
def test_exports_of_a_world_recover_class_city_and_year(
    world_firms: pd.DataFrame,
    reference: Reference,
    names: IndustryNames,
    tmp_path: Path,
    *,
    layout: str,
    suffix: str,
    encoding: str,
) -> None:
    frame, truth = rx.to_registry(
        world_firms, reference.cities, reference.industries, layout=layout,
        xlsx=suffix == ".xlsx", seed=3,
    )  # fmt: skip
    path = rx.write_export(frame, tmp_path / f"export{suffix}", layout=layout, encoding=encoding)
    got = _validated(path, reference, names)
    t = truth.set_index("uscc").loc[got.index]
    live = (t["status"] == "active").to_numpy()
    for column in ("industry_code", "city_code", "founded", "status"):
        right = got[column].astype(str).to_numpy() == t[column].astype(str).to_numpy()
        assert right[live].mean() >= 0.99, column
    assert (got["industry_code"] == t["industry_code"])[live & ~t["class_lost"]].all()
    assert set(got.loc[~live, "status"]) <= set(EXCLUDED_STATUSES)


def test_deregistered_firms_are_kept_marked_and_not_live(
    session: Session, reference: Reference, tmp_path: Path
) -> None:
    repo.seed_reference(session, reference=reference)
    session.commit()
    report = import_file(
        session, kind="enterprises", path=_qcc_csv(tmp_path, QCC_ROWS), reference=reference
    )
    assert report.inserted == 4
    assert report.layout == "qichacha"
    stored = repo.load_frame(session, kind="enterprises").set_index("uscc")
    assert stored.loc[code("310117", 3), "status"] == "deregistered"
    assert stored.loc[code("330200", 4), "status"] == "revoked"
    live = dict(zip(stored.index, live_mask(stored.reset_index()), strict=True))
    dead = {code("310117", 3), code("330200", 4)}
    assert live == {u: u not in dead for u in stored.index}
    ctx = FeatureContext.build(
        reference, stored.reset_index(), reference.parks.iloc[:0],
        pd.DataFrame(columns=NEED.required), pd.DataFrame(columns=OUTCOME.required),
    )  # fmt: skip
    order = ctx.ids[: ctx.n_firms].tolist()
    assert ctx.live[: ctx.n_firms].tolist() == [u not in dead for u in order]


SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


def test_registry_and_leading_list_samples_import(session: Session, reference: Reference) -> None:
    report = import_file(
        session, kind="enterprises", path=SAMPLES / "registry_qichacha.csv", reference=reference
    )
    assert (report.inserted, report.layout, report.encoding) == (6, "qichacha", "gb18030")
    report = import_file(
        session, kind="enterprises", path=SAMPLES / "leading_list.csv", reference=reference,
        constants={"是否龙头企业": "是"},
    )  # fmt: skip
    assert report.match is not None
    assert (report.match.by_uscc, report.match.by_name, report.match.unmatched) == (1, 1, ())
    stored = repo.load_frame(session, kind="enterprises").set_index("name")
    leading = stored.index[stored["is_leading"]].tolist()
    assert sorted(leading) == ["宁波示例甬感科技股份有限公司", "阜阳示例新锂能源科技有限公司"]
    assert stored.loc["阜阳示例新锂能源科技有限公司", "inputs"] == "正极材料;负极材料;电解液;隔膜"
    assert stored.loc["上海示例松江光伏材料有限公司", "status"] == "deregistered"
    assert stored.loc["上海示例闵芯集成电路有限公司", "products"] == "集成电路设计;信号调理芯片设计"


def test_contract_file_with_full_dates_and_shanghai_districts(
    tmp_path: Path, reference: Reference, names: IndustryNames
) -> None:
    text = (
        "uscc,name,city,district,industry_code,products,founded\n"
        f"{code('310112', 7)},上海甲有限公司,上海市,闵行区,3973,MEMS芯片,2010-03-23\n"
        f"{code('310120', 8)},上海乙有限公司,上海市,奉贤,3841,动力电池,2012\n"
        f"{code('340300', 9)},蚌埠丙有限公司,蚌埠市,怀远县,3841,动力电池,2015/6/1\n"
    )
    path = tmp_path / "enterprises.csv"
    path.write_text(text, encoding="utf-8")
    f = _validated(path, reference, names)
    assert f["city_code"].tolist() == ["310112", "310120", "340300"]
    assert f["founded"].tolist() == [2010, 2012, 2015]
    assert f["founded_on"].tolist()[0] == pd.Timestamp("2010-03-23")
    assert pd.isna(f["founded_on"].tolist()[1])
    assert f["district"].tolist() == ["闵行区", "奉贤", "怀远县"]


def test_enum_spellings_map_onto_the_schema_vocabularies() -> None:
    from features.schema import CHAIN_NODE_SOURCES, SIZE_BANDS, STATUSES
    from recommender.ingest.aliases import ENUMS
    from recommender.ingest.registry import CURRENCY_RATES

    assert set(ENUMS["status"].values()) == set(STATUSES)
    assert set(ENUMS["size_band"].values()) == set(SIZE_BANDS)
    assert set(ENUMS["chain_nodes_source"].values()) == set(CHAIN_NODE_SOURCES)
    assert set(ENUMS["capital_currency"].values()) <= set(CURRENCY_RATES)


@pytest.mark.parametrize(
    ("text", "year", "date"),
    [
        ("2010-03-23", 2010, "2010-03-23"),
        ("2010/3/23", 2010, "2010-03-23"),
        ("2010年3月23日", 2010, "2010-03-23"),
        ("2010.3.23", 2010, "2010-03-23"),
        ("20100323", 2010, "2010-03-23"),
        ("40260", 2010, "2010-03-23"),  # an Excel serial
        ("2010", 2010, None),
        ("2010.0", 2010, None),  # a year cell Excel stored as a float
    ],
)
def test_founding_dates_in_every_format(text: str, year: int, date: str | None) -> None:
    from recommender.ingest.checks import parse_year

    years, dates, bad = parse_year(pd.Series([text]), lo=1800, hi=2100)
    assert not bad[0]
    assert years.iat[0] == year
    assert pd.isna(dates.iat[0]) if date is None else dates.iat[0] == pd.Timestamp(date)


@pytest.mark.parametrize(("text"), ["2010-13-01", "去年", "1700", "3.5"])
def test_bad_founding_dates(text: str) -> None:
    from recommender.ingest.checks import parse_year

    _, _, bad = parse_year(pd.Series([text]), lo=1800, hi=2100)
    assert bad[0]


Q, T = "企业名称", "统一社会信用代码"
LAYOUT_CASES = [
    ([Q, T, "所属城市", "国标行业小类", "经营范围"], [], "qichacha"),
    (["公司名称", T, "登记状态", "所属城市", "所属行业", "经营范围"], [], "tianyancha"),
    ([Q, T, "经营状态", "所属省份", "行业", "经营范围"], [], "registry"),
    ([Q, T, "所属城市", "所属行业", "经营范围"], ["数据来源：天眼查"], "tianyancha"),
    (["uscc", "name", "city", "industry_code", "products"], [], "contract"),
    ([Q, T, "是否龙头企业"], [], "list"),
]


@pytest.mark.parametrize(("header", "banner", "layout"), LAYOUT_CASES)
def test_layouts_are_told_apart_by_header_and_banner(
    tmp_path: Path, header: list[str], banner: list[str], layout: str
) -> None:
    path = tmp_path / "x.csv"
    lines = [*banner, ",".join(header), ",".join(["x"] * len(header))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_table(path, kind="enterprises").layout == layout
