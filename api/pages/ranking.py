"""The pages' way to the ranking service: the same path (scope check, logging) as /v1/rank."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from api.deps import runtime_of
from api.pages.forms import Failure, attempt
from api.schemas.rank import RankFiltersIn
from recommender.errors import ChainmatchError
from recommender.ranking import lists as ranked_lists
from recommender.ranking.service import RankedList
from recommender.security import Principal


@dataclass
class PageRanking:
    """A ranked list ready for a template, or the reason there is none."""

    ranked: RankedList | None = None
    error: str = ""
    failure: ChainmatchError | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)


def rank_for_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    kind: str,
    query_id: str,
    k: int,
    filters: RankFiltersIn,
    lang: str,
) -> PageRanking:
    """Rank like ``GET /v1/rank/{kind}/{query_id}``; a domain error becomes a message."""
    runtime = runtime_of(request)
    ranked = attempt(
        session,
        lambda: ranked_lists.rank_one(
            runtime.ranking.get(), runtime.recommendation_log, session=session,
            principal=principal, kind=kind, query_id=query_id, k=k,
            filters=filters.to_filters(runtime.reference.cities),
        ),
    )  # fmt: skip
    if isinstance(ranked, Failure):
        return PageRanking(error=ranked.message, failure=ranked.error)
    rows = [
        {
            "rank": c.rank,
            "candidate_id": c.candidate_id,
            "name": c.name,
            "city_code": c.city_code,
            "city_name": c.city_name,
            "industry_code": c.industry_code,
            "products": c.products,
            "final_score": c.final_score,
            "p_success": c.p_success,
            "reasons": [r.text_zh if lang == "zh" else r.text_en for r in c.reasons],
        }
        for c in ranked.candidates
    ]
    return PageRanking(ranked=ranked, rows=rows)
