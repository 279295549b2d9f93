"""A generated world's enterprises written as a registry batch export (企查查 / 天眼查 layout).

The tests and the import benchmark need registry exports whose truth is known: this takes a
world's enterprises file (``chainmatch world``) and writes what an office would download
for the same firms: a 声明 banner line, Chinese headers, 国标行业 names by level (no codes),
成立日期 in mixed formats (or real dates / Excel serials in XLSX), 注册资本 with units and
currencies, 所属省份/所属城市/所属区县 (上海市/上海市/闵行区), 经营范围 with boiler-plate,
参保人数, 企业规模 L/M/S/XS, "-" in empty cells and a share of 注销/吊销 firms; GBK or UTF-8
CSV, or XLSX. :func:`to_registry` returns the export frame and the truth per row.

Also :func:`leading_list`: an office's 龙头企业 list (names, some without USCC, 采购需求).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

Layout = Literal["qichacha", "tianyancha"]

QCC_BANNER = (
    "声明：本表数据来源于企查查（www.qcc.com）公开信息整理，仅供参考，"
    "不代表企查查任何明示或暗示之观点或保证。导出时间：2026-11-30"
)
TYC_BANNER = "天眼查 tianyancha.com 批量导出 · 数据截至 2026-11-30 · 请勿用于非法用途"
QCC_HEADER = [
    "企业名称", "登记状态", "法定代表人", "注册资本", "实缴资本", "成立日期", "统一社会信用代码",
    "所属省份", "所属城市", "所属区县", "电话", "企业类型", "国标行业门类", "国标行业大类",
    "国标行业中类", "国标行业小类", "企业规模", "参保人数", "参保人数所属年报", "经营范围",
    "企业地址",
]  # fmt: skip
TYC_HEADER = [
    "公司名称", "登记状态", "法定代表人", "注册资本", "成立日期", "统一社会信用代码", "所属省份",
    "所属城市", "所属区县", "公司类型", "所属行业", "参保人数", "企业规模", "经营范围", "邮箱",
]  # fmt: skip
_SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"))
_GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"))
_LIVE = np.array(["存续", "在业", "存续（在营、开业、在册）", "开业"])


def _levels(reference_industries: pd.DataFrame) -> dict[str, tuple[str, str, str, str]]:
    """4-digit class -> (门类, 大类, 中类, 小类) names."""
    ind = reference_industries.astype({"code": str, "name": str})
    name = dict(zip(ind["code"], ind["name"], strict=True))
    section = dict(zip(ind["code"], ind["section"].astype(str), strict=True))
    out: dict[str, tuple[str, str, str, str]] = {}
    for code in ind.loc[ind["level"].astype(int) == 4, "code"]:
        out[code] = (name[section[code]], name[code[:2]], name[code[:3]], name[code])
    return out


def _dates(
    years: np.ndarray, rng: np.random.Generator, *, xlsx: bool
) -> tuple[list[object], list[dt.date]]:
    month = rng.integers(1, 13, len(years))
    day = rng.integers(1, 29, len(years))
    dates = [dt.date(int(y), int(m), int(d)) for y, m, d in zip(years, month, day, strict=True)]
    style = rng.integers(0, 4, len(years))
    cells: list[object] = []
    for d, s in zip(dates, style, strict=True):
        if xlsx and s < 2:
            cells.append(d)  # a real Excel date cell
        elif s == 0:
            cells.append(d.isoformat())
        elif s == 1:
            cells.append(f"{d.year}/{d.month}/{d.day}")
        elif s == 2:
            cells.append(f"{d.year}年{d.month}月{d.day}日")
        else:
            cells.append(str((d - dt.date(1899, 12, 30)).days) if xlsx else d.isoformat())
    return cells, dates


def _capital(revenue: np.ndarray, rng: np.random.Generator) -> list[str]:
    wan = np.maximum(np.round(np.nan_to_num(revenue, nan=100.0) * rng.uniform(0.05, 0.6), -1), 10)
    kind = rng.random(len(wan))
    out = []
    for w, k in zip(wan, kind, strict=True):
        if k < 0.55:
            out.append(f"{w:g}万元人民币")
        elif k < 0.75:
            out.append(f"{w:g}万人民币")
        elif k < 0.85:
            out.append(f"{w:,.0f}万元")
        elif k < 0.92:
            out.append(f"{max(round(w / 7), 1):g}万美元")
        elif k < 0.96:
            out.append(f"{w / 10_000:.2f}亿元")
        else:
            out.append("-")
    return out


def _size(employees: np.ndarray) -> np.ndarray:
    e = np.nan_to_num(employees.astype(float), nan=0.0)
    return np.where(
        e >= 1000,
        "L(大型)",
        np.where(e >= 100, "M(中型)", np.where(e >= 20, "S(小型)", "XS(微型)")),
    )


def _scope(products: pd.Series, rng: np.random.Generator) -> np.ndarray:
    items = products.astype(str).str.replace(";", "、", regex=False)
    general = "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；货物进出口；技术进出口"
    legal = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
    permit = (
        "许可项目：道路货物运输（不含危险货物）（依法须经批准的项目，经相关部门批准后方可"
        "开展经营活动，具体经营项目以审批结果为准）"
    )
    verbs = np.array(["的研发、生产、销售", "制造；", "的生产、加工、销售", "研发；", "销售；"])
    v = verbs[rng.integers(0, len(verbs), len(items))]
    tail = np.where(rng.random(len(items)) < 0.4, permit, "")
    return ("一般项目：" + items + v + "；" + general + "。" + legal + tail).to_numpy()


def to_registry(
    enterprises: pd.DataFrame,
    reference_cities: pd.DataFrame,
    reference_industries: pd.DataFrame,
    *,
    layout: Layout = "qichacha",
    xlsx: bool = False,
    seed: int = 0,
    deregistered: float = 0.02,
    revoked: float = 0.005,
    class_missing: float = 0.004,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(export frame with the layout's headers, truth per row).

    The truth has ``uscc``, ``industry_code``, ``city_code``, ``founded``, ``founded_on``,
    ``status`` ('active'/'deregistered'/'revoked') and ``employees`` of each exported firm.
    ``class_missing`` of the rows give 国标行业 only down to the 中类 (their class is lost).
    """
    rng = np.random.default_rng(seed)
    ent = enterprises.reset_index(drop=True)
    n = len(ent)
    cities = reference_cities.astype({"city_code": str})
    by_name = dict(zip(cities["name"].astype(str), cities["city_code"], strict=True))
    code = ent["city"].astype(str).map(by_name).fillna(ent["city"].astype(str)).to_numpy()
    info = cities.set_index("city_code")
    province = info["province"].reindex(code).astype(str).to_numpy()
    city_name = info["name"].reindex(code).astype(str).to_numpy()
    shanghai = np.char.startswith(code.astype(str), "31")
    city_cell = np.where(shanghai, np.where(rng.random(n) < 0.8, "上海市", "市辖区"), city_name)
    district = np.where(
        shanghai,
        city_name,
        np.where(rng.random(n) < 0.5, "-", "高新技术产业开发区"),
    )
    levels = _levels(reference_industries)
    ind = ent["industry_code"].astype(str).to_numpy()
    names = np.array([levels.get(c, ("-", "-", "-", "-")) for c in ind], dtype=object)
    names = np.array([list(x) for x in names], dtype=object).reshape(n, 4)
    lost = rng.random(n) < class_missing
    names[lost, 3] = "-"
    years = pd.to_numeric(ent["founded"]).fillna(2015).astype(int).to_numpy()
    date_cells, dates = _dates(years, rng, xlsx=xlsx)
    employees = pd.to_numeric(ent["employees"], errors="coerce").to_numpy(dtype=float)
    insured: list[object] = [
        "-" if (np.isnan(e) or rng.random() < 0.03) else (int(e) if xlsx else str(int(e)))
        for e in employees
    ]
    r = rng.random(n)
    status_truth = np.where(
        r < deregistered, "deregistered", np.where(r < deregistered + revoked, "revoked", "active")
    )
    status_cell = np.where(
        status_truth == "deregistered",
        "注销",
        np.where(status_truth == "revoked", "吊销，未注销", _LIVE[rng.integers(0, 4, n)]),
    )
    person = np.char.add(
        _SURNAMES[rng.integers(0, len(_SURNAMES), n)], _GIVEN[rng.integers(0, len(_GIVEN), n)]
    )
    capital = _capital(pd.to_numeric(ent["revenue_wan"], errors="coerce").to_numpy(), rng)
    scope = _scope(ent["products"], rng)
    size = _size(employees)
    if layout == "qichacha":
        frame = pd.DataFrame(
            {
                "企业名称": ent["name"].astype(str),
                "登记状态": status_cell,
                "法定代表人": person,
                "注册资本": capital,
                "实缴资本": "-",
                "成立日期": date_cells,
                "统一社会信用代码": ent["uscc"].astype(str),
                "所属省份": province,
                "所属城市": city_cell,
                "所属区县": district,
                "电话": "-",
                "企业类型": "有限责任公司(自然人投资或控股)",
                "国标行业门类": names[:, 0],
                "国标行业大类": names[:, 1],
                "国标行业中类": names[:, 2],
                "国标行业小类": names[:, 3],
                "企业规模": size,
                "参保人数": insured,
                "参保人数所属年报": "2025年报",
                "经营范围": scope,
                "企业地址": "-",
            }
        )[QCC_HEADER]
    else:
        frame = pd.DataFrame(
            {
                "公司名称": ent["name"].astype(str),
                "登记状态": status_cell,
                "法定代表人": person,
                "注册资本": capital,
                "成立日期": date_cells,
                "统一社会信用代码": ent["uscc"].astype(str),
                "所属省份": province,
                "所属城市": city_cell,
                "所属区县": district,
                "公司类型": "有限责任公司",
                "所属行业": np.where(lost, names[:, 2], names[:, 3]),
                "参保人数": insured,
                "企业规模": size,
                "经营范围": scope,
                "邮箱": "-",
            }
        )[TYC_HEADER]
    truth = pd.DataFrame(
        {
            "uscc": ent["uscc"].astype(str),
            "industry_code": ind,
            "city_code": code.astype(str),
            "founded": years,
            "founded_on": pd.to_datetime(dates),
            "status": status_truth,
            "employees": employees,
            "class_lost": lost,
        }
    )
    return frame, truth


def write_export(
    frame: pd.DataFrame,
    path: Path,
    *,
    layout: Layout = "qichacha",
    encoding: str = "utf-8-sig",
) -> Path:
    """Write an export frame as the registry writes it: banner line, header, rows, note.

    ``.xlsx`` paths get a workbook (banner in A1, header in row 2); others a CSV in
    ``encoding`` (``gbk`` as offices' Excel saves it, or ``utf-8-sig``).
    """
    banner = QCC_BANNER if layout == "qichacha" else TYC_BANNER
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("企业列表")
        ws.append([banner])
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False, name=None):
            ws.append(list(row))
        wb.save(path)
        return path
    body = frame.to_csv(index=False, lineterminator="\r\n")
    text = f"{banner}\r\n{body}数据来源：{'企查查' if layout == 'qichacha' else '天眼查'}\r\n"
    path.write_bytes(text.encode(encoding, errors="replace"))
    return path


def leading_list(
    enterprises: pd.DataFrame, *, seed: int = 0, without_uscc: float = 0.3
) -> pd.DataFrame:
    """An office's 龙头企业 list of the world's leading firms: 序号, 企业名称, 统一社会信用代码
    (left "-" for a share of them), 采购需求 (the world's inputs)."""
    rng = np.random.default_rng(seed)
    lead = enterprises[enterprises["is_leading"].astype(str).str.lower().isin(["true", "1"])]
    lead = lead.reset_index(drop=True)
    uscc = lead["uscc"].astype(str).to_numpy(dtype=object)
    uscc[rng.random(len(lead)) < without_uscc] = "-"
    return pd.DataFrame(
        {
            "序号": np.arange(1, len(lead) + 1),
            "企业名称": lead["name"].astype(str),
            "统一社会信用代码": uscc,
            "采购需求": lead["inputs"].astype(str).str.replace(";", "、", regex=False),
        }
    )
