"""``/v1/dashboard``: programme results per pairing, city and park (JSON or Excel); targets."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import DashboardCacheDep, ReferenceDep, SessionDep
from api.deps import require_access as access
from api.schemas.common import ERRORS, INVALID
from api.schemas.projects import DashboardOut, TargetsIn, TargetsOut
from features.schema import XLSX_MEDIA_TYPE as XLSX
from recommender.projects import service
from recommender.projects.export import dashboard_xlsx
from recommender.security import Principal

router = APIRouter(prefix="/v1/dashboard", tags=["dashboard"], responses={**ERRORS, **INVALID})
Reader = Annotated[Principal, access("dashboard", "read")]
Writer = Annotated[Principal, access("dashboard", "write")]


@router.get(
    "",
    response_model=DashboardOut,
    responses={200: {"content": {XLSX: {}}, "description": "JSON, or Excel with format=xlsx"}},
)
def get_dashboard(  # noqa: PLR0917 - FastAPI passes query parameters by name
    session: SessionDep,
    cached: DashboardCacheDep,
    key: Reader,
    reference: ReferenceDep,
    year: Annotated[int | None, Query(description="calendar year; default this year")] = None,
    format: Annotated[Literal["json", "xlsx"], Query(description="json or xlsx")] = "json",
    city: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="one Wanbei city's pairing")
    ] = None,
) -> DashboardOut | Response:
    """Projects by stage; signed projects and 协议投资额 by month and source; funnel; targets."""
    cache, stamp = cached
    board = service.dashboard_for(
        session, principal=key, cities=reference.cities, year=year, cache=cache, stamp=stamp,
        city_code=city,
    )  # fmt: skip
    if format == "xlsx":
        name = f"dashboard-{board['year']}.xlsx"
        return Response(
            dashboard_xlsx(board),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return DashboardOut.model_validate(board)


@router.put("/targets")
def put_targets(
    session: SessionDep, key: Writer, reference: ReferenceDep, body: TargetsIn
) -> TargetsOut:
    """Enter a city's (or park's) yearly targets; an office only for its own city."""
    row = service.set_targets(
        session,
        principal=key,
        cities=reference.cities,
        city_code=body.city_code,
        year=body.year,
        park_id=body.park_id,
        values=body.model_dump(
            include={"signed_projects", "agreed_investment_yi", "srdi_cultivated"}
        ),
    )
    return TargetsOut.model_validate(row)
