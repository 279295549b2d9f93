"""招商: ranked 沪苏浙 firms for a park (optionally one chain node), filters, map, Excel,
and recording 联系/会谈/意向/签约/不合适 from any row."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import ReferenceDep, SessionDep
from api.pages import listing, lookups, xlsx
from api.pages.i18n import translate
from api.pages.mapsvg import city_map
from api.pages.progress import after_step, record_step
from api.pages.ranking import PageRanking, rank_for_page
from api.pages.render import query_string, render
from api.pages.session import PageUser, check_csrf, page_user
from api.schemas.rank import RankFiltersIn
from features.schema import (
    HELPING_PROVINCES,
    MIN_SRDI_LEVELS,
    SIZE_BANDS,
    HelpingProvince,
    MinSrdi,
    SizeBand,
)
from features.schema import XLSX_MEDIA_TYPE as XLSX

router = APIRouter(prefix="/zhaoshang", include_in_schema=False)
User = Annotated[PageUser, page_user("zhaoshang")]
# a menu's values, or "" for no choice
Province = Literal["", HelpingProvince]
Size = Literal["", SizeBand]
Srdi = Literal["", MinSrdi]
Text64 = Annotated[str, Query(max_length=64)]
CityCode = Annotated[str, Query(pattern=r"^([0-9]{6})?$")]
K = Annotated[int, Query(ge=1, le=200)]
KIND = "investor"


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


def filter_labels(q: ListQuery, reference: Any, lang: str) -> dict[str, str]:
    """How the page names each filter that is set (``{"province": "省份：江苏省"}``)."""
    names = lookups.city_names(reference, lang)
    nodes = dict(lookups.chain_nodes(reference, lang))

    def t(key: str) -> str:
        return translate(lang, key)

    sep = "：" if lang == "zh" else ": "
    values = {
        "node": nodes.get(q.node, q.node),
        "province": q.province,
        "city": names.get(q.city, q.city),
        "size": t(f"size.{q.size}") if q.size else "",
        "srdi": t(f"srdi.{q.srdi}") if q.srdi else "",
    }
    label = {"node": "zs.node", "province": "province", "city": "city", "size": "zs.size"}
    label["srdi"] = "zs.srdi"
    return {k: f"{t(label[k])}{sep}{v}" for k, v in values.items() if v}


def _ranked_rows(
    session: Session, reference: Any, result: PageRanking, park: dict[str, Any], lang: str
) -> list[dict[str, Any]]:
    points = listing.city_points(reference.cities)
    origin = park.get("point") or points.get(str(park["city_code"]))
    names = lookups.city_names(reference, lang)
    rows = listing.enrich(
        result.rows,
        facts=listing.firm_facts(session, [r["candidate_id"] for r in result.rows]),
        stages=lookups.latest_stages(session, kind=KIND, query_id=str(park["park_id"])),
        origin=origin,
        points=points,
    )
    for r in rows:
        r["city_label"] = names.get(str(r["city_code"]), str(r["city_name"]))
    return rows


def _page(
    request: Request,
    session: Session,
    reference: Any,
    user: PageUser,
    q: ListQuery,
    *,
    done: str = "",
    step_error: str = "",
    row_errors: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    parks = lookups.parks_for(session, user.principal)
    names = lookups.city_names(reference, user.lang)
    params = q.params()
    chosen = next((p for p in parks if p["park_id"] == q.park), None)
    result, cmap, rows, short = None, None, [], None
    error = ""
    if q.park and chosen is None:
        error = translate(user.lang, "zs.not_yours")
    if chosen is not None:
        result = rank_for_page(
            request,
            session,
            user.principal,
            kind=KIND,
            query_id=q.park,
            k=q.k,
            filters=q.filters(),
            lang=user.lang,
        )
        error = result.error
        if result.ranked is not None:
            rows = _ranked_rows(session, reference, result, chosen, user.lang)
            short = listing.shortfall(
                n=len(rows),
                k=q.k,
                base="/zhaoshang",
                params=params,
                labels=filter_labels(q, reference, user.lang),
            )
        counts = Counter(r["city_code"] for r in result.rows)
        cmap = city_map(
            reference.cities,
            park_city=chosen["city_code"],
            partner_city=chosen["partner_city_code"],
            candidate_counts=counts,
        )
    helping = reference.cities[reference.cities["province"].isin(HELPING_PROVINCES)]
    return render(
        request,
        "zhaoshang.html",
        user=user,
        page="zhaoshang",
        parks=parks,
        chosen=chosen,
        city_names=names,
        nodes=lookups.chain_nodes(reference, user.lang),
        provinces=HELPING_PROVINCES,
        helping_cities=[
            (str(c), names.get(str(c), str(c)))
            for c in helping.sort_values("city_code")["city_code"]
        ],
        size_bands=SIZE_BANDS,
        srdi_levels=MIN_SRDI_LEVELS,
        params=params,
        result=result,
        rows=rows,
        short=short,
        error=error,
        step_error=step_error,
        row_errors=row_errors or [],
        done=done,
        cmap=cmap,
        recordable=listing.RECORDABLE,
        record_action="/zhaoshang/outcome",
        today=dt.date.today().isoformat(),
        export_url=f"/zhaoshang/export.xlsx?{query_string(params)}" if chosen else "",
        back_qs=query_string(params),
        status_code=status_code,
    )


@router.get("")
def zhaoshang(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    q: Listing,
    done: Annotated[str, Query(max_length=120)] = "",
) -> HTMLResponse:
    """Pick a park (and a chain node) and see the ranked, explained target list."""
    return _page(request, session, reference, user, q, done=done)


@router.post("/outcome", response_model=None)
def record_outcome(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    csrf: Annotated[str, Form(max_length=64)],
    candidate: Annotated[str, Form(max_length=32)],
    stage: Annotated[str, Form(max_length=16)],
    date: Annotated[str, Form(max_length=10)],
    amount: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=600)] = "",
) -> Response:
    """Record one step for (park, firm) from a row of the list, then show the list again."""
    check_csrf(user, csrf)
    q = _query_from(back)
    outcome = record_step(
        session,
        principal=user.principal,
        reference=reference,
        kind=KIND,
        query_id=q.park,
        candidate=candidate,
        stage=stage,
        date=date,
        amount=amount,
    )
    return after_step(
        outcome,
        page=lambda failed: _page(
            request, session, reference, user, q, step_error=failed.message,
            row_errors=failed.row_errors, status_code=failed.status,
        ),
        path="/zhaoshang", params=q.params(), candidate=candidate, stage=stage,
    )  # fmt: skip


def _query_from(back: str) -> ListQuery:
    """The list a recording came from (its query string), validated like the page's."""
    from urllib.parse import parse_qsl

    raw = dict(parse_qsl(back.lstrip("?"), keep_blank_values=False))
    try:
        k = min(max(int(raw.get("k", "20")), 1), 200)
    except ValueError:
        k = 20
    allowed = {"province": HELPING_PROVINCES, "size": SIZE_BANDS, "srdi": MIN_SRDI_LEVELS}
    picked = {f: raw.get(f, "") for f in ("province", "size", "srdi")}
    picked = {f: v if v in allowed[f] else "" for f, v in picked.items()}
    city = raw.get("city", "")
    return ListQuery(
        park=raw.get("park", "")[:64],
        node=raw.get("node", "")[:64],
        city=city if city.isdigit() and len(city) == 6 else "",
        k=k,
        **picked,
    )


@router.get("/export.xlsx", response_class=Response)
def export_xlsx(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    q: Listing,
) -> Response:
    """The list on the page as an Excel workbook: Chinese, filters and date in a header."""
    parks = lookups.parks_for(session, user.principal)
    chosen = next((p for p in parks if p["park_id"] == q.park), None)
    if chosen is None:
        from api.pages.errorpage import error_page

        return error_page(request, 404, message=translate(user.lang, "zs.not_yours"))
    result = rank_for_page(
        request,
        session,
        user.principal,
        kind=KIND,
        query_id=q.park,
        k=q.k,
        filters=q.filters(),
        lang="zh",
    )
    if result.ranked is None:
        from api.pages.errorpage import error_page

        return error_page(request, 503 if result.failure is None else 422, message=result.error)
    rows = _ranked_rows(session, reference, result, chosen, "zh")
    today = dt.date.today()
    names = lookups.city_names(reference, "zh")
    filters = filter_labels(q, reference, "zh")
    header = [
        ("园区", f"{names.get(chosen['city_code'], '')} · {chosen['name']}"),
        ("查询类型", "招商引资目标企业（沪苏浙企业来园区投资）"),
        ("筛选条件", "；".join(filters.values()) or "不限"),
        ("数量", f"前 {q.k} 家（实际 {len(rows)} 家）"),
        ("导出日期", today.isoformat()),
        ("数据截至", str(result.ranked.as_of.date())),
        ("导出人", user.principal.label),
        ("说明", "成功概率为模型估计的签约可能性；高 ≥30%，中 10%–30%，低 <10%。"),
    ]
    data = xlsx.write_list(title="招商目标企业库", header=header, rows=rows)
    name = xlsx.file_name("招商目标企业", chosen["name"], today)
    return Response(data, media_type=XLSX, headers={"Content-Disposition": xlsx.disposition(name)})
