"""Plain Chinese for what goes wrong: error pages, refusals, row errors, form fields.

The domain and the importer word their errors for developers and API clients (English, with
what was expected and what came). A page shows a civil servant the Chinese sentence built
here, and keeps the original wording only as a folded detail, never a traceback or JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from recommender.errors import (
    AuthError,
    ChainmatchError,
    ConflictError,
    ForbiddenError,
    ImportValidationError,
    ModelError,
    NotFoundError,
    ReferenceDataError,
    ValidationError,
)

# HTTP status -> (title, what to do)
STATUS_TEXT: Final[Mapping[int, tuple[str, str]]] = {
    400: ("请求有误", "请返回上一页检查后重试。"),
    401: ("请先登录", "登录后即可继续。"),
    403: (
        "无权访问",
        "当前账户的角色或所属城市不能查看或修改这项内容。如需权限，请联系系统管理员。",
    ),
    404: ("页面不存在", "您要找的页面或记录不存在，可能已被删除或网址有误。"),
    405: ("不支持的操作", "请从页面上的按钮进入，不要直接输入网址。"),
    409: ("操作冲突", "这项内容刚被修改过或已经存在，请刷新页面后重试。"),
    413: ("文件太大", "请拆分文件后分批上传。"),
    422: ("填写有误", "请按提示修改后重新提交。"),
    500: ("系统出错了", "系统遇到意外问题，已记录。请稍后重试；如果反复出现，请联系系统管理员。"),
    503: ("服务暂不可用", "排序模型尚未就绪或正在更新，请稍后再试，或联系分析员上线一个模型。"),
}

# form / query field -> its label on the pages
FIELD_LABELS: Final[Mapping[str, str]] = {
    "park": "园区",
    "node": "产业链环节",
    "province": "省份",
    "city": "城市",
    "size": "企业规模",
    "srdi": "专精特新",
    "k": "数量",
    "firm": "企业",
    "candidate": "候选企业",
    "stage": "进展",
    "date": "日期",
    "amount": "金额(万元)",
    "amount_wan": "金额(万元)",
    "event_id": "对接会编号",
    "name": "名称",
    "venue": "地点",
    "n_slots": "时段数",
    "slot_minutes": "每场分钟",
    "n_tables": "桌数",
    "start_time": "开始时间",
    "uscc": "统一社会信用代码",
    "role": "角色",
    "min_meetings": "最少会谈数",
    "max_meetings": "最多会谈数",
    "available_slots": "可参会时段",
    "must_meet": "必须会见",
    "no_meet": "不会见",
    "query_kind": "查询类型",
    "query_id": "查询对象",
    "candidate_id": "候选企业",
    "username": "用户名",
    "password": "密码",
    "version": "模型版本",
    "file": "文件",
    "csrf": "表单令牌",
    "industry_code": "行业代码",
    "employees": "参保人数",
    "revenue_wan": "营业收入(万元)",
    "founded": "成立年份",
    "products": "主营产品",
}

# (pattern of an English "expected" text, its Chinese)
_EXPECTED: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(p), zh)
    for p, zh in (
        (
            r"^check character (\S+) \(GB 32100-2015\) at the end$",
            r"最后一位校验码应为 \1（GB 32100-2015），请核对代码是否抄错",
        ),
        (
            r"^an 18-character 统一社会信用代码",
            "18 位统一社会信用代码（数字和除 I、O、S、V、Z 外的大写字母）",
        ),
        (
            r"^统一社会信用代码 of counterparts",
            "对方企业的统一社会信用代码，多个用 ; 分隔，每个 18 位且校验码正确",
        ),
        (r"^a whole number from (\S+) to (\S+)$", r"\1 到 \2 之间的整数"),
        (r"^a whole number >= (\S+)$", r"不小于 \1 的整数"),
        (r"^a whole number$", "整数"),
        (r"^a number from (\S+) to (\S+)$", r"\1 到 \2 之间的数"),
        (r"^a number >= (\S+)$", r"不小于 \1 的数"),
        (r"^a number$", "数字"),
        (r"^a date YYYY-MM-DD", "日期，如 2026-05-20（也可写 2026/5/20 或 2026年5月20日）"),
        (r"^a value \(required (\S+)\)$", "必填，不能为空"),
        (r"^a known city", "已知城市，如 蚌埠市、蚌埠、闵行区 或行政区划代码 340300"),
        (r"^a GB/T 4754-2017 industry code", "国民经济行业代码（GB/T 4754-2017），如 3973"),
        (r"^true/false", "是 或 否"),
        (r"^one of (.+?) \(or", r"以下之一：\1"),
        (r"^slot indexes", "时段编号，如 0;1;4（从 0 起的整数）"),
        (r"^an id of at most (\d+) characters$", r"不超过 \1 个字符的编号"),
        (r"^the key of an? (\w+) in this import or in the database$", r"系统中已有的\1"),
        (r"^a key not already in the file$", "文件中不重复的记录（同一记录出现了两次）"),
        (r"^a \.csv or \.xlsx file$", "CSV 或 Excel（.xlsx）文件"),
        (r"^a header row", "第一行为表头"),
        (r"^at least one data row$", "至少一行数据"),
        (r"^UTF-8 or GBK", "UTF-8 或 GBK 编码的文本"),
        (r"^well-formed CSV$", "格式正确的 CSV"),
        (r"^(\d+) fields$", r"\1 列"),
        (r"^a date not after (\S+)$", r"不晚于 \1 的日期（不能填将来的日期）"),
        (r"^not both signed and declined", "同一天不能既签约又拒绝"),
    )
)
_NOUNS: Final[Mapping[str, str]] = {
    "enterprise": "企业",
    "park": "园区",
    "event": "对接会",
    "need": "需求",
    "participant": "参会企业",
}

_CJK: Final = re.compile(r"[\u4e00-\u9fff]")


def has_chinese(text: str) -> bool:
    """Whether ``text`` already says something in Chinese."""
    return bool(_CJK.search(text))


def field_label(name: str) -> str:
    """The page's label of a field (``k`` -> 数量); the name itself if unknown."""
    return FIELD_LABELS.get(name, name)


def expected_zh(text: str) -> str:
    """The Chinese of an importer's "expected" text (the text itself if not recognised)."""
    for pattern, zh in _EXPECTED:
        match = pattern.search(text)
        if match:
            out = match.expand(zh)
            for en, cn in _NOUNS.items():
                out = out.replace(f"系统中已有的{en}", f"系统中已有的{cn}")
            return out
    return text


def row_errors_zh(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Row errors with Chinese column labels and expectations (the English kept aside)."""
    return [
        {
            **e,
            "column_zh": " + ".join(field_label(c) for c in str(e.get("column", "")).split("+")),
            "expected_zh": expected_zh(str(e.get("expected", ""))),
        }
        for e in errors
    ]


# (pattern of a domain error's English text, its Chinese): the refusals a page user meets
_DOMAIN: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(p), zh)
    for p, zh in (
        (
            r"has no registered participants",
            "这场对接会还没有登记参会企业，请先登记龙头企业和配套企业。",
        ),
        (r"has no n_slots", "这场对接会还没有设置时段数，请先填写时段数。"),
        (r"^event '([^']+)' exists already", r"编号 \1 已被另一场对接会使用，请换一个编号。"),
        (r"has no stored plan", "这场对接会还没有排程，请先运行排程。"),
        (
            r"participant\(s\) are unknown to the ranking service",
            "有参会企业刚导入，排序服务还没更新，请过一两分钟再排程。",
        ),
        (r"has no calibrator", "当前上线的模型不能给会谈打分，请分析员重新训练并上线一个模型。"),
        (
            r"supplier queries need a leading firm",
            "这家不是龙头企业：请在“为本地企业找客户”里查它能供货给谁。",
        ),
        (
            r"customer queries need a supporting firm",
            "这家是龙头企业：请在“为龙头企业找配套”里查谁能为它供货。",
        ),
        (r"no earlier production model to roll back to", "没有更早上线过的模型，无法回滚。"),
        (
            r"retrain job (\d+) is still (\w+)",
            r"第 \1 号训练任务还没结束，请等它完成后再开始新的训练。",
        ),
        (r"is not a remaining participant", "这家企业没有登记参加这场对接会。"),
        (r"is already cancelled|was cancelled", "这家企业已经取消参会了。"),
        (r"^park '([^']+)' does not exist", "没有找到这个园区，可能已被删除。"),
        (r"^enterprise '([^']+)' does not exist", "没有找到这家企业，可能已被删除。"),
    )
)


# what a page says for an error whose message has no sentence of its own, by class
_BY_CLASS: Final[tuple[tuple[type[ChainmatchError], str], ...]] = (
    (AuthError, "请先登录。"),
    (ForbiddenError, "这项内容不属于您的城市或角色，无法查看或修改。"),
    (NotFoundError, "没有找到这项记录，可能已被删除或编号有误。"),
    (ConflictError, "这项内容已存在或正在处理，请刷新页面后再试。"),
    (ModelError, "还没有可用的排序模型，请联系分析员训练并上线一个模型后再试。"),
    (ReferenceDataError, "基础数据（城市、行业、产业链）不完整，请联系系统管理员。"),
    (ValidationError, "填写的内容不符合要求，请检查后重试。"),
)


def domain_zh(exc: ChainmatchError) -> str:
    """One Chinese sentence for a refusal or failure shown on a page."""
    text = str(exc)
    for pattern, zh in _DOMAIN:
        match = pattern.search(text)
        if match:
            return match.expand(zh)
    if isinstance(exc, ImportValidationError):
        n = len(exc.errors)
        return f"文件未导入：有 {n} 处问题，见下表。整份文件都没有写入，请改正后重新上传。"
    if has_chinese(text) and not text.isascii():
        head = text.split(" (", 1)[0]
        return head if has_chinese(head) else text
    return next((zh for cls, zh in _BY_CLASS if isinstance(exc, cls)), "操作没有完成，请稍后重试。")


_PYDANTIC: Final[Mapping[str, str]] = {
    "missing": "必填，不能为空",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
    "string_too_long": "最多 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "string_pattern_mismatch": "格式不对",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "date_from_datetime_parsing": "应为日期，如 2026-05-20",
    "date_parsing": "应为日期，如 2026-05-20",
    "value_error": "取值不对",
}


def request_error_zh(err: Mapping[str, Any]) -> dict[str, str]:
    """One FastAPI/pydantic validation error as ``{field, message, got}`` in Chinese."""
    loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path", "form")]
    name = loc[-1] if loc else ""
    ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
    template = _PYDANTIC.get(str(err.get("type", "")), "取值不对")
    try:
        message = template.format(**ctx)
    except KeyError:
        message = template
    got = err.get("input")
    shown = "" if got is None or isinstance(got, dict | list) else str(got)[:80]
    return {"field": field_label(name), "message": message, "got": shown}


_JOB: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(p), zh)
    for p, zh in (
        (
            r"keep production: new ndcg@(\d+) ([\d.]+) < production ([\d.]+) - tolerance ([\d.]+)",
            r"保留原生产模型：新模型排序质量 NDCG@\1 为 \2，"
            r"低于同一测试窗口上的生产模型 \3（允许最多低 \4）",
        ),
        (
            r"promote: new ndcg@(\d+) ([\d.]+) >= production ([\d.]+) - tolerance ([\d.]+)",
            r"已上线新模型：排序质量 NDCG@\1 为 \2，同一测试窗口上的生产模型为 \3（允许最多低 \4）",
        ),
        (
            r"promote: no model in production \(new ndcg@(\d+) ([\d.]+)\)",
            r"已上线：此前没有生产模型（新模型排序质量 \2）",
        ),
        (r"not promoted: trained on some query kinds only.*", "没有上线：只训练了部分查询类型"),
        (
            r"not promoted: the production model failed its integrity.*",
            "没有上线：生产模型文件校验失败，请先检查模型库",
        ),
        (r"^web page: promote if better$", "网页发起：比生产模型好才上线"),
        (r"; production before this run: (\S+) \((\w+)\)", r"；训练前的生产模型：\1"),
        (r"^(\w+Error): (.*)$", r"训练失败（\1）：\2"),
    )
)


def job_zh(text: str) -> str:
    """A retrain job's message in Chinese (unknown parts kept as they are)."""
    out = text
    for pattern, zh in _JOB:
        out = pattern.sub(zh, out)
    return out
