"""The dashboard as an Excel workbook (openpyxl): one sheet of pairings, one per topic."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from features.schema import PROJECT_STAGES
from recommender.projects.dashboard import FUNNEL_STAGE_ZH
from recommender.records import excel


def _sheet(book: Any, title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        excel.append(sheet, row)


def dashboard_xlsx(board: Mapping[str, Any]) -> bytes:
    """The workbook bytes of a :func:`recommender.projects.dashboard.dashboard` answer."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    blocks = board["pairings"]
    _sheet(
        book, "结对汇总",
        ["年份", "皖北城市", "结对城市", "签约项目数(结对城市)", "协议投资额(亿元,结对城市)",
         "签约项目数(全部来源)", "协议投资额(亿元,全部来源)"],
        [[board["year"], b["wanbei_name"], b["partner_name"], b["signed_projects"],
          b["agreed_investment_yi"], b["city"]["signed_projects"],
          b["city"]["agreed_investment_yi"]] for b in blocks],
    )  # fmt: skip
    _sheet(
        book, "项目进度", ["皖北城市", *PROJECT_STAGES],
        [[b["wanbei_name"], *(s["projects"] for s in b["by_stage"])] for b in blocks],
    )  # fmt: skip
    _sheet(
        book, "月度签约", ["皖北城市", *(f"{m}月" for m in range(1, 13))],
        [[b["wanbei_name"], *(m["signed_projects"] for m in b["by_month"])] for b in blocks],
    )  # fmt: skip
    _sheet(
        book, "对接漏斗", ["皖北城市", "阶段", "数量", "转化率"],
        [[b["wanbei_name"], FUNNEL_STAGE_ZH[f["stage"]], f["count"], f["rate"]]
         for b in blocks for f in b["funnel"]],
    )  # fmt: skip
    _sheet(
        book, "园区",
        ["皖北城市", "园区编号", "园区名称", "项目数", "签约项目数", "协议投资额(亿元)"],
        [[b["wanbei_name"], p["park_id"], p["name"], p["projects"], p["signed_projects"],
          p["agreed_investment_yi"]] for b in blocks for p in b["parks"]],
    )  # fmt: skip
    _sheet(
        book, "来源清单",
        ["皖北城市", "来源", "清单", "模型版本", "签约项目数", "协议投资额(亿元)"],
        [[b["wanbei_name"], "推荐日志" if x["via"] == "log" else "台账",
          x["list_name"] or x["list_id"],
          x["model_version"], x["signed_projects"], x["agreed_investment_yi"]]
         for b in blocks for x in b["lists"]],
    )  # fmt: skip
    names = {"signed_projects": "签约项目数", "agreed_investment_yi": "协议投资额(亿元)",
             "srdi_cultivated": "专精特新培育数"}  # fmt: skip
    _sheet(
        book, "目标完成", ["皖北城市", "指标", "目标", "完成", "完成率"],
        [[b["wanbei_name"], names[k], v["target"], v["actual"], v["share"]]
         for b in blocks for k, v in b["targets"].items()],
    )  # fmt: skip
    out = io.BytesIO()
    excel.save(book, out)
    return out.getvalue()
