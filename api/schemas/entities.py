"""Enterprises, parks, needs and events: create, update (partial) and output models.

Inputs use the columns of the import files (``city`` is a Chinese name or an adcode, the
server turns it into ``city_code``); outputs carry the stored ``city_code``. Multi-valued
fields (chain nodes, theme chains) are JSON lists here and ``;``-joined in files.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from api.schemas.common import CityRef, Ident, ShortText, Text, Uscc
from features.schema import OwnerKind, SrdiLevel

Count = Annotated[int, Field(ge=0, le=10_000_000)]
Amount = Annotated[float, Field(ge=0, le=1e12)]
NodeList = Annotated[list[Ident], Field(max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------- enterprises
_ENTERPRISE_EXAMPLE: JsonDict = {
    "uscc": "91340300MA2N0QXR35",
    "name": "蚌埠华芯传感科技有限公司",
    "city": "蚌埠",
    "industry_code": "3973",
    "products": "MEMS 压力传感器;传感器模组",
    "district": "禹会区",
    "inputs": "MEMS 芯片;封装材料",
    "chain_nodes": ["sensor.module"],
    "employees": 320,
    "revenue_wan": 48000.0,
    "founded": 2016,
    "is_leading": False,
    "srdi_level": "province",
    "is_high_tech": True,
    "listed": False,
}


class EnterpriseCreate(_In):
    """A firm to register (the columns of enterprises.csv)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_ENTERPRISE_EXAMPLE]})

    uscc: Uscc
    name: ShortText = Field(min_length=1)
    city: CityRef
    industry_code: Ident = Field(description="GB/T 4754-2017 代码, 优先四位小类")
    products: Text = Field(min_length=1, description="主营产品, 以 ; 分隔")
    district: ShortText = ""
    inputs: Text = ""
    chain_nodes: NodeList = Field(default_factory=list)
    employees: Count | None = None
    revenue_wan: Amount | None = Field(default=None, description="营业收入, 万元")
    founded: Annotated[int, Field(ge=1800, le=2100)] | None = None
    is_leading: bool = Field(default=False, description="龙头企业")
    srdi_level: SrdiLevel = Field(default="none", description="专精特新: none/province/national")
    is_high_tech: bool = Field(default=False, description="高新技术企业")
    listed: bool = False


class EnterpriseUpdate(_In):
    """Fields to change on a firm; absent fields keep their value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"employees": 410, "srdi_level": "national"}]},
    )

    name: ShortText | None = Field(default=None, min_length=1)
    city: CityRef | None = None
    industry_code: Ident | None = None
    products: Text | None = Field(default=None, min_length=1)
    district: ShortText | None = None
    inputs: Text | None = None
    chain_nodes: NodeList | None = None
    employees: Count | None = None
    revenue_wan: Amount | None = None
    founded: Annotated[int, Field(ge=1800, le=2100)] | None = None
    is_leading: bool | None = None
    srdi_level: SrdiLevel | None = None
    is_high_tech: bool | None = None
    listed: bool | None = None


class EnterpriseOut(BaseModel):
    """A stored firm."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **{k: v for k, v in _ENTERPRISE_EXAMPLE.items() if k != "city"},
                    "city_code": "340300",
                }
            ]
        }
    )

    uscc: str
    name: str
    city_code: str
    industry_code: str
    products: str
    district: str
    inputs: str
    chain_nodes: list[str]
    employees: int | None
    revenue_wan: float | None
    founded: int | None
    is_leading: bool
    srdi_level: str
    is_high_tech: bool
    listed: bool


# ----------------------------------------------------------------------------- parks
_PARK_EXAMPLE: JsonDict = {
    "park_id": "CB-01",
    "name": "甬蚌产业合作园区",
    "city": "蚌埠",
    "leading_industries": "智能传感器;新材料",
    "level": "省级",
    "partner_city": "宁波",
    "area_ha": 1200.0,
    "lat": 33.32,
    "lon": 117.31,
    "chain_nodes": ["sensor.module", "sensor.mems_chip"],
}


class ParkCreate(_In):
    """A park to register (the columns of parks.csv)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PARK_EXAMPLE]})

    park_id: Ident
    name: ShortText = Field(min_length=1)
    city: CityRef
    leading_industries: Text = Field(min_length=1, description="主导产业")
    level: ShortText = ""
    partner_city: Annotated[str, Field(max_length=32)] = Field(
        default="", description="沪苏浙 结对城市 (name or adcode), empty if none"
    )
    area_ha: Amount | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    chain_nodes: NodeList = Field(default_factory=list)


class ParkUpdate(_In):
    """Fields to change on a park; absent fields keep their value."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"leading_industries": "智能传感器"}]}
    )

    name: ShortText | None = Field(default=None, min_length=1)
    city: CityRef | None = None
    leading_industries: Text | None = Field(default=None, min_length=1)
    level: ShortText | None = None
    partner_city: Annotated[str, Field(max_length=32)] | None = None
    area_ha: Amount | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    chain_nodes: NodeList | None = None


class ParkOut(BaseModel):
    """A stored park."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **{k: v for k, v in _PARK_EXAMPLE.items() if k not in ("city", "partner_city")},
                    "city_code": "340300",
                    "partner_city_code": "330200",
                }
            ]
        }
    )

    park_id: str
    name: str
    city_code: str
    leading_industries: str
    level: str
    partner_city_code: str
    area_ha: float | None
    lat: float | None
    lon: float | None
    chain_nodes: list[str]


# ----------------------------------------------------------------------------- needs
_NEED_EXAMPLE: JsonDict = {
    "need_id": "N-2025-0001",
    "owner_kind": "park",
    "owner_id": "CB-01",
    "description": "寻找 MEMS 芯片封装测试配套企业, 年产能 500 万颗以上",
    "chain_nodes": ["sensor.packaging"],
    "industry_code": "3973",
    "created": "2025-03-01",
}


class NeedCreate(_In):
    """A need to register (the columns of needs.csv)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_NEED_EXAMPLE]})

    need_id: Ident
    owner_kind: OwnerKind
    owner_id: Ident = Field(description="uscc (enterprise) or park_id (park)")
    description: Text = Field(min_length=1)
    chain_nodes: NodeList = Field(default_factory=list)
    industry_code: Annotated[str, Field(max_length=8)] = ""
    created: dt.date | None = None


class NeedUpdate(_In):
    """Fields to change on a need; absent fields keep their value."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"description": "寻找传感器模组配套"}]}
    )

    description: Text | None = Field(default=None, min_length=1)
    chain_nodes: NodeList | None = None
    industry_code: Annotated[str, Field(max_length=8)] | None = None
    created: dt.date | None = None


class NeedOut(BaseModel):
    """A stored need."""

    model_config = ConfigDict(json_schema_extra={"examples": [_NEED_EXAMPLE]})

    need_id: str
    owner_kind: str
    owner_id: str
    description: str
    chain_nodes: list[str]
    industry_code: str
    created: dt.date | None


# ----------------------------------------------------------------------------- events
_EVENT_EXAMPLE: JsonDict = {
    "event_id": "E-2025-05-BB",
    "name": "2025 蚌埠 龙头企业+配套企业 对接会",
    "date": "2025-05-20",
    "city": "蚌埠",
    "venue": "蚌埠国际会展中心",
    "n_slots": 8,
    "slot_minutes": 20,
    "n_tables": 30,
    "theme_chains": ["sensor"],
}


class EventCreate(_In):
    """An event to register (the columns of events.csv)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EVENT_EXAMPLE]})

    event_id: Ident
    name: ShortText = Field(min_length=1)
    date: dt.date
    city: CityRef
    venue: ShortText = ""
    n_slots: Annotated[int, Field(ge=1, le=200)] | None = None
    slot_minutes: Annotated[int, Field(ge=1, le=600)] | None = None
    n_tables: Annotated[int, Field(ge=1, le=10_000)] | None = None
    theme_chains: NodeList = Field(default_factory=list)


class EventUpdate(_In):
    """Fields to change on an event; absent fields keep their value."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"venue": "固镇经济开发区会议中心"}]}
    )

    name: ShortText | None = Field(default=None, min_length=1)
    date: dt.date | None = None
    city: CityRef | None = None
    venue: ShortText | None = None
    n_slots: Annotated[int, Field(ge=1, le=200)] | None = None
    slot_minutes: Annotated[int, Field(ge=1, le=600)] | None = None
    n_tables: Annotated[int, Field(ge=1, le=10_000)] | None = None
    theme_chains: NodeList | None = None


class EventOut(BaseModel):
    """A stored event."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**{k: v for k, v in _EVENT_EXAMPLE.items() if k != "city"}, "city_code": "340300"}
            ]
        }
    )

    event_id: str
    name: str
    date: dt.date
    city_code: str
    venue: str
    n_slots: int | None
    slot_minutes: int | None
    n_tables: int | None
    theme_chains: list[str]
