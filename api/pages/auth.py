"""Sign-in with a user name and password, sign-out and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SessionDep
from api.pages.i18n import normalise_lang
from api.pages.render import render
from api.pages.session import (
    COOKIE,
    SessionData,
    UserDep,
    check_csrf,
    principal_of,
    read_session,
    write_session,
)
from recommender.errors import AuthError, TooManyAttemptsError
from recommender.security import accounts

router = APIRouter(include_in_schema=False)
NextUrl = Annotated[str, Query(max_length=500)]


def safe_next(url: str) -> str:
    """A local path to go to after sign-in (never another site)."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/"


def home_of(role: str) -> str:
    """The first page in the role's menu."""
    return {
        "promotion_office": "/zhaoshang",
        "organiser": "/events",
        "analyst": "/analysis",
        "coordinator": "/dashboard",
    }.get(role, "/zhaoshang")


@router.get("/")
def index(request: Request, session: SessionDep) -> RedirectResponse:
    """The role's first page, or the sign-in page."""
    principal = principal_of(session, read_session(request))
    return RedirectResponse(home_of(principal.role) if principal else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request, next: NextUrl = "/") -> HTMLResponse:
    """The sign-in form."""
    data = read_session(request)
    return render(
        request,
        "login.html",
        user=None,
        lang=data.lang,
        next=safe_next(next),
        error="",
        username="",
    )


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the user name and password; on success set the session cookie and go on."""
    data = read_session(request)
    try:
        row = accounts.authenticate_user(
            session,
            username=username,
            password=password,
            client=request.client.host if request.client else "",
        )
    except AuthError as exc:
        session.rollback()
        locked = isinstance(exc, TooManyAttemptsError)
        return render(
            request,
            "login.html",
            user=None,
            lang=data.lang,
            next=safe_next(next),
            error="signin.locked" if locked else "signin.bad",
            username=username.strip(),
            status_code=429 if locked else 401,
        )
    target = safe_next(next)
    if target == "/":
        target = home_of(row.role)
    response = RedirectResponse(target, status_code=303)
    write_session(
        request,
        response,
        SessionData(user_id=row.id, user_ref=accounts.session_ref(row), lang=data.lang),
    )
    return response


@router.post("/logout")
def logout(user: UserDep, csrf: Annotated[str, Form(max_length=64)]) -> RedirectResponse:
    """Forget the session."""
    check_csrf(user, csrf)
    response = RedirectResponse("/login?out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: NextUrl = "/") -> RedirectResponse:
    """Switch the pages to ``code`` (zh or en) and go back."""
    data = read_session(request)
    data.lang = normalise_lang(code)
    response = RedirectResponse(safe_next(next), status_code=303)
    write_session(request, response, data)
    return response
