"""The one mapping from domain errors (recommender/errors.py) to HTTP statuses and bodies.

API clients get JSON (``{"detail": ..., "errors": [...]}``). A browser (an ``Accept`` header
that asks for ``text/html`` before JSON) gets a Chinese HTML page with the same status: no
JSON, no traceback, no internal ids.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from recommender.errors import (
    AuthError,
    ChainmatchError,
    ConflictError,
    ForbiddenError,
    ImportValidationError,
    ModelError,
    NotFoundError,
    ReferenceDataError,
    SchemaError,
    TooManyAttemptsError,
    UnavailableError,
    ValidationError,
)

log = logging.getLogger(__name__)

# Most specific first: the first class an error is an instance of decides its status.
STATUS: Mapping[type[ChainmatchError], int] = {
    ImportValidationError: 422,
    TooManyAttemptsError: 429,
    AuthError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 422,
    SchemaError: 422,
    ModelError: 503,
    ReferenceDataError: 503,
    UnavailableError: 503,
}
# the database cannot be reached (restarting, down, locked): fail fast, the client retries
DB_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
DB_UNAVAILABLE_MESSAGE = "数据库暂时不可用，请稍后重试 (the database is unavailable; retry shortly)"
RETRY_AFTER = "5"


def status_of(exc: ChainmatchError) -> int:
    """The HTTP status for a domain error (500 for one nobody mapped)."""
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 500


def error_body(exc: ChainmatchError) -> dict[str, object]:
    """The JSON body: ``detail`` says what was wrong; imports add every row error."""
    if isinstance(exc, ImportValidationError):
        head = exc.message or f"{exc.source}: {len(exc.errors)} problem(s) in {exc.kind}"
        return {
            "detail": head,
            "errors": [
                {"line": e.line, "column": e.column, "expected": e.expected, "got": e.got}
                for e in exc.errors
            ],
        }
    return {"detail": str(exc) or type(exc).__name__}


def wants_html(request: Request) -> bool:
    """Whether the caller is a browser: ``text/html`` is asked for, before any JSON."""
    accept = request.headers.get("accept", "").lower()
    html = accept.find("text/html")
    if html < 0:
        return False
    json_at = accept.find("json")
    return json_at < 0 or html < json_at


def _html(request: Request, status: int, **context: Any) -> Response:
    from api.pages.errorpage import error_page  # the pages know templates and sessions

    return error_page(request, status, **context)


async def _handle(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChainmatchError)
    status = status_of(exc)
    if status >= 500:
        log.warning("%s %s -> %d: %s", request.method, request.url.path, status, exc)
    if wants_html(request):
        return _html(request, status, exc=exc)
    headers = {"WWW-Authenticate": 'Bearer, ApiKey header="X-API-Key"'} if status == 401 else None
    if status in (429, 503):
        headers = {"Retry-After": RETRY_AFTER}
    return JSONResponse(error_body(exc), status_code=status, headers=headers)


async def _handle_db_unavailable(request: Request, exc: Exception) -> Response:
    # one line, no SQL or parameters: they may hold data, and the server log has the cause
    log.warning(
        "%s %s -> 503: database unavailable (%s)",
        request.method,
        request.url.path,
        type(getattr(exc, "orig", None) or exc).__name__,
    )
    if wants_html(request):
        return _html(request, 503, message=DB_UNAVAILABLE_MESSAGE)
    return JSONResponse(
        {"detail": DB_UNAVAILABLE_MESSAGE},
        status_code=503,
        headers={"Retry-After": RETRY_AFTER},
    )


async def _handle_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if wants_html(request):
        return _html(request, exc.status_code)
    headers = getattr(exc, "headers", None)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("%s %s -> 500", request.method, request.url.path, exc_info=exc)
    if wants_html(request):
        return _html(request, 500)
    return JSONResponse({"detail": "internal server error; the log has the details"}, 500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on ``app`` (one handler for the whole domain hierarchy)."""
    app.add_exception_handler(ChainmatchError, _handle)
    for cls in DB_UNAVAILABLE:
        app.add_exception_handler(cls, _handle_db_unavailable)
    app.add_exception_handler(RequestValidationError, _handle_request_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(Exception, _handle_unexpected)


async def _handle_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_html(request):
        return _html(request, 422, validation=list(exc.errors()))
    errors = [_request_error(e) for e in exc.errors()]
    first = errors[0] if errors else None
    detail = (
        f"{len(errors)} problem(s) in the request; first: {first['column']}: "
        f"expected {first['expected']}, got {first['got']}"
        if first
        else "the request does not match the schema"
    )
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


def _request_error(err: Mapping[str, Any]) -> dict[str, object]:
    loc = [str(p) for p in err.get("loc", ())]
    line: int | None = None
    # a batch item: body.<list>.<index>.<field> -> the line it would have in a CSV file
    if len(loc) >= 3 and loc[0] == "body" and loc[2].isdigit():
        line = int(loc[2]) + 2
    got = err.get("input")
    return {
        "line": line,
        "column": ".".join(loc),
        "expected": str(err.get("msg", "")),
        "got": "" if got is None else _short(got),
    }


def _short(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "…"
