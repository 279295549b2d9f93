"""Lists update only the columns they carry of firms already stored (by USCC, else name)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from features.reference import Reference, load_reference
from features.uscc import uscc_check_digit
from recommender.db import repo
from recommender.errors import ImportValidationError
from recommender.ingest import import_file


def code(city: str, i: int) -> str:
    body = f"91{city}MA{i:07d}"
    return body + uscc_check_digit(body)


A, B, C, D = code("340300", 1), code("330200", 2), code("341200", 3), code("320500", 4)
BASE = (
    "统一社会信用代码,企业名称,所在城市,行业代码,主营产品,从业人数,专精特新,产业链环节\n"
    f"{A},蚌埠华感微电子有限公司,蚌埠,3973,MEMS芯片,420,无,sensor.mems_chip\n"
    f"{B},宁波甬芯传感科技股份有限公司,宁波,3983,压力传感器,2100,省级,\n"
    f"{C},阜阳新锂材料科技有限公司,阜阳,3841,动力电池,650,无,\n"
    # the same name as C, in another city
    f"{D},阜阳新锂材料科技有限公司,苏州,3841,电芯,90,无,\n"
)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


def write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def stored(session: Session, reference: Reference, tmp_path: Path) -> Session:
    import_file(session, kind="enterprises", path=write(tmp_path, BASE, "base.csv"),
                reference=reference)  # fmt: skip
    return session


def frame(session: Session) -> pd.DataFrame:
    return repo.load_frame(session, kind="enterprises").set_index("uscc")


def test_leading_list_by_name_sets_only_its_columns(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    before = frame(stored)
    text = "序号,企业名称,采购需求\n1,宁波甬芯传感科技股份有限公司,MEMS芯片、封装测试\n"
    text += "2,蚌埠华感微电子（集团）有限公司,晶圆\n"  # not stored under that name
    text += "3,阜阳新锂材料科技有限公司,正极材料\n"  # two stored firms carry this name
    report = import_file(
        stored, kind="enterprises", path=write(tmp_path, text, encoding="gbk"),
        reference=reference, constants={"龙头企业": "是"},
    )  # fmt: skip
    assert report.layout == "list"
    assert report.match is not None
    assert (report.match.by_uscc, report.match.by_name) == (0, 1)
    assert report.match.unmatched == ((3, "蚌埠华感微电子（集团）有限公司"),)
    assert report.match.ambiguous == ((4, "阜阳新锂材料科技有限公司", 2),)
    assert (report.rows, report.updated) == (1, 1)
    after = frame(stored)
    assert after.loc[B, "is_leading"]
    assert after.loc[B, "inputs"] == "MEMS芯片;封装测试"
    assert not after.loc[[A, C, D], "is_leading"].any()
    untouched = [c for c in after.columns if c not in ("is_leading", "inputs")]
    pd.testing.assert_frame_equal(after[untouched], before[untouched])


def test_a_city_column_tells_apart_firms_of_one_name(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    text = "企业名称,所在城市,专精特新\n阜阳新锂材料科技有限公司,苏州市,国家级\n"
    report = import_file(stored, kind="enterprises", path=write(tmp_path, text),
                         reference=reference)  # fmt: skip
    assert report.match is not None
    assert report.match.by_name == 1
    after = frame(stored)
    assert after.loc[[C, D], "srdi_level"].tolist() == ["none", "national"]
    assert after.loc[D, "city_code"] == "320500"


def test_list_by_uscc_updates_products_and_reinfers_nodes(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    text = f"统一社会信用代码,主营产品\n{C.lower()},正极材料、负极材料\n{A},压力传感器\n"
    report = import_file(stored, kind="enterprises", path=write(tmp_path, text),
                         reference=reference)  # fmt: skip
    assert report.match is not None
    assert report.match.by_uscc == 2
    after = frame(stored)
    assert after.loc[C, "products"] == "正极材料;负极材料"
    assert after.loc[C, "chain_nodes"] == "nev.electrode"  # inferred again: a specific keyword
    assert after.loc[C, "chain_nodes_source"] == "inferred"
    assert after.loc[A, "chain_nodes"] == "sensor.mems_chip"  # given by a file: kept
    assert after.loc[A, "chain_nodes_source"] == "file"


def test_a_full_file_keeps_stored_columns_it_lacks(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    lead = f"统一社会信用代码,是否龙头企业\n{B},是\n"
    import_file(stored, kind="enterprises", path=write(tmp_path, lead), reference=reference)
    again = (
        "统一社会信用代码,企业名称,所在城市,行业代码,主营产品\n"
        f"{B},宁波甬芯传感科技股份有限公司,宁波,3983,压力传感器;温湿度传感器\n"
    )
    report = import_file(stored, kind="enterprises", path=write(tmp_path, again, "again.csv"),
                         reference=reference)  # fmt: skip
    assert (report.layout, report.updated) == ("contract", 1)
    after = frame(stored)
    assert after.loc[B, "is_leading"]  # the 龙头企业 mark survives the re-import
    assert after.loc[B, "employees"] == 2100
    assert after.loc[B, "srdi_level"] == "province"
    assert after.loc[B, "products"] == "压力传感器;温湿度传感器"


def test_a_list_naming_one_firm_twice_is_rejected_whole(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    before = frame(stored)
    text = f"统一社会信用代码,企业名称,专精特新\n{A},,省级\n,蚌埠华感微电子有限公司,国家级\n"
    with pytest.raises(ImportValidationError) as caught:
        import_file(stored, kind="enterprises", path=write(tmp_path, text), reference=reference)
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, "name")]
    assert "line 2" in caught.value.errors[0].expected
    pd.testing.assert_frame_equal(frame(stored), before)


def test_a_bad_value_in_a_list_writes_nothing(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    before = frame(stored)
    text = f"统一社会信用代码,专精特新\n{A},省级\n{B},超级\n"
    with pytest.raises(ImportValidationError) as caught:
        import_file(stored, kind="enterprises", path=write(tmp_path, text), reference=reference)
    assert [(e.line, e.column, e.got) for e in caught.value.errors] == [(3, "srdi_level", "超级")]
    pd.testing.assert_frame_equal(frame(stored), before)


def test_a_list_row_without_uscc_or_name_is_an_error(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    text = f"统一社会信用代码,企业名称,专精特新\n{A},,省级\n-,-,国家级\n"
    with pytest.raises(ImportValidationError) as caught:
        import_file(stored, kind="enterprises", path=write(tmp_path, text), reference=reference)
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, "uscc")]


def test_unknown_set_column_is_refused(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    text = f"统一社会信用代码,企业名称\n{A},蚌埠华感微电子有限公司\n"
    with pytest.raises(ImportValidationError) as caught:
        import_file(stored, kind="enterprises", path=write(tmp_path, text),
                    reference=reference, constants={"颜色": "红"})  # fmt: skip
    assert caught.value.errors[0].column == "(--set)"
    assert caught.value.errors[0].got == "颜色"


def test_dry_run_of_a_list_reports_matches_and_writes_nothing(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    before = frame(stored)
    text = f"统一社会信用代码,是否龙头企业\n{A},是\n{code('340300', 99)},是\n"
    report = import_file(stored, kind="enterprises", path=write(tmp_path, text),
                         reference=reference, dry_run=True)  # fmt: skip
    assert report.dry_run
    assert report.match is not None
    assert report.match.by_uscc == 1
    assert report.match.unmatched == ((3, code("340300", 99)),)
    assert "unmatched 1" in report.summary()
    pd.testing.assert_frame_equal(frame(stored), before)


def test_a_national_list_with_regions_outside_the_programme(
    stored: Session, reference: Reference, tmp_path: Path
) -> None:
    text = (
        "序号,企业名称,所在地区\n"
        "1,宁波甬芯传感科技股份有限公司,浙江省宁波市鄞州区\n"
        "2,深圳某某科技有限公司,广东省深圳市南山区\n"  # no such city here: not an error in a list
        "3,阜阳新锂材料科技有限公司,安徽省阜阳市颍州区\n"  # the region tells the two apart
    )
    report = import_file(stored, kind="enterprises", path=write(tmp_path, text),
                         reference=reference, constants={"专精特新": "国家级"})  # fmt: skip
    assert report.match is not None
    assert report.match.by_name == 2
    assert report.match.unmatched == ((3, "深圳某某科技有限公司"),)
    after = frame(stored)
    assert after.loc[[A, B, C, D], "srdi_level"].tolist() == [
        "none",
        "national",
        "national",
        "none",
    ]
