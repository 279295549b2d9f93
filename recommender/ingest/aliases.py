"""The file-side vocabulary of the data contract: column names, their Chinese aliases, enums.

File columns are named as in docs/data-format.md (``city``, ``partner_city``); the validator turns
them into the frame columns of :mod:`features.schema` (``city_code``, ``partner_city_code``).
The first Chinese alias of each column is the one written by a Chinese-header export.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from features.schema import (
    CHAIN_NODE_SOURCES,
    PROJECT_STAGE_EN,
    PROJECT_STAGES,
    SIZE_BANDS,
    STATUSES,
)
from recommender.ingest.registry import CURRENCY_RATES, CURRENCY_WORDS

__all__ = [
    "BOOLEAN_VALUES",
    "EMPTY_TOKENS",
    "ENUMS",
    "FILE_COLUMNS",
    "KIND_ORDER",
    "KIND_SHEET_NAMES",
    "REGISTRY_IGNORED",
    "header_key",
    "map_headers",
]

# dependency order: a later kind may refer to the keys of an earlier one
KIND_ORDER: tuple[str, ...] = (
    "enterprises",
    "parks",
    "needs",
    "events",
    "participants",
    "outcomes",
    "projects",
    "park_members",
)

_CITY = ("城市", "所在城市", "地市", "所在地市", "city_code", "城市代码")
_CHAIN = ("产业链环节", "产业链节点", "链节点")

# kind -> file column -> aliases (Chinese first); the column name itself is always accepted
FILE_COLUMNS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "enterprises": {
        "uscc": ("统一社会信用代码", "社会信用代码", "信用代码"),
        "name": ("企业名称", "名称", "公司名称", "企业名称(中文)"),
        "city": (*_CITY, "所属城市", "所属地市", "所在地区", "地区"),
        "industry_code": ("行业代码", "国民经济行业代码", "行业分类代码", "国标行业代码"),
        "products": ("主营产品", "产品", "主要产品", "主营业务"),
        "district": ("区县", "所在区县", "所属区县"),
        "inputs": ("主要投入", "采购需求", "主要原材料"),
        "chain_nodes": _CHAIN,
        "employees": ("从业人数", "员工数", "员工人数", "参保人数", "社保人数"),
        "revenue_wan": ("营业收入(万元)", "营业收入", "营收(万元)"),
        "founded": ("成立年份", "成立时间"),
        "is_leading": ("是否龙头企业", "龙头企业"),
        "srdi_level": ("专精特新", "专精特新等级"),
        "is_high_tech": ("高新技术企业", "是否高新技术企业"),
        "listed": ("上市", "是否上市"),
        "status": ("登记状态", "经营状态", "企业状态"),
        "founded_on": ("成立日期", "注册日期"),
        "registered_capital_wan": ("注册资本", "注册资本(万元)"),
        "capital_currency": ("注册资本币种", "币种"),
        "size_band": ("企业规模", "规模"),
        "chain_nodes_source": ("产业链环节来源",),
        # registry-export columns that feed the ones above (recommender.ingest.registry)
        "province": ("所属省份", "省份", "所在省份"),
        "industry_section": ("国标行业门类", "行业门类"),
        "industry_division": ("国标行业大类", "行业大类"),
        "industry_group": ("国标行业中类", "行业中类"),
        "industry_class": ("国标行业小类", "行业小类"),
        "industry_name": ("所属行业", "国标行业", "行业", "国民经济行业", "行业名称"),
        "scope": ("经营范围",),
    },
    "parks": {
        "park_id": ("园区编号", "园区代码", "园区id"),
        "name": ("园区名称", "名称"),
        "city": _CITY,
        "leading_industries": ("主导产业",),
        "level": ("级别", "园区级别"),
        "partner_city": ("结对城市", "合作城市", "共建城市", "partner_city_code"),
        "area_ha": ("面积(公顷)", "核准面积(公顷)"),
        "lat": ("纬度",),
        "lon": ("经度",),
        "chain_nodes": _CHAIN,
    },
    "needs": {
        "need_id": ("需求编号",),
        "owner_kind": ("需求方类型", "主体类型"),
        "owner_id": ("需求方编号", "需求方", "主体编号"),
        "description": ("需求描述", "需求内容", "描述"),
        "chain_nodes": _CHAIN,
        "industry_code": ("行业代码", "国民经济行业代码"),
        "created": ("提出日期", "创建日期", "日期"),
    },
    "events": {
        "event_id": ("活动编号",),
        "name": ("活动名称", "名称"),
        "date": ("活动日期", "日期", "举办日期"),
        "city": ("举办城市", *_CITY),
        "venue": ("地点", "场地", "会场"),
        "n_slots": ("时段数",),
        "slot_minutes": ("每场时长(分钟)", "时段时长(分钟)"),
        "n_tables": ("洽谈桌数", "桌数"),
        "theme_chains": ("主题产业链",),
    },
    "participants": {
        "event_id": ("活动编号",),
        "uscc": ("统一社会信用代码", "社会信用代码", "信用代码"),
        "role": ("角色", "企业类型"),
        "min_meetings": ("最少洽谈数", "最少对接次数"),
        "max_meetings": ("最多洽谈数", "最多对接次数"),
        "available_slots": ("可用时段",),
        "must_meet": ("必须对接", "必见", "必须对接企业"),
        "no_meet": ("不对接", "拒绝对接", "不对接企业"),
    },
    "outcomes": {
        "query_kind": ("对接类型", "查询类型"),
        "query_id": ("需求方编号", "查询方编号", "查询方"),
        "candidate_id": ("候选企业信用代码", "候选方编号", "候选企业"),
        "stage": ("阶段", "进展"),
        "date": ("日期", "发生日期"),
        "event_id": ("活动编号",),
        "amount_wan": ("金额(万元)", "签约金额(万元)"),
    },
    # the project ledger (台账) and a park's firm list (园区企业名单)
    "projects": {
        "project_id": ("项目编号", "项目代码"),
        "name": ("项目名称",),
        "investor_name": ("投资方", "投资主体", "投资企业", "签约企业"),
        "investor_uscc": ("投资方统一社会信用代码", "统一社会信用代码", "信用代码"),
        "city": ("所在城市", "城市", "地市", "city_code"),
        "park_id": ("所属园区", "园区", "园区编号", "落户园区"),
        "source_city_code": ("来源地", "来源城市", "投资方所在地"),
        "industry": ("产业类别", "行业类别", "所属产业"),
        "chain_nodes": _CHAIN,
        "stage": ("进度", "项目进度", "项目阶段", "阶段"),
        "stage_date": ("日期", "进度日期", "更新日期"),
        "signed_date": ("签约日期", "签约时间"),
        "agreed_investment_yi": ("协议投资额(亿元)", "计划投资总额(亿元)", "总投资(亿元)"),
        "fixed_asset_yi": ("固定资产投资(亿元)",),
        "land_mu": ("用地(亩)", "用地面积(亩)", "用地"),
        "contact": ("联系人", "项目联系人"),
        "source_list": ("来源清单", "推荐清单"),
        "model_version": ("模型版本",),
    },
    "park_members": {
        "park_id": ("所属园区", "园区", "园区编号", "园区名称"),
        "uscc": ("统一社会信用代码", "社会信用代码", "信用代码"),
        "since": ("入园日期", "入驻日期", "落户日期"),
        "source": ("来源",),
    },
}

# sheet names that mark the sheet of a kind in a workbook (compared case-insensitively)
KIND_SHEET_NAMES: Mapping[str, tuple[str, ...]] = {
    "enterprises": ("enterprises", "enterprise", "企业", "企业名单", "企业库"),
    "parks": ("parks", "park", "园区", "园区名单"),
    "needs": ("needs", "need", "需求", "需求清单"),
    "events": ("events", "event", "活动", "对接活动"),
    "participants": ("participants", "participant", "参会企业", "参会名单"),
    "outcomes": ("outcomes", "outcome", "对接结果", "结果"),
    "projects": ("projects", "project", "项目", "项目台账", "台账"),
    "park_members": ("park_members", "park_member", "园区企业", "园区企业名单"),
}

BOOLEAN_VALUES: Mapping[str, bool] = {
    "true": True, "false": False, "1": True, "0": False, "是": True, "否": False,
    "y": True, "n": False, "yes": True, "no": False, "t": True, "f": False,
    "1.0": True, "0.0": False,
}  # fmt: skip

# enum name -> accepted spelling (lower-cased) -> canonical value
ENUMS: Mapping[str, Mapping[str, str]] = {
    "srdi_level": {
        "none": "none", "province": "province", "national": "national",
        "无": "none", "否": "none", "省级": "province", "国家级": "national",
        "省级专精特新": "province", "国家级专精特新": "national", "小巨人": "national",
        "专精特新小巨人": "national",
    },
    "role": {
        "leading": "leading", "supporting": "supporting",
        "龙头": "leading", "龙头企业": "leading", "配套": "supporting", "配套企业": "supporting",
    },
    "owner_kind": {
        "enterprise": "enterprise", "park": "park", "企业": "enterprise", "园区": "park",
    },
    "query_kind": {
        "supplier": "supplier", "investor": "investor", "customer": "customer",
        "找配套": "supplier", "配套": "supplier", "招商": "investor", "找客户": "customer",
    },
    "stage": {
        "recommended": "recommended", "contacted": "contacted", "meeting": "meeting",
        "intention": "intention", "signed": "signed", "landed": "landed", "declined": "declined",
        "推荐": "recommended", "联系": "contacted", "洽谈": "meeting", "会谈": "meeting",
        "意向": "intention", "签约": "signed", "落地": "landed", "到资": "landed",
        "拒绝": "declined", "放弃": "declined",
    },
    # "<kind>.<column>" names an enum of one kind only (project stages are not outcome stages)
    "projects.stage": {
        **{s: s for s in PROJECT_STAGES},
        **{en: s for s, en in PROJECT_STAGE_EN.items()},
        "洽谈": "在谈", "已签约": "签约", "已开工": "开工", "已投产": "投产", "终止": "中止",
    },
    # enterprises' registry fields; spellings as checks.enum_spelling leaves them (bracketed
    # notes dropped, 企业 suffix dropped, ASCII comma, lower case)
    "status": {
        **{v: v for v in STATUSES},
        "存续": "active", "在业": "active", "开业": "active", "在营": "active", "正常": "active",
        "在册": "active", "存续/在业": "active", "迁入": "active", "登记成立": "active",
        "迁出": "moved_out", "已迁出": "moved_out", "停业": "suspended", "歇业": "suspended",
        "清算": "liquidating", "正在清算": "liquidating", "吊销": "revoked",
        "吊销,未注销": "revoked", "已吊销": "revoked", "撤销": "revoked", "责令关闭": "revoked",
        "注销": "deregistered", "已注销": "deregistered", "吊销,已注销": "deregistered",
    },
    "size_band": {
        **{v: v for v in SIZE_BANDS},
        "xs": "micro", "s": "small", "m": "medium", "l": "large",
        "微型": "micro", "小型": "small", "中型": "medium", "大型": "large",
    },
    "chain_nodes_source": {
        **{v: v for v in CHAIN_NODE_SOURCES}, "文件": "file", "推断": "inferred",
    },
    "capital_currency": {
        **{code.lower(): code for code in CURRENCY_RATES},
        **{word.lower(): code for word, code in CURRENCY_WORDS.items()},
    },
    "park_members.source": {
        "list": "list", "project": "project", "名单": "list", "项目": "project",
    },
}  # fmt: skip

# cells that mean "no value" in registry exports and office lists
EMPTY_TOKENS: frozenset[str] = frozenset(
    {"-", "--", "---", "—", "——", "－", "暂无", "暂无信息", "未公开", "null", "NULL", "N/A", "n/a"}
)
# registry-export columns that carry nothing the contract holds: recognised, not reported
REGISTRY_IGNORED: frozenset[str] = frozenset(
    {
        "法定代表人", "法人", "实缴资本", "核准日期", "营业期限", "登记机关", "企业类型",
        "公司类型", "纳税人识别号", "注册号", "组织机构代码", "曾用名", "英文名", "英文名称",
        "电话", "更多电话",
        "邮箱", "更多邮箱", "网址", "企业地址", "注册地址", "通信地址", "最新年报地址", "简介",
        "企业(机构)类型", "所属地区", "序号", "进出口企业代码", "纳税人资质", "人员规模",
        "参保人数所属年报", "营业期限自", "营业期限至", "发照日期", "股票代码", "联系电话",
    }
)  # fmt: skip

_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "\ufeff": "", "\u3000": " "})
_SPACES = re.compile(r"\s+")


def header_key(text: str) -> str:
    """Normalise a header cell for matching: BOM and spaces removed, ASCII brackets, lower case."""
    return _SPACES.sub("", text.translate(_FULLWIDTH)).lower()


def _alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for column, aliases in FILE_COLUMNS[kind].items():
        for alias in (column, *aliases):
            index.setdefault(header_key(alias), column)
    return index


def map_headers(
    kind: str, cells: Sequence[str]
) -> tuple[dict[int, str], list[str], list[tuple[str, str]]]:
    """Map the header cells of a file of ``kind`` to file columns.

    Returns
    -------
    positions : cell position -> file column, for the cells that name a column
    ignored : the non-empty header cells that name no column of the kind
    duplicates : (file column, "header1 / header2") for every column named twice
    """
    index = _alias_index(kind)
    positions: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    duplicates: list[tuple[str, str]] = []
    for pos, cell in enumerate(cells):
        key = header_key(cell)
        if not key:
            continue
        column = index.get(key)
        if column is None:
            ignored.append(cell.strip())
        elif column in seen:
            duplicates.append((column, f"{seen[column]} / {cell.strip()}"))
        else:
            seen[column] = cell.strip()
            positions[pos] = column
    return positions, ignored, duplicates
