"""``/v1/rank``: ranked, explained candidate lists, one query or a batch, JSON or Excel."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import StringConstraints

from api.deps import LogDep, PathId, RankingDep, ReferenceDep, SessionDep, in_rank_lane
from api.deps import require_access as access
from api.schemas.common import ERRORS, INVALID, NOT_FOUND, ErrorBody
from api.schemas.rank import (
    BatchRankIn,
    CandidateOut,
    Kind,
    RankedListOut,
    RankFiltersIn,
    ReasonOut,
    Srdi,
)
from features.schema import XLSX_MEDIA_TYPE as XLSX
from features.schema import Province, SizeBand
from recommender.ranking import export
from recommender.ranking import lists as ranked_lists
from recommender.ranking.service import RankedList
from recommender.records import excel
from recommender.security import Principal

NO_MODEL: dict[int | str, dict[str, object]] = {
    503: {"model": ErrorBody, "description": "还没有生产模型 (no production model yet)"}
}
router = APIRouter(
    prefix="/v1/rank", tags=["rank"], responses={**ERRORS, **INVALID, **NOT_FOUND, **NO_MODEL}
)
Reader = Annotated[Principal, access("rank", "read")]


def list_out(r: RankedList) -> RankedListOut:
    """The answer's shape of one ranked list."""
    return RankedListOut(
        kind=r.kind,
        query_id=r.query_id,
        query_name=r.query_name,
        model_version=r.model_version,
        as_of=str(r.as_of.date()),
        n_generated=r.n_generated,
        n_after_filters=r.n_after_filters,
        candidates=[
            CandidateOut(
                rank=c.rank,
                candidate_id=c.candidate_id,
                name=c.name,
                city_code=c.city_code,
                city_name=c.city_name,
                industry_code=c.industry_code,
                products=c.products,
                score=c.score,
                final_score=c.final_score,
                p_success=c.p_success,
                reasons=[ReasonOut(**vars(x)) for x in c.reasons],
            )
            for c in r.candidates
        ],
    )


@router.get("/{kind}/{query_id}", responses=NOT_FOUND)
async def rank_one(
    *,
    request: Request,
    session: SessionDep,
    ranking: RankingDep,
    log: LogDep,
    reference: ReferenceDep,
    key: Reader,
    kind: Kind,
    query_id: PathId,
    k: Annotated[int, Query(ge=1, le=200, description="list length")] = 20,
    province: Annotated[
        list[Province] | None, Query(description="上海市/江苏省/浙江省/安徽省")
    ] = None,
    city: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] | None,
        Query(description="cities: adcode or name, e.g. 330200, 宁波, 闵行区"),
    ] = None,
    industry: Annotated[str, Query(max_length=4, pattern=r"^[0-9]{0,4}$")] = "",
    node: Annotated[str, Query(max_length=64)] = "",
    size: SizeBand | None = None,
    min_srdi: Srdi | None = None,
) -> RankedListOut:
    """Ranked, explained candidates for one query (park id or uscc)."""
    filters = RankFiltersIn(
        province=province or [],
        city=city or [],
        industry=industry,
        node=node,
        size=size,
        min_srdi=min_srdi,
    )
    # async with the work sent to the ranking lane by hand: FastAPI then checks the answer
    # on the loop instead of in a second thread-pool hop (it does that for a sync route)
    return await in_rank_lane(
        request,
        lambda: list_out(
            ranked_lists.rank_one(
                ranking, log, session=session, principal=key, kind=kind, query_id=query_id,
                k=k, filters=filters.to_filters(reference.cities),
            )
        )
    )  # fmt: skip


@router.get(
    "/{kind}/{query_id}/export.xlsx",
    responses={**NOT_FOUND, 200: {"content": {XLSX: {}}, "description": "Excel workbook"}},
    response_class=Response,
)
def export_one(
    *,
    session: SessionDep,
    ranking: RankingDep,
    log: LogDep,
    key: Reader,
    kind: Kind,
    query_id: PathId,
    k: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """The same list as an Excel workbook (Chinese headers, reasons in one column)."""
    ranked = ranked_lists.rank_one(
        ranking, log, session=session, principal=key, kind=kind, query_id=query_id, k=k
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = excel.protect_file(export.write_xlsx([ranked], Path(tmp) / "list.xlsx"))
        data = path.read_bytes()  # firm names from imported files never become formulas
    name = f"chainmatch_{kind}_{query_id}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/{kind}/batch")
def rank_batch(  # noqa: PLR0917 - FastAPI passes dependencies by name
    session: SessionDep,
    ranking: RankingDep,
    log: LogDep,
    reference: ReferenceDep,
    key: Reader,
    kind: Kind,
    body: BatchRankIn,
) -> list[RankedListOut]:
    """Ranked lists for many queries; a firm appears in at most N lists (exposure cap)."""
    lists = ranked_lists.rank_lists(
        ranking, log, session=session, principal=key, kind=kind, query_ids=body.query_ids,
        k=body.k, filters=body.filters.to_filters(reference.cities),
    )  # fmt: skip
    return [list_out(r) for r in lists]
