"""成效看板: projects, funnel, monthly trend, source cities and targets per pairing; print,
Excel export and the ledger (台账) upload. Charts are server-side SVG (no script, no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ReferenceDep, SessionDep, get_dashboard_cache, runtime_of
from api.pages.mapsvg import city_map
from api.pages.render import query_string, render
from api.pages.session import PageUser, check_csrf, page_user
from api.uploads import saved_upload
from features.schema import XLSX_MEDIA_TYPE as XLSX
from recommender.errors import ChainmatchError, ImportValidationError
from recommender.projects import service
from recommender.projects.dashboard import FUNNEL_STAGE_ZH
from recommender.projects.export import dashboard_xlsx
from recommender.ranking import lists as ranked_lists

router = APIRouter(prefix="/dashboard", include_in_schema=False)
User = Annotated[PageUser, page_user("dashboard")]
BAR_W, BAR_H = 360, 22


def _funnel_bars(funnel: list[dict[str, Any]]) -> list[dict[str, Any]]:
    top = max((f["count"] for f in funnel), default=0) or 1
    return [
        {**f, "label": FUNNEL_STAGE_ZH[f["stage"]], "width": round(BAR_W * f["count"] / top, 1),
         "y": i * (BAR_H + 6)}
        for i, f in enumerate(funnel)
    ]  # fmt: skip


def _month_bars(months: list[dict[str, Any]]) -> list[dict[str, Any]]:
    top = max((m["agreed_investment_yi"] for m in months), default=0.0) or 1.0
    return [
        {**m, "x": 30 + (m["month"] - 1) * 28, "h": round(120 * m["agreed_investment_yi"] / top, 1)}
        for m in months
    ]


def _page(
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: PageUser,
    *,
    year: int | None,
    notice: str = "",
    error: str = "",
    row_errors: list[dict[str, object]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    cache, stamp = get_dashboard_cache(request)
    board = service.dashboard_for(
        session, principal=user.principal, cities=reference.cities, year=year, cache=cache,
        stamp=stamp,
    )  # fmt: skip
    if year is None and board["totals"]["city_signed_projects"] == 0:
        # this year has nothing signed yet: show the latest year that has, and say so
        latest = service.latest_year(session, principal=user.principal, cities=reference.cities)
        if latest is not None and latest != board["year"]:
            notice = notice or f"{board['year']} 年暂无签约项目, 显示最近有签约的 {latest} 年"
            board = service.dashboard_for(
                session, principal=user.principal, cities=reference.cities, year=latest,
                cache=cache, stamp=stamp,
            )  # fmt: skip
    blocks = []
    for b in board["pairings"]:
        sources = {s["city_code"]: s["signed_projects"] for s in b["by_source"] if s["city_code"]}
        cmap = city_map(
            reference.cities,
            park_city=b["wanbei_city"],
            partner_city=b["partner_city"],
            candidate_counts=sources,
        )
        blocks.append(
            {**b, "funnel_bars": _funnel_bars(b["funnel"]),
             "month_bars": _month_bars(b["by_month"]), "cmap": cmap}
        )  # fmt: skip
    return render(
        request,
        "dashboard.html",
        user=user,
        page="dashboard",
        board=board,
        blocks=blocks,
        may_upload=user.role in ("promotion_office", "analyst", "admin"),
        notice=notice,
        error=error,
        row_errors=row_errors or [],
        status_code=status_code,
    )


@router.get("")
def dashboard_page(  # noqa: PLR0917 - FastAPI passes query parameters by name
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    year: int | None = None,
    notice: str = "",
    error: str = "",
) -> HTMLResponse:
    """The dashboard of a year (default this year) for the pairings the user may see."""
    try:
        return _page(request, session, reference, user, year=year, notice=notice[:200],
                     error=error[:500])  # fmt: skip
    except ChainmatchError as exc:
        return _page(request, session, reference, user, year=None, error=str(exc),
                     status_code=422)  # fmt: skip


@router.get("/export.xlsx", response_model=None)
def export_xlsx(
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    year: int | None = None,
) -> Response:
    """The same figures as an Excel workbook."""
    cache, stamp = get_dashboard_cache(request)
    board = service.dashboard_for(
        session, principal=user.principal, cities=reference.cities, year=year, cache=cache,
        stamp=stamp,
    )  # fmt: skip
    name = f"dashboard-{board['year']}.xlsx"
    return Response(
        dashboard_xlsx(board),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/ledger", response_model=None)
def upload_ledger(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    csrf: Annotated[str, Form(max_length=64)],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Import a project ledger (台账); every bad row is shown, nothing is written then."""
    check_csrf(user, csrf)
    name = Path(file.filename or "ledger.csv").name
    suffix = Path(name).suffix.lower()
    if user.role not in ("promotion_office", "analyst", "admin"):
        return _page(request, session, reference, user, year=None,
                     error="协调员为只读角色, 不能上传台账", status_code=403)  # fmt: skip
    if suffix not in (".csv", ".xlsx"):
        return _page(request, session, reference, user, year=None,
                     error=f"文件须为 .csv 或 .xlsx, 收到 {name!r}", status_code=422)  # fmt: skip
    try:
        with saved_upload(file, suffix=suffix) as path:
            result = service.import_ledger(
                session, principal=user.principal, path=path, source=name, reference=reference
            )
    except ImportValidationError as exc:
        session.rollback()
        return _page(request, session, reference, user, year=None,
                     error=f"{name}: 有 {len(exc.errors)} 处问题, 未导入任何数据",
                     row_errors=[vars(e) for e in exc.errors], status_code=422)  # fmt: skip
    notice = (
        f"{name}: {result['rows']} 个项目, 新增 {result['inserted']}, 更新 {result['updated']}, "
        f"未变 {result['unchanged']}"
    )
    return RedirectResponse(f"/dashboard?{query_string({'notice': notice})}", status_code=303)


@router.get("/chain")
def chain_page(  # noqa: PLR0917 - FastAPI passes query parameters by name
    request: Request,
    session: SessionDep,
    user: User,
    park: str = "",
    anchor: str = "",
    k: int = 20,
) -> HTMLResponse:
    """以商招商: the 沪苏浙 suppliers and customers of the firms already in a park."""
    from api.pages.messages import domain_zh

    runtime = runtime_of(request)
    parks = service.visible_parks(session, principal=user.principal)
    result, error = None, ""
    if park:
        try:
            result = service.chain_targets_for(
                session, principal=user.principal, ranker=runtime.ranking.get,
                park_id=park, anchor=anchor.strip().upper() or None, k=max(1, min(k, 100)),
            )  # fmt: skip
        except ChainmatchError as exc:
            error = domain_zh(exc)
        else:
            ranked_lists.log_chain_targets(runtime.recommendation_log, user.principal, result)
    return render(
        request,
        "dashboard_chain.html",
        user=user,
        page="dashboard",
        parks=parks,
        park=park,
        anchor=anchor,
        result=result,
        error=error,
        status_code=422 if error else 200,
    )
