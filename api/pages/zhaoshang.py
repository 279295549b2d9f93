"""招商: ranked 沪苏浙 firms for a park (optionally one chain node), filters, map, Excel."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
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


@dataclass(frozen=True)
class ListQuery:
    """The list a 招商 page shows or exports: a park, filters and a length."""

    park: str
    node: str
    province: str
    city: str
    size: str
    srdi: str
    k: int

    def filters(self) -> RankFiltersIn:
        return RankFiltersIn.model_validate(
            {
                "province": [self.province] if self.province else [],
                "city": [self.city] if self.city else [],
                "node": self.node,
                "size": self.size or None,
                "min_srdi": self.srdi or None,
            }
        )

    def params(self) -> dict[str, Any]:
        return asdict(self)


def list_query(
    *,
    park: Text64 = "",
    node: Text64 = "",
    province: Province = "",
    city: CityCode = "",
    size: Size = "",
    srdi: Srdi = "",
    k: K = 20,
) -> ListQuery:
    """The page's query parameters, shared by the page and its Excel export."""
    return ListQuery(park=park, node=node, province=province, city=city, size=size, srdi=srdi, k=k)


Listing = Annotated[ListQuery, Depends(list_query)]


@router.get("")
def zhaoshang(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    q: Listing,
) -> HTMLResponse:
    """Pick a park (and a chain node) and see the ranked, explained target list."""
    parks = lookups.parks_for(session, user.principal)
    names = lookups.city_names(reference, user.lang)
    params = q.params()
    park = q.park
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
            k=q.k,
            filters=q.filters(),
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
    q: Listing,
) -> Response:
    """The list on the page as an Excel workbook (Chinese headers, reasons in one column)."""
    result = rank_for_page(
        request,
        session,
        user.principal,
        kind="investor",
        query_id=q.park,
        k=q.k,
        filters=q.filters(),
        lang=user.lang,
    )
    if result.ranked is None:
        return Response(result.error, status_code=422, media_type="text/plain; charset=utf-8")
    with tempfile.TemporaryDirectory(prefix="chainmatch-page-") as tmp:
        data = export.write_xlsx([result.ranked], Path(tmp) / "list.xlsx").read_bytes()
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="zhaoshang_{q.park}.xlsx"'},
    )
