"""Server-rendered web pages for the three users (招商, 配套, 对接会, 分析) and sign-in.

``install(app)`` adds the page routers, the ``/static`` mount and the two page-only
exception handlers (sign-in redirect, 403 page) to an app built by ``api.app.create_app``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.pages import analysis, auth, dashboard, events, peitao, zhaoshang
from api.pages.render import STATIC_DIR
from api.pages.session import LoginRequiredError, PageForbiddenError

__all__ = ["STATIC_DIR", "install"]


async def _login_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    from api.pages.errorpage import error_page

    if str(exc) == "csrf":
        return error_page(
            request, 403, message="表单已过期（例如页面打开太久或已在别处退出），请刷新页面后重试。"
        )
    return error_page(request, 403, message="当前角色无权访问此页面")


async def _no_store(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Pages are never kept in a cache: after 退出, Back must not show a signed-in page."""
    response = await call_next(request)
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response


def install(app: FastAPI) -> None:
    """Add the pages, their static files and their exception handlers to ``app``."""
    for module in (auth, zhaoshang, peitao, events, analysis, dashboard):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_exception_handler(LoginRequiredError, _login_redirect)
    app.add_exception_handler(PageForbiddenError, _forbidden)
    app.middleware("http")(_no_store)
