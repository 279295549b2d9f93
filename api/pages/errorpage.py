"""The Chinese HTML error page (404, 403, 422, 500, ...) that browsers get instead of JSON."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.pages.messages import STATUS_TEXT, domain_zh, request_error_zh
from api.pages.render import render
from api.pages.session import PageUser, optional_user
from recommender.errors import ChainmatchError

log = logging.getLogger(__name__)


def error_page(
    request: Request,
    status: int,
    *,
    exc: ChainmatchError | None = None,
    validation: Sequence[Mapping[str, Any]] | None = None,
    message: str = "",
) -> HTMLResponse:
    """Render ``error.html`` for ``status``: a title, one sentence, what to do, field problems."""
    title, hint = STATUS_TEXT.get(status, STATUS_TEXT[500 if status >= 500 else 400])
    text = message or (domain_zh(exc) if exc is not None else hint)
    problems = [request_error_zh(e) for e in validation or ()]
    user: PageUser | None
    try:
        user = optional_user(request)
    except Exception:
        log.warning("error page without a user (session lookup failed)", exc_info=True)
        user = None
    return render(
        request,
        "error.html",
        user=user,
        status_code=status,
        status=status,
        title=title,
        message=text,
        hint=hint if text != hint else "",
        problems=problems,
    )
