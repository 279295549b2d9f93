"""配套, both sides: for a leading firm, the supporting firms that could supply it
(``supplier``); for one of a city's own firms, the leading firms it could supply
(``customer``: the question a 皖北 office has). Record what came of each, right there."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import ReferenceDep, SessionDep
from api.pages import listing, lookups
from api.pages.progress import after_step, record_step
from api.pages.ranking import rank_for_page
from api.pages.render import render
from api.pages.session import PageUser, check_csrf, page_user
from api.schemas.rank import RankFiltersIn

router = APIRouter(prefix="/peitao", include_in_schema=False)
User = Annotated[PageUser, page_user("peitao")]
Uscc = Annotated[str, Query(max_length=32)]
K = Annotated[int, Query(ge=1, le=200)]
Side = Literal["", "supplier", "customer"]  # the two kinds a firm asks for


def wanbei_codes(reference: Any) -> set[str]:
    """The 皖北 cities' adcodes."""
    cities = reference.cities
    return set(cities.loc[cities["role"] == "wanbei", "city_code"].astype(str))


def default_side(reference: Any, user: PageUser) -> str:
    """A 皖北 office starts with its own firms' customers; everyone else with suppliers."""
    if user.principal.scoped and user.principal.city_code in wanbei_codes(reference):
        return "customer"
    return "supplier"


def _page(
    request: Request,
    session: Session,
    reference: Any,
    user: PageUser,
    *,
    side: str,
    firm: str,
    k: int,
    q: str = "",
    done: str = "",
    step_error: str = "",
    row_errors: list[dict[str, object]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    side = side or default_side(reference, user)
    if side == "supplier":
        firms = lookups.leading_firms(session, user.principal)
    else:
        firms = lookups.supplying_firms(
            session, user.principal, cities=wanbei_codes(reference), search=q
        )
    names = lookups.city_names(reference, user.lang)
    result, rows, error, short = None, [], "", None
    if firm:
        result = rank_for_page(
            request,
            session,
            user.principal,
            kind=side,
            query_id=firm,
            k=k,
            filters=RankFiltersIn(),
            lang=user.lang,
        )
        error = result.error
        if result.ranked is not None:
            points = listing.city_points(reference.cities)
            origin_city = next((f["city_code"] for f in firms if f["uscc"] == firm), "")
            rows = listing.enrich(
                result.rows,
                facts=listing.firm_facts(session, [r["candidate_id"] for r in result.rows]),
                stages=lookups.latest_stages(session, kind=side, query_id=firm),
                origin=points.get(str(origin_city)),
                points=points,
            )
            for r in rows:
                r["city_label"] = names.get(str(r["city_code"]), str(r["city_name"]))
            short = listing.shortfall(n=len(rows), k=k, base="/peitao", params={}, labels={})
    return render(
        request,
        "peitao.html",
        user=user,
        page="peitao",
        side=side,
        firms=firms,
        firm=firm,
        k=k,
        q=q,
        city_names=names,
        result=result,
        rows=rows,
        short=short,
        error=error,
        step_error=step_error,
        recordable=listing.RECORDABLE,
        record_action="/peitao/outcome",
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
    side: Side = "",
    firm: Uscc = "",
    k: K = 20,
    q: Annotated[str, Query(max_length=40)] = "",
    done: Annotated[str, Query(max_length=80)] = "",
) -> HTMLResponse:
    """Pick a firm (a leading firm, or one of your own) and see its ranked partners."""
    return _page(
        request, session, reference, user, side=side, firm=firm, k=k, q=q.strip(), done=done
    )


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
    side: Annotated[Literal["supplier", "customer"], Form()] = "supplier",
    amount: Annotated[str, Form(max_length=20)] = "",
    k: Annotated[int, Form(ge=1, le=200)] = 20,
) -> Response:
    """Record one funnel step for (firm, candidate): validated like outcomes.csv."""
    check_csrf(user, csrf)
    outcome = record_step(
        session,
        principal=user.principal,
        reference=reference,
        kind=side,
        query_id=firm,
        candidate=candidate,
        stage=stage,
        date=date,
        amount=amount,
    )
    return after_step(
        outcome,
        page=lambda failed: _page(
            request, session, reference, user, side=side, firm=firm, k=k,
            step_error=failed.message, row_errors=failed.row_errors, status_code=failed.status,
        ),
        path="/peitao", params={"side": side, "firm": firm, "k": k}, candidate=candidate,
        stage=stage,
    )  # fmt: skip
