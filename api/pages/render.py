"""Rendering of the page templates: one Jinja2 environment, the user's language and menu."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.pages.i18n import translate
from api.pages.messages import job_zh, row_errors_zh
from api.pages.session import PageUser

API_DIR: Final = Path(__file__).resolve().parent.parent
TEMPLATES_DIR: Final = API_DIR / "templates"
STATIC_DIR: Final = API_DIR / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _num(value: object, digits: int = 3) -> str:
    if value is None:
        return "–"
    try:
        return f"{float(str(value)):.{digits}f}"
    except ValueError:
        return str(value)


def _wan(value: object) -> str:
    """营业收入 in 万元 with thousands separators ("–" when unknown)."""
    if value is None:
        return "–"
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    return f"{number:,.0f}" if math.isfinite(number) else "–"


templates.env.filters["num"] = _num
templates.env.filters["wan"] = _wan
templates.env.filters["zh_rows"] = row_errors_zh
templates.env.filters["job_zh"] = job_zh


def render(
    request: Request,
    template: str,
    *,
    user: PageUser | None,
    lang: str = "zh",
    status_code: int = 200,
    page: str = "",
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with ``t`` (translate), ``user``, ``menu`` and ``page`` set."""
    language = user.lang if user is not None else lang

    def t(key: str, **values: object) -> str:
        return translate(language, key, **values)

    return templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": language,
            "user": user,
            "menu": user.menu if user is not None else [],
            "page": page,
            "csrf": user.csrf if user is not None else "",
            **context,
        },
        status_code=status_code,
    )


def query_string(params: Mapping[str, object]) -> str:
    """``a=1&b=2`` for the non-empty values of ``params``."""
    return urlencode({k: str(v) for k, v in params.items() if v not in (None, "")})
