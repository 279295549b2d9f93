"""配套: ranked supporting firms for a leading firm; record what came of each, right there."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ReferenceDep, SessionDep
from api.pages import lookups
from api.pages.ranking import rank_for_page
from api.pages.render import query_string, render
from api.pages.session import PageUser, check_csrf, page_user
from api.schemas.rank import RankFiltersIn
from recommender import records
from recommender.errors import ChainmatchError, ImportValidationError

router = APIRouter(prefix="/peitao", include_in_schema=False)
User = Annotated[PageUser, page_user("peitao")]
Uscc = Annotated[str, Query(max_length=32)]
K = Annotated[int, Query(ge=1, le=200)]


def _page(
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: PageUser,
    *,
    firm: str,
    k: int,
    done: str = "",
    row_errors: list[dict[str, object]] | None = None,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    firms = lookups.leading_firms(session, user.principal)
    result = None
    stages: dict[str, dict[str, object]] = {}
    if firm:
        result = rank_for_page(
            request,
            session,
            user.principal,
            kind="supplier",
            query_id=firm,
            k=k,
            filters=RankFiltersIn(),
            lang=user.lang,
        )
        stages = lookups.latest_stages(session, kind="supplier", query_id=firm)
    return render(
        request,
        "peitao.html",
        user=user,
        page="peitao",
        firms=firms,
        firm=firm,
        k=k,
        city_names=lookups.city_names(reference, user.lang),
        result=result,
        error=error or (result.error if result else ""),
        stages=stages,
        recordable=lookups.STAGES_RECORDABLE,
        today=dt.date.today().isoformat(),
        done=done,
        row_errors=row_errors or [],
        status_code=status_code,
    )


@router.get("")
def peitao(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    firm: Uscc = "",
    k: K = 20,
    done: Annotated[str, Query(max_length=80)] = "",
) -> HTMLResponse:
    """Pick a leading firm and see its ranked, explained supporting firms."""
    return _page(request, session, reference, user, firm=firm, k=k, done=done)


@router.post("/outcome", response_model=None)
def record_outcome(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    csrf: Annotated[str, Form(max_length=64)],
    firm: Annotated[str, Form(max_length=32)],
    candidate: Annotated[str, Form(max_length=32)],
    stage: Annotated[str, Form(max_length=16)],
    date: Annotated[str, Form(max_length=10)],
    k: Annotated[int, Form(ge=1, le=200)] = 20,
) -> Response:
    """Record one funnel step for (leading firm, candidate): validated like outcomes.csv."""
    check_csrf(user, csrf)
    row = {
        "query_kind": "supplier",
        "query_id": firm,
        "candidate_id": candidate,
        "stage": stage,
        "date": date,
        "event_id": "",
        "amount_wan": None,
    }
    try:
        records.record_outcomes(session, rows=[row], principal=user.principal, reference=reference)
    except ImportValidationError as exc:
        session.rollback()
        errors = [vars(e) for e in exc.errors]
        return _page(
            request, session, reference, user, firm=firm, k=k, row_errors=errors, status_code=422
        )
    except ChainmatchError as exc:
        session.rollback()
        return _page(
            request, session, reference, user, firm=firm, k=k, error=str(exc), status_code=403
        )
    target = query_string({"firm": firm, "k": k, "done": f"{candidate}:{stage}"})
    return RedirectResponse(f"/peitao?{target}", status_code=303)
