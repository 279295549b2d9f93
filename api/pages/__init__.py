"""Server-rendered web pages for the three users (招商, 配套, 对接会, 分析) and sign-in.

``install(app)`` adds the page routers, the ``/static`` mount and the two page-only
exception handlers (sign-in redirect, 403 page) to an app built by ``api.app.create_app``.
"""

from __future__ import annotations

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


def install(app: FastAPI) -> None:
    """Add the pages, their static files and their exception handlers to ``app``."""
    for module in (auth, zhaoshang, peitao, events, analysis, dashboard):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_exception_handler(LoginRequiredError, _login_redirect)
    app.add_exception_handler(PageForbiddenError, _forbidden)
