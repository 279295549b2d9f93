"""Columns and dtypes of every entity frame, declared once.

Frames passed between layers use these names. Identifiers and codes are strings, booleans
are numpy ``bool``, counts are pandas nullable ``Int64``, amounts ``float64``, dates
``datetime64[ns]`` (naive, China local date). Multi-valued text fields (chain nodes, GB/T
codes) are ``;``-joined strings.

Cities are identified by ``city_code``: the 6-digit adcode of a prefecture-level city, or of
a Shanghai district (闵行 310112, 松江 310117, 奉贤 310120), since the programme pairs Shanghai
districts with Wanbei cities.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.errors import SchemaError

# kinds: str, int (nullable Int64), float, bool, date
_KIND_DTYPES: dict[str, str] = {
    "str": "object",
    "int": "Int64",
    "float": "float64",
    "bool": "bool",
    "date": "datetime64[ns]",
}


@dataclass(frozen=True)
class Column:
    """One column of an entity frame."""

    name: str
    kind: str
    required: bool
    meaning: str


@dataclass(frozen=True)
class FrameSchema:
    """The declared columns of one entity frame."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _cols(rows: Iterable[tuple[str, str, bool, str]]) -> tuple[Column, ...]:
    return tuple(Column(n, k, r, m) for n, k, r, m in rows)


# ----------------------------------------------------------------------------- vocabularies
# Each vocabulary is declared once, as a Literal type (the API's and the pages' parameter
# types) whose values, in order, are the tuple beside it (menus, validation, loops).

# 专精特新 level; a filter asks for a minimum level (never "none")
MinSrdi = Literal["province", "national"]
SrdiLevel = Literal["none", MinSrdi]
SRDI_LEVELS: Final[tuple[str, ...]] = get_args(SrdiLevel)
MIN_SRDI_LEVELS: Final[tuple[str, ...]] = get_args(MinSrdi)
# the helping side (沪苏浙) and the Wanbei side's province, as the reference names them
HelpingProvince = Literal["上海市", "江苏省", "浙江省"]
Province = Literal[HelpingProvince, "安徽省"]
HELPING_PROVINCES: Final[tuple[str, ...]] = get_args(HelpingProvince)
PROVINCES: Final[tuple[str, ...]] = get_args(Province)
WANBEI_PROVINCE: Final = "安徽省"
# the media type of every workbook the product serves
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QueryKind = Literal["supplier", "investor", "customer"]
QUERY_KINDS: Final[tuple[str, ...]] = get_args(QueryKind)
Stage = Literal["recommended", "contacted", "meeting", "intention", "signed", "landed", "declined"]
STAGES: Final[tuple[str, ...]] = get_args(Stage)
# graded relevance of the furthest stage reached (DESIGN.md)
STAGE_GRADE: Mapping[str, int] = {
    "recommended": 0,
    "contacted": 0,
    "declined": 0,
    "meeting": 1,
    "intention": 2,
    "signed": 3,
    "landed": 4,
}
ParticipantRole = Literal["leading", "supporting"]
ROLES: Final[tuple[str, ...]] = get_args(ParticipantRole)
OwnerKind = Literal["enterprise", "park"]
OWNER_KINDS: Final[tuple[str, ...]] = get_args(OwnerKind)

# ----------------------------------------------------------------------------- projects (台账)
# The stage vocabulary of a project, in programme order; 中止 (stopped) can follow any stage.
ProjectStage = Literal["在谈", "协议起草", "签约", "开工", "投产", "中止"]
PROJECT_STAGES: Final[tuple[str, ...]] = get_args(ProjectStage)
PROJECT_STAGE_EN: Mapping[str, str] = {
    "在谈": "negotiating",
    "协议起草": "drafting",
    "签约": "signed",
    "开工": "started",
    "投产": "operating",
    "中止": "stopped",
}
# stages that count as "signed or later" (agreed investment, signed projects)
PROJECT_SIGNED_STAGES = ("签约", "开工", "投产")
# position of each stage in the ladder; 中止 has none (-1)
PROJECT_STAGE_RANK: Mapping[str, int] = {
    "在谈": 0,
    "协议起草": 1,
    "签约": 2,
    "开工": 3,
    "投产": 4,
    "中止": -1,
}
# a project reaching these stages is an outcome of its (park, investor) pair (DESIGN.md)
PROJECT_OUTCOME_STAGE: Mapping[str, str] = {"签约": "signed", "投产": "landed"}
PARK_MEMBER_SOURCES = ("list", "project")
# 登记状态 of a firm, as the registry states it; firms whose status is in EXCLUDED_STATUSES
# stay in the catalogue (marked) but are never proposed as candidates
STATUSES = ("active", "moved_out", "suspended", "liquidating", "revoked", "deregistered")
EXCLUDED_STATUSES = ("revoked", "deregistered")
# 企业规模 as registries give it (L/M/S/XS: 大型/中型/小型/微型), smallest first
SizeBand = Literal["micro", "small", "medium", "large"]
SIZE_BANDS: Final[tuple[str, ...]] = get_args(SizeBand)
# where an enterprise's chain_nodes came from
CHAIN_NODE_SOURCES = ("file", "inferred")
# text columns whose absent value is not ""
_STR_DEFAULTS: Mapping[str, str] = {"srdi_level": "none", "status": "active"}

ENTERPRISE = FrameSchema(
    "enterprises",
    ("uscc",),
    _cols(
        [
            ("uscc", "str", True, "统一社会信用代码, 18 chars, GB 32100-2015 check digit"),
            ("name", "str", True, "企业名称"),
            ("city_code", "str", True, "adcode of the city (Shanghai: district)"),
            ("industry_code", "str", True, "GB/T 4754-2017 code (class preferred)"),
            ("products", "str", True, "主营产品, ;-separated Chinese text"),
            ("district", "str", False, "区县 name"),
            ("inputs", "str", False, "主要投入/采购, ;-separated text"),
            ("chain_nodes", "str", False, "chain node ids it makes, ;-joined"),
            ("employees", "int", False, "employees"),
            ("revenue_wan", "float", False, "revenue, 10,000 CNY"),
            ("founded", "int", False, "founding year"),
            ("is_leading", "bool", False, "龙头企业"),
            ("srdi_level", "str", False, "专精特新 level: none/province/national"),
            ("is_high_tech", "bool", False, "高新技术企业"),
            ("listed", "bool", False, "listed company"),
            ("status", "str", False, "登记状态: one of STATUSES (absent: active)"),
            ("founded_on", "date", False, "成立日期, when the file gives the full date"),
            ("registered_capital_wan", "float", False, "注册资本, 10,000 CNY (converted)"),
            ("capital_currency", "str", False, "currency 注册资本 was stated in (ISO 4217)"),
            ("size_band", "str", False, "企业规模 from the registry: one of SIZE_BANDS"),
            ("chain_nodes_source", "str", False, "file / inferred / '' (no chain nodes)"),
        ]
    ),
)

PARK = FrameSchema(
    "parks",
    ("park_id",),
    _cols(
        [
            ("park_id", "str", True, "park id (catalogue code, e.g. S347022, or CB-xx)"),
            ("name", "str", True, "园区名称"),
            ("city_code", "str", True, "adcode of its Wanbei city"),
            ("leading_industries", "str", True, "主导产业 text"),
            ("level", "str", False, "approval level"),
            ("partner_city_code", "str", False, "adcode of the 沪苏浙 partner"),
            ("area_ha", "float", False, "approved area, ha"),
            ("lat", "float", False, "latitude WGS84"),
            ("lon", "float", False, "longitude WGS84"),
            ("chain_nodes", "str", False, "chain nodes the park wants, ;-joined"),
        ]
    ),
)

NEED = FrameSchema(
    "needs",
    ("need_id",),
    _cols(
        [
            ("need_id", "str", True, "need id"),
            ("owner_kind", "str", True, "enterprise or park"),
            ("owner_id", "str", True, "uscc or park_id"),
            ("description", "str", True, "what is sought, Chinese text"),
            ("chain_nodes", "str", False, "chain node ids sought, ;-joined"),
            ("industry_code", "str", False, "GB/T code sought"),
            ("created", "date", False, "date the need was stated"),
        ]
    ),
)

EVENT = FrameSchema(
    "events",
    ("event_id",),
    _cols(
        [
            ("event_id", "str", True, "event id"),
            ("name", "str", True, "event name"),
            ("date", "date", True, "event date"),
            ("city_code", "str", True, "host city adcode"),
            ("venue", "str", False, "venue"),
            ("n_slots", "int", False, "number of time slots"),
            ("slot_minutes", "int", False, "slot length, minutes"),
            ("n_tables", "int", False, "number of tables"),
            ("theme_chains", "str", False, "chain ids, ;-joined"),
        ]
    ),
)

PARTICIPANT = FrameSchema(
    "participants",
    ("event_id", "uscc"),
    _cols(
        [
            ("event_id", "str", True, "event id"),
            ("uscc", "str", True, "firm"),
            ("role", "str", True, "leading or supporting"),
            ("min_meetings", "int", False, "minimum meetings wanted"),
            ("max_meetings", "int", False, "meeting cap"),
            ("available_slots", "str", False, "slot indexes, ;-joined; empty = all"),
            ("must_meet", "str", False, "USCCs of counterparts it must meet, ;-joined"),
            ("no_meet", "str", False, "USCCs of counterparts it refuses to meet, ;-joined"),
        ]
    ),
)

OUTCOME = FrameSchema(
    "outcomes",
    ("query_kind", "query_id", "candidate_id", "stage", "date"),
    _cols(
        [
            ("query_kind", "str", True, "supplier/investor/customer"),
            ("query_id", "str", True, "uscc or park_id of the asking side"),
            ("candidate_id", "str", True, "uscc of the candidate"),
            ("stage", "str", True, "funnel stage"),
            ("date", "date", True, "date the stage was reached"),
            ("event_id", "str", False, "event where it happened"),
            ("amount_wan", "float", False, "signed/landed amount, 10,000 CNY"),
        ]
    ),
)

PROJECT = FrameSchema(
    "projects",
    ("project_id",),
    _cols(
        [
            ("project_id", "str", True, "项目编号"),
            ("name", "str", True, "项目名称"),
            ("investor_name", "str", True, "投资方 (name; the firm may not be known yet)"),
            ("investor_uscc", "str", False, "投资方统一社会信用代码, when known"),
            ("city_code", "str", False, "adcode of the Wanbei city (from the park if absent)"),
            ("park_id", "str", False, "所属园区 (park id)"),
            ("source_city_code", "str", False, "来源地: adcode of the investor's city"),
            ("industry", "str", False, "产业类别 text"),
            ("chain_nodes", "str", False, "chain node ids, ;-joined"),
            ("stage", "str", True, "进度, one of PROJECT_STAGES"),
            ("stage_date", "date", True, "date the current stage was reached"),
            ("signed_date", "date", False, "签约日期: first date at 签约 or a later stage"),
            ("agreed_investment_yi", "float", False, "协议/计划投资总额, 亿元"),
            ("fixed_asset_yi", "float", False, "固定资产投资, 亿元"),
            ("land_mu", "float", False, "用地, 亩"),
            ("contact", "str", False, "联系人"),
            ("source_list", "str", False, "recommendation list it came from (kind:query_id)"),
            ("model_version", "str", False, "model version of that list"),
        ]
    ),
)

PARK_MEMBER = FrameSchema(
    "park_members",
    ("park_id", "uscc"),
    _cols(
        [
            ("park_id", "str", True, "park id"),
            ("uscc", "str", True, "firm in the park"),
            ("since", "date", False, "入园日期"),
            ("source", "str", False, "list (园区企业名单) or project (a landed project)"),
        ]
    ),
)

SCHEMAS: Mapping[str, FrameSchema] = {
    s.name: s for s in (ENTERPRISE, PARK, NEED, EVENT, PARTICIPANT, OUTCOME, PROJECT, PARK_MEMBER)
}


def check_frame(frame: pd.DataFrame, schema: FrameSchema, *, where: str = "") -> None:
    """Raise :class:`SchemaError` naming every missing required column or wrong dtype.

    Parameters
    ----------
    frame : DataFrame to check (not modified).
    schema : the declared schema.
    where : the caller's name, used in the message.
    """
    label = f"{where}: " if where else ""
    missing = [c for c in schema.required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{label}{schema.name} frame lacks required columns {missing}; "
            f"expected at least {schema.required}, got {list(frame.columns)}"
        )
    wrong: list[str] = []
    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        dt = frame[col.name].dtype
        ok = {
            "str": pd.api.types.is_string_dtype(dt) or pd.api.types.is_object_dtype(dt),
            "int": pd.api.types.is_integer_dtype(dt),
            "float": pd.api.types.is_float_dtype(dt) or pd.api.types.is_integer_dtype(dt),
            "bool": pd.api.types.is_bool_dtype(dt),
            "date": pd.api.types.is_datetime64_any_dtype(dt),
        }[col.kind]
        if not ok:
            wrong.append(f"{col.name} (expected {col.kind}, got {dt})")
    if wrong:
        raise SchemaError(f"{label}{schema.name} frame has mistyped columns: {', '.join(wrong)}")


def empty_frame(schema: FrameSchema) -> pd.DataFrame:
    """An empty frame with every declared column and its dtype."""
    return pd.DataFrame({c.name: pd.Series(dtype=_KIND_DTYPES[c.kind]) for c in schema.columns})


def conform(frame: pd.DataFrame, schema: FrameSchema) -> pd.DataFrame:
    """Return a copy with every declared column present (defaults filled) and typed.

    Optional columns that are absent get defaults: "" for text, False for flags,
    ``<NA>`` for counts, NaN for amounts, NaT for dates; ``srdi_level`` defaults to "none"
    and ``status`` to "active".
    """
    check_frame_columns_present(frame, schema)
    if _already_conformed(frame, schema):
        # copy-on-write: a shallow copy costs nothing and keeps the caller's frame safe
        return frame.copy(deep=False)
    out = pd.DataFrame(index=frame.index)
    for c in schema.columns:
        if c.name in frame.columns:
            s = frame[c.name]
        else:
            s = pd.Series(_default(c), index=frame.index)
        if c.kind == "str":
            default = _STR_DEFAULTS.get(c.name, "")
            s = s.astype(object).where(s.notna(), default).astype(str).str.strip()
            if default:
                s = s.where(s != "", default)
            out[c.name] = s.astype(object)
        elif c.kind == "int":
            out[c.name] = pd.to_numeric(s, errors="raise").astype("Int64")
        elif c.kind == "float":
            out[c.name] = pd.to_numeric(s, errors="raise").astype("float64")
        elif c.kind == "bool":
            out[c.name] = s.fillna(False).astype(bool)
        else:
            out[c.name] = pd.to_datetime(s).astype("datetime64[ns]")
    return out.reset_index(drop=True)


def _already_conformed(frame: pd.DataFrame, schema: FrameSchema) -> bool:
    """True when ``frame`` has exactly the declared columns, dtypes and no missing text."""
    if list(frame.columns) != schema.names or not isinstance(frame.index, pd.RangeIndex):
        return False
    if frame.index.start != 0 or frame.index.step != 1:
        return False
    for c in schema.columns:
        col = frame[c.name]
        if str(col.dtype) != _KIND_DTYPES[c.kind]:
            return False
        if c.kind == "str" and bool(col.isna().any()):
            return False
    return True


def check_frame_columns_present(frame: pd.DataFrame, schema: FrameSchema) -> None:
    missing = [c for c in schema.required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{schema.name} frame lacks required columns {missing}; got {list(frame.columns)}"
        )


def _default(c: Column) -> object:
    if c.name in _STR_DEFAULTS:
        return _STR_DEFAULTS[c.name]
    return {"str": "", "int": pd.NA, "float": float("nan"), "bool": False, "date": pd.NaT}[c.kind]


def split_multi(value: str) -> list[str]:
    """Split a ;-joined field (also accepts ，,、；|) into stripped non-empty parts."""
    for sep in ("，", ",", "、", "；", "|"):
        value = value.replace(sep, ";")
    return [p.strip() for p in value.split(";") if p.strip()]


def live_mask(enterprises: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """True for every firm that may be proposed as a candidate (status not in
    :data:`EXCLUDED_STATUSES`; a frame without ``status`` counts as all live)."""
    if "status" not in enterprises.columns:
        return np.ones(len(enterprises), dtype=bool)
    status = enterprises["status"].astype(object).where(enterprises["status"].notna(), "")
    return ~np.asarray(status.isin(list(EXCLUDED_STATUSES)), dtype=bool)
