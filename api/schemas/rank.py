"""Ranked lists: request filters and the explained answer."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Ident
from features.schema import MinSrdi, Province, QueryKind, SizeBand
from recommender.ranking import lists as ranked_lists
from recommender.ranking.results import RankFilters

# an adcode or a name (蚌埠, 闵行区); routes resolve it with recommender.ingest.cities
CityCode = Annotated[str, StringConstraints(min_length=1, max_length=32)]

Kind = QueryKind
Srdi = MinSrdi


class ReasonOut(BaseModel):
    """One reason, from the model's per-feature contributions."""

    family: str = Field(description="chain / text / geo / programme / quality / history / park …")
    contribution: float
    text_zh: str
    text_en: str


class CandidateOut(BaseModel):
    """One ranked candidate."""

    rank: int
    candidate_id: str = Field(description="统一社会信用代码")
    name: str
    city_code: str
    city_name: str
    industry_code: str
    products: str
    score: float = Field(description="model score (LambdaRank, before business rules)")
    final_score: float = Field(description="score after boosts; the list is ordered by it")
    p_success: float | None = Field(description="calibrated P(signed or better)")
    reasons: list[ReasonOut]


class RankedListOut(BaseModel):
    """A ranked, explained list for one query."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "investor",
                    "query_id": "CB10",
                    "query_name": "甬蚌产业合作园区",
                    "model_version": "20261127T120501-3fa9c2",
                    "as_of": "2026-11-27",
                    "n_generated": 1000,
                    "n_after_filters": 812,
                    "candidates": [
                        {
                            "rank": 1,
                            "candidate_id": "91330200MA2XXXXXXX",
                            "name": "宁波示例芯联传感科技有限公司",
                            "city_code": "330200",
                            "city_name": "宁波市",
                            "industry_code": "3973",
                            "products": "MEMS芯片;压力传感器",
                            "score": 1.82,
                            "final_score": 1.92,
                            "p_success": 0.07,
                            "reasons": [
                                {
                                    "family": "programme",
                                    "contribution": 0.41,
                                    "text_zh": "结对城市: 宁波→蚌埠",
                                    "text_en": "Official pairing: 宁波→蚌埠",
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )

    kind: Kind
    query_id: str
    query_name: str
    model_version: str
    as_of: str
    n_generated: int
    n_after_filters: int
    candidates: list[CandidateOut]


class RankFiltersIn(BaseModel):
    """Optional candidate filters (all must hold)."""

    province: list[Province] = Field(default_factory=list)
    city: list[CityCode] = Field(
        default_factory=list, description="cities: adcode or name (蚌埠, 闵行区)"
    )
    industry: str = Field("", max_length=4, pattern=r"^[0-9]{0,4}$", description="GB/T prefix")
    node: str = Field("", max_length=64, description="chain node id, e.g. sensor.mems_chip")
    size: SizeBand | None = None
    min_srdi: Srdi | None = None
    exclude: list[Ident] = Field(default_factory=list, max_length=1000)

    def to_filters(self, cities: pd.DataFrame) -> RankFilters:
        """The ranking service's filters (city names resolved against ``cities``)."""
        return ranked_lists.filters_for(
            cities,
            provinces=self.province,
            city=self.city,
            industry=self.industry,
            node=self.node,
            size=self.size or "",
            min_srdi=self.min_srdi or "",
            exclude=self.exclude,
        )


class BatchRankIn(BaseModel):
    """Many queries of one kind, with the batch exposure cap applied across them."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"query_ids": ["CB10", "S347022"], "k": 20}]}
    )

    query_ids: list[Ident] = Field(min_length=1, max_length=200)
    k: int = Field(20, ge=1, le=200)
    filters: RankFiltersIn = Field(default_factory=RankFiltersIn)
