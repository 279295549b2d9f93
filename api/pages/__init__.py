"""Server-rendered web pages for the three users (招商, 配套, 对接会, 分析) and sign-in.

``install(app)`` adds the page routers, the ``/static`` mount and the two page-only
exception handlers (sign-in redirect, 403 page) to an app built by ``api.app.create_app``.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.pages import analysis, auth, events, peitao, zhaoshang
from api.pages.render import STATIC_DIR, render
from api.pages.session import LoginRequiredError, PageForbiddenError, current_user

__all__ = ["STATIC_DIR", "install"]


async def _login_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    reason = "csrf" if str(exc) == "csrf" else "forbidden"
    session = request.app.state.session_factory()
    try:
        user = current_user(request, session)
    except LoginRequiredError:
        user = None
    finally:
        session.close()
    return render(request, "forbidden.html", user=user, reason=reason, status_code=403)


def install(app: FastAPI) -> None:
    """Add the pages, their static files and their exception handlers to ``app``."""
    for module in (auth, zhaoshang, peitao, events, analysis):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_exception_handler(LoginRequiredError, _login_redirect)
    app.add_exception_handler(PageForbiddenError, _forbidden)
