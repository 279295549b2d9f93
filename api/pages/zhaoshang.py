"""招商: ranked 沪苏浙 firms for a park (optionally one chain node), filters, map, Excel."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ReferenceDep, SessionDep
from api.pages import lookups
from api.pages.mapsvg import city_map
from api.pages.ranking import rank_for_page
from api.pages.render import query_string, render
from api.pages.session import PageUser, page_user
from api.schemas.rank import RankFiltersIn
from recommender.ranking import export

router = APIRouter(prefix="/zhaoshang", include_in_schema=False)
User = Annotated[PageUser, page_user("zhaoshang")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Province = Literal["", "上海市", "江苏省", "浙江省"]
Size = Literal["", "micro", "small", "medium", "large"]
Srdi = Literal["", "province", "national"]
Text64 = Annotated[str, Query(max_length=64)]
CityCode = Annotated[str, Query(pattern=r"^([0-9]{6})?$")]
K = Annotated[int, Query(ge=1, le=200)]


def _filters(province: str, city: str, node: str, size: str, srdi: str) -> RankFiltersIn:
    return RankFiltersIn.model_validate(
        {
            "province": [province] if province else [],
            "city": [city] if city else [],
            "node": node,
            "size": size or None,
            "min_srdi": srdi or None,
        }
    )


@router.get("")
def zhaoshang(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    park: Text64 = "",
    node: Text64 = "",
    province: Province = "",
    city: CityCode = "",
    size: Size = "",
    srdi: Srdi = "",
    k: K = 20,
) -> HTMLResponse:
    """Pick a park (and a chain node) and see the ranked, explained target list."""
    parks = lookups.parks_for(session, user.principal)
    names = lookups.city_names(reference, user.lang)
    params: dict[str, Any] = {
        "park": park,
        "node": node,
        "province": province,
        "city": city,
        "size": size,
        "srdi": srdi,
        "k": k,
    }
    result = None
    cmap = None
    chosen = next((p for p in parks if p["park_id"] == park), None)
    if park and chosen is None:
        result_error = f"park {park!r} is not one of this key's parks"
    else:
        result_error = ""
    if chosen is not None:
        result = rank_for_page(
            request,
            session,
            user.principal,
            kind="investor",
            query_id=park,
            k=k,
            filters=_filters(province, city, node, size, srdi),
            lang=user.lang,
        )
        counts = Counter(r["city_code"] for r in result.rows)
        cmap = city_map(
            reference.cities,
            park_city=chosen["city_code"],
            partner_city=chosen["partner_city_code"],
            candidate_counts=counts,
        )
    helping = reference.cities[reference.cities["province"].isin(lookups.HELPING_PROVINCES)]
    return render(
        request,
        "zhaoshang.html",
        user=user,
        page="zhaoshang",
        parks=parks,
        chosen=chosen,
        city_names=names,
        nodes=lookups.chain_nodes(reference, user.lang),
        provinces=lookups.HELPING_PROVINCES,
        helping_cities=[
            (str(c), names.get(str(c), str(c)))
            for c in helping.sort_values("city_code")["city_code"]
        ],
        size_bands=lookups.SIZE_BANDS,
        srdi_levels=lookups.SRDI_LEVELS,
        params=params,
        result=result,
        error=result_error or (result.error if result else ""),
        cmap=cmap,
        export_url=f"/zhaoshang/export.xlsx?{query_string(params)}" if chosen else "",
    )


@router.get("/export.xlsx", response_class=Response)
def export_xlsx(
    *,
    request: Request,
    session: SessionDep,
    user: User,
    park: Text64,
    node: Text64 = "",
    province: Province = "",
    city: CityCode = "",
    size: Size = "",
    srdi: Srdi = "",
    k: K = 20,
) -> Response:
    """The list on the page as an Excel workbook (Chinese headers, reasons in one column)."""
    result = rank_for_page(
        request,
        session,
        user.principal,
        kind="investor",
        query_id=park,
        k=k,
        filters=_filters(province, city, node, size, srdi),
        lang=user.lang,
    )
    if result.ranked is None:
        return Response(result.error, status_code=422, media_type="text/plain; charset=utf-8")
    with tempfile.TemporaryDirectory(prefix="chainmatch-page-") as tmp:
        data = export.write_xlsx([result.ranked], Path(tmp) / "list.xlsx").read_bytes()
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="zhaoshang_{park}.xlsx"'},
    )
