"""``/v1/rank``: ranked, explained candidate lists, one query or a batch, JSON or Excel."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import StringConstraints

from api.deps import PathId, SessionDep
from api.deps import require_access as access
from api.schemas.common import ERRORS, INVALID, NOT_FOUND, ErrorBody
from api.schemas.rank import (
    BatchRankIn,
    CandidateOut,
    Kind,
    Province,
    RankedListOut,
    RankFiltersIn,
    ReasonOut,
    SizeBand,
    Srdi,
)
from recommender.db import repo
from recommender.db.models import utcnow
from recommender.errors import ForbiddenError, NotFoundError
from recommender.ingest.cities import city_codes
from recommender.models.admin import registry_for
from recommender.ranking import export
from recommender.ranking.factory import ServiceHolder
from recommender.ranking.logbook import RecommendationLog
from recommender.ranking.rules import load_rules
from recommender.ranking.service import RankedList, RankFilters
from recommender.records import excel
from recommender.security import Principal

NO_MODEL: dict[int | str, dict[str, object]] = {
    503: {"model": ErrorBody, "description": "还没有生产模型 (no production model yet)"}
}
router = APIRouter(
    prefix="/v1/rank", tags=["rank"], responses={**ERRORS, **INVALID, **NOT_FOUND, **NO_MODEL}
)
Reader = Annotated[Principal, access("rank", "read")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_LOG_LOCK = threading.Lock()
_HOLDER_LOCK = threading.Lock()


def get_holder(request: Request) -> ServiceHolder:
    """The app's ranking service holder, built on first use."""
    state = request.app.state
    holder: ServiceHolder | None = getattr(state, "ranking", None)
    if holder is None:
        from api.deps import get_reference

        with _HOLDER_LOCK:  # two first requests at once must not build two services
            holder = getattr(state, "ranking", None)
            if holder is None:
                settings = state.settings
                holder = ServiceHolder(
                    state.session_factory,
                    get_reference(request),
                    registry_for(settings),
                    load_rules(settings.rules_file),
                    home=settings.home,
                )
                state.ranking = holder
    return holder


def _filters(f: RankFiltersIn, request: Request) -> RankFilters:
    from api.deps import get_reference

    return RankFilters(
        provinces=tuple(f.province),
        city_codes=city_codes(f.city, get_reference(request).cities, what="city"),
        industry_prefix=f.industry,
        chain_node=f.node,
        size_band=f.size or "",
        min_srdi=f.min_srdi or "",
        exclude_ids=tuple(f.exclude),
    )


def _check_scope(session: SessionDep, key: Principal, kind: str, query_id: str) -> None:
    """A city-scoped key ranks only for its own city's parks and firms."""
    if not key.scoped:
        return
    entity = "parks" if kind == "investor" else "enterprises"
    try:
        row = repo.get_by_key(session, kind=entity, key=query_id)
    except NotFoundError:
        return  # the service answers 404 with the right message
    if row.get("city_code") != key.city_code:
        raise ForbiddenError(
            f"{query_id} is in city {row.get('city_code')}; this key is limited to city "
            f"{key.city_code}"
        )


def _out(r: RankedList) -> RankedListOut:
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


def get_recommendation_log(request: Request) -> RecommendationLog:
    """The app's batching recommendation-log writer, started on first use."""
    state = request.app.state
    writer: RecommendationLog | None = getattr(state, "recommendation_log", None)
    if writer is None:
        with _LOG_LOCK:
            writer = getattr(state, "recommendation_log", None)
            if writer is None:
                writer = RecommendationLog(state.session_factory)
                state.recommendation_log = writer
    return writer


def _log(request: Request, key: Principal, lists: list[RankedList]) -> None:
    """Record what was shown to whom and when (written in batches, off the request path)."""
    shown_at = utcnow()
    rows = [
        {
            "shown_at": shown_at,
            "api_key_id": key.key_id,
            "query_kind": r.kind,
            "query_id": r.query_id,
            "candidate_id": c.candidate_id,
            "rank": c.rank,
            "score": c.final_score,
            "model_version": r.model_version,
        }
        for r in lists
        for c in r.candidates
    ]
    get_recommendation_log(request).submit(rows)


def rank_for_key(
    *,
    request: Request,
    session: SessionDep,
    key: Principal,
    kind: str,
    query_id: str,
    k: int,
    filters: RankFiltersIn,
) -> RankedList:
    _check_scope(session, key, kind, query_id)
    ranked = get_holder(request).get().rank(kind, query_id, k=k, filters=_filters(filters, request))
    _log(request, key, [ranked])
    return ranked


@router.get("/{kind}/{query_id}", responses=NOT_FOUND)
def rank_one(
    *,
    request: Request,
    session: SessionDep,
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
    return _out(
        rank_for_key(
            request=request,
            session=session,
            key=key,
            kind=kind,
            query_id=query_id,
            k=k,
            filters=filters,
        )
    )


@router.get(
    "/{kind}/{query_id}/export.xlsx",
    responses={**NOT_FOUND, 200: {"content": {XLSX: {}}, "description": "Excel workbook"}},
    response_class=Response,
)
def export_one(
    *,
    request: Request,
    session: SessionDep,
    key: Reader,
    kind: Kind,
    query_id: PathId,
    k: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """The same list as an Excel workbook (Chinese headers, reasons in one column)."""
    ranked = rank_for_key(
        request=request,
        session=session,
        key=key,
        kind=kind,
        query_id=query_id,
        k=k,
        filters=RankFiltersIn(),
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = excel.protect_file(export.write_xlsx([ranked], Path(tmp) / "list.xlsx"))
        data = path.read_bytes()  # firm names from imported files never become formulas
    name = f"chainmatch_{kind}_{query_id}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/{kind}/batch")
def rank_batch(
    request: Request, session: SessionDep, key: Reader, kind: Kind, body: BatchRankIn
) -> list[RankedListOut]:
    """Ranked lists for many queries; a firm appears in at most N lists (exposure cap)."""
    for q in body.query_ids:
        _check_scope(session, key, kind, q)
    lists = (
        get_holder(request)
        .get()
        .rank_batch(kind, list(body.query_ids), k=body.k, filters=_filters(body.filters, request))
    )
    _log(request, key, lists)
    return [_out(r) for r in lists]
