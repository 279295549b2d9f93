"""Projects (the ledger), the dashboard and chain-based targeting: answers of /v1."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from features.schema import ProjectStage

ProjectStageName = ProjectStage


class StageStep(BaseModel):
    stage: str
    date: dt.date


class ProjectOut(BaseModel):
    """One project of a ledger (台账)."""

    project_id: str
    name: str
    investor_name: str
    investor_uscc: str
    city_code: str
    park_id: str
    source_city_code: str
    industry: str
    chain_nodes: str
    stage: str
    stage_date: dt.date
    signed_date: dt.date | None
    agreed_investment_yi: float | None
    fixed_asset_yi: float | None
    land_mu: float | None
    contact: str
    source_list: str
    model_version: str
    history: list[StageStep] = Field(default_factory=list)


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    total: int
    offset: int
    limit: int


class StageUpdate(BaseModel):
    """Move a project to a stage on a date (history, outcomes and park members follow)."""

    stage: ProjectStageName
    date: dt.date
    agreed_investment_yi: float | None = Field(default=None, ge=0, le=1e7)


class StageCount(BaseModel):
    stage: str
    projects: int
    agreed_investment_yi: float


class MonthPoint(BaseModel):
    month: int
    signed_projects: int
    agreed_investment_yi: float


class SourceCount(BaseModel):
    city_code: str
    name: str
    signed_projects: int
    agreed_investment_yi: float


class ParkSummary(BaseModel):
    park_id: str
    name: str
    projects: int
    by_stage: dict[str, int]
    signed_projects: int
    agreed_investment_yi: float


class FunnelStep(BaseModel):
    stage: str
    count: int
    rate: float | None = Field(description="count over the previous stage's; null if that is 0")


class ListAttribution(BaseModel):
    via: Literal["log", "ledger"]
    list_id: str
    list_name: str
    model_version: str
    signed_projects: int
    agreed_investment_yi: float


class TargetItem(BaseModel):
    target: float | None
    actual: float
    share: float | None


class Targets(BaseModel):
    signed_projects: TargetItem
    agreed_investment_yi: TargetItem
    srdi_cultivated: TargetItem


class CityTotals(BaseModel):
    signed_projects: int
    agreed_investment_yi: float


class PairingDashboard(BaseModel):
    """One pairing: signed projects from the partner city, plus the Wanbei city's whole picture."""

    wanbei_city: str
    wanbei_name: str
    partner_city: str
    partner_name: str
    signed_projects: int = Field(description="signed or later, this year, from the partner city")
    agreed_investment_yi: float = Field(description="their 协议投资额, 亿元")
    city: CityTotals = Field(description="the same for projects from every source city")
    by_stage: list[StageCount]
    by_month: list[MonthPoint]
    by_month_partner: list[MonthPoint]
    by_source: list[SourceCount]
    parks: list[ParkSummary]
    funnel: list[FunnelStep]
    lists: list[ListAttribution]
    targets: Targets


class Totals(BaseModel):
    signed_projects: int
    agreed_investment_yi: float
    city_signed_projects: int
    city_agreed_investment_yi: float


class DashboardOut(BaseModel):
    year: int
    pairings: list[PairingDashboard]
    totals: Totals


class TargetsIn(BaseModel):
    """An office's targets for a year (签约项目数, 协议投资额 亿元, 专精特新培育数)."""

    city_code: str = Field(pattern=r"^[0-9]{6}$")
    year: int = Field(ge=2000, le=2100)
    park_id: str = Field(default="", max_length=32)
    signed_projects: int | None = Field(default=None, ge=0, le=1_000_000)
    agreed_investment_yi: float | None = Field(default=None, ge=0, le=1e7)
    srdi_cultivated: int | None = Field(default=None, ge=0, le=1_000_000)


class TargetsOut(BaseModel):
    city_code: str
    park_id: str
    year: int
    signed_projects: int | None
    agreed_investment_yi: float | None
    srdi_cultivated: int | None


class ChainAnchorOut(BaseModel):
    uscc: str
    name: str
    direction: Literal["upstream", "downstream"]
    rank: int = Field(description="the target's rank in this anchor's list")


class ChainTargetOut(BaseModel):
    rank: int
    candidate_id: str
    name: str
    city_code: str
    city_name: str
    score: float = Field(description="reciprocal-rank fusion over the anchors' lists")
    anchors: list[ChainAnchorOut]
    reasons_zh: list[str]
    reasons_en: list[str]


class ChainTargetsOut(BaseModel):
    """以商招商: the 沪苏浙 suppliers and customers of the firms already in a park."""

    park_id: str
    anchors: list[str]
    model_versions: list[str]
    targets: list[ChainTargetOut]
