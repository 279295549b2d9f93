"""Write the malformed-file corpus tests/data/bad/ and the accepted edge cases tests/data/edge/.

Run ``.venv/bin/python tests/data/make_corpus.py`` after changing it; the files are committed
so that the tests read exactly what a user would upload. The firms are those of
data/samples/enterprises.csv (valid codes, cities and industries).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
BAD, EDGE = HERE / "bad", HERE / "edge"

ENT_HEAD = [
    "统一社会信用代码",
    "企业名称",
    "所在城市",
    "行业代码",
    "主营产品",
    "从业人数",
    "营业收入(万元)",
    "是否龙头企业",
    "专精特新",
]
FIRMS = [
    [
        "91340300MA2N8K5Q0C",
        "蚌埠华感微电子有限公司",
        "蚌埠市",
        "3973",
        "MEMS压力传感器芯片",
        "420",
        "38500",
        "否",
        "省级",
    ],
    [
        "91330200144072619E",
        "宁波甬芯传感科技股份有限公司",
        "宁波",
        "3983",
        "压力传感器模组",
        "2100",
        "265000",
        "是",
        "国家级",
    ],
    [
        "91310112MA1G6R3W27",
        "上海闵芯集成电路有限公司",
        "闵行区",
        "6520",
        "信号调理ASIC",
        "180",
        "21000",
        "否",
        "国家级",
    ],
    [
        "91341200MA2W4H8L65",
        "阜阳新锂材料科技有限公司",
        "阜阳市",
        "3985",
        "磷酸铁锂正极材料",
        "650",
        "120000",
        "否",
        "省级",
    ],
]


def _csv(rows: list[list[str]], *, lineterminator: str = "\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=lineterminator).writerows(rows)
    return buf.getvalue()


def _firms(**changes: tuple[int, int, str]) -> list[list[str]]:
    rows = [list(r) for r in FIRMS]
    for row, col, value in changes.values():
        rows[row][col] = value
    return [ENT_HEAD, *rows]


def _put(name: str, data: str | bytes, folder: Path = BAD) -> None:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _xlsx(name: str, rows: list[list[object]], *, folder: Path = BAD, **extra: object) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    if extra.get("empty_first"):
        ws.title = "Sheet1"
        ws = wb.create_sheet("Sheet2")
    if extra.get("first_title"):
        ws.title = str(extra["first_title"])
        ws.append(["说明：企业名单见“企业”工作表"])
        ws = wb.create_sheet("企业")
    for row in rows:
        ws.append(row)
    if extra.get("merge"):
        ws.merge_cells(str(extra["merge"]))
    wb.save(folder / name)


_BOMB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)


def _entity_bomb(name: str) -> None:
    """A workbook whose sheet XML declares a billion-laughs entity chain (never expanded)."""
    import zipfile

    _xlsx(name, [ENT_HEAD, FIRMS[0]])
    path = BAD / name
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    body = parts[sheet].decode("utf-8")
    body = body.split("?>", 1)[1] if body.startswith("<?xml") else body
    parts[sheet] = (_BOMB + body.replace("蚌埠市", "&lol9;", 1)).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def make() -> None:
    BAD.mkdir(exist_ok=True)
    EDGE.mkdir(exist_ok=True)
    good = _csv(_firms())
    # encodings
    _put("utf16le_bom.csv", good.encode("utf-16"))  # little-endian with BOM FF FE
    _put("utf16be_bom.csv", b"\xfe\xff" + good.encode("utf-16-be"))
    _put("utf16_no_bom.csv", good.encode("utf-16-le"))
    _put("utf32_bom.csv", good.encode("utf-32"))
    latin = "uscc,name,city,industry_code,products\n"
    latin += "91340300MA2N8K5Q0C,{name},Bengbu,3973,MEMS\n"
    # ü + a letter is a valid GBK byte pair (a rare character); é + space is not GBK at all
    _put("latin1.csv", latin.format(name="Müller Lüdenscheid GmbH").encode("latin-1"))
    _put("latin1_accents.csv", latin.format(name="Société Générale").encode("latin-1"))
    mix = _csv([["uscc", "name", "city", "industry_code", "products"], FIRMS[0][:5]])
    _put("bom_gbk_mix.csv", b"\xef\xbb\xbf" + mix.encode("gbk"))
    _put("binary.csv", b"PK\x03\x04\x00\x00binary\x00data")
    # structure
    _put("empty.csv", b"")
    _put("header_only.csv", _csv([ENT_HEAD]))
    # neither a key (uscc, name) nor products: not even a list that updates stored firms
    _put("missing_column.csv", _csv([r[2:4] + r[5:] for r in _firms()]))
    _put(
        "duplicate_header.csv",
        _csv(
            [
                ["统一社会信用代码", "企业名称", "名称", "城市", "行业代码", "主营产品"],
                FIRMS[0][:2] + FIRMS[0][1:5],
            ]
        ),
    )
    _put(
        "extra_fields.csv",
        _csv(_firms(a=(1, 8, "国家级,多余字段"))).replace('"国家级,多余字段"', "国家级,多余"),
    )
    _put("not_xlsx.xlsx", "this is text, not a workbook\n")
    _put("old_excel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    # values
    _put("bad_check_digit.csv", _csv(_firms(a=(1, 0, "91330200144072619F"))))
    _put("bad_uscc_format.csv", _csv(_firms(a=(0, 0, "9134030MA2N8K5Q0C"))))
    _put("duplicate_keys.csv", _csv([*_firms(), FIRMS[1]]))
    _put("unknown_city.csv", _csv(_firms(a=(0, 2, "东京市"))))
    _put("unknown_industry.csv", _csv(_firms(a=(0, 3, "9999"))))
    _put("negative_employees.csv", _csv(_firms(a=(2, 5, "-5"))))
    _put("revenue_text.csv", _csv(_firms(a=(0, 6, "约三千万"))))
    _put("wrong_enum.csv", _csv(_firms(a=(1, 8, "市级"))))
    _put("bad_bool.csv", _csv(_firms(a=(0, 7, "也许"))))
    _put("required_empty.csv", _csv(_firms(a=(3, 1, "   "))))
    _put("mixed_good_bad.csv", _csv(_firms(a=(1, 2, "火星"), b=(3, 5, "十二"))))
    ev_head = ["活动编号", "活动名称", "活动日期", "举办城市"]
    _put(
        "bad_date.csv",
        _csv(
            [
                ev_head,
                ["E1", "对接会", "2024-06-18", "蚌埠"],
                ["E2", "对接会二", "2024-13-01", "阜阳"],
            ]
        ),
    )
    uscc = FIRMS[0][0]
    _put(
        "participant_unknown_event.csv",
        _csv([["活动编号", "统一社会信用代码", "角色"], ["E-NOPE", uscc, "配套"]]),
    )
    out_head = ["对接类型", "需求方编号", "候选企业信用代码", "阶段", "日期"]
    _put(
        "outcome_unknown_candidate.csv",
        _csv(
            [
                out_head,
                ["supplier", FIRMS[1][0], FIRMS[0][0], "推荐", "2024-06-01"],
                ["supplier", FIRMS[1][0], "91340300MA2N8K5Q1A", "推荐", "2024-06-01"],
            ]
        ),
    )
    _put(
        "bad_stage.csv",
        _csv([out_head, ["supplier", FIRMS[1][0], FIRMS[0][0], "已完成", "2024-06-01"]]),
    )
    _put(
        "need_unknown_owner.csv",
        _csv(
            [
                ["需求编号", "需求方类型", "需求方编号", "需求描述"],
                ["N1", "园区", "CB-NONE", "引进传感器项目"],
            ]
        ),
    )
    # workbooks
    formula = [ENT_HEAD, FIRMS[0], [*FIRMS[1][:5], "=100*21", *FIRMS[1][6:]]]
    _xlsx("formula.xlsx", formula)
    _xlsx("merged.xlsx", [ENT_HEAD, FIRMS[0], FIRMS[1]], merge="B2:C2")
    _xlsx("empty_first_sheet.xlsx", [ENT_HEAD, FIRMS[0]], empty_first=True)
    _entity_bomb("entity_bomb.xlsx")
    # accepted edge cases
    padded = _csv([[f" {c}\u3000" for c in ENT_HEAD], *[[f"  {v} " for v in r] for r in FIRMS]])
    _put("trailing_blank_whitespace.csv", "\n" + padded + "\n  \n,,,,\n\n", EDGE)
    _put("gbk_crlf.csv", _csv(_firms(), lineterminator="\r\n").encode("gbk"), EDGE)
    _put("double_bom.csv", ("\ufeff\ufeff" + good).encode("utf-8"), EDGE)
    _xlsx("named_sheet.xlsx", [ENT_HEAD, *FIRMS], folder=EDGE, first_title="说明")


if __name__ == "__main__":
    make()
