"""The app's middlewares, pure ASGI: security headers on every answer, the audit of sensitive
requests (lists viewed or exported, models promoted or rolled back), and the data stamp
touched by writes of ranking data.

The audit is one table (:data:`AUDITED`) of method + path pattern -> action, so a new page or
route that shows a list is audited by adding one line here, and the API, the pages and the
CLI (which records its own) write the same entries (:mod:`recommender.security.audit`). Only answers
below 400 are recorded: a refused request showed nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recommender import security
from recommender.db import datastamp
from recommender.errors import ChainmatchError
from recommender.runtime import Runtime
from recommender.security import Principal, audit

log = logging.getLogger(__name__)

# scripts and styles only from /static (no inline script, no eval), no framing, no plugins
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# an evaluation report is a stand-alone file: its own <style>, plots as data: images, no script
REPORT_CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
)
_REPORTS: Final = "/analysis/reports/"
# the interactive API docs load FastAPI's Swagger/ReDoc bundles (CDN, inline start-up script)
_CSP_EXEMPT: Final = ("/docs", "/redoc")


@dataclass(frozen=True)
class Rule:
    """Requests that match ``method`` and ``pattern`` (and carry ``needs`` in the query)."""

    method: str
    pattern: re.Pattern[str]
    action: str
    needs: str = ""  # a query parameter (or "name=value") the query string must carry


def _rule(method: str, pattern: str, action: str, needs: str = "") -> Rule:
    return Rule(method, re.compile(pattern), action, needs)


AUDITED: Final[tuple[Rule, ...]] = (
    _rule("GET", r"^/v1/rank/[^/]+/[^/]+/export\.xlsx$", "list.export"),
    _rule("GET", r"^/v1/rank/[^/]+/[^/]+$", "list.view"),
    _rule("POST", r"^/v1/rank/[^/]+/batch$", "list.view"),
    _rule("GET", r"^/zhaoshang/export\.xlsx$", "list.export"),
    _rule("GET", r"^/zhaoshang$", "list.view", needs="park"),
    _rule("GET", r"^/peitao$", "list.view", needs="firm"),
    _rule("GET", r"^/v1/projects/chain-targets/[^/]+$", "list.view"),
    _rule("GET", r"^/v1/events/[^/]+/schedule\.xlsx$", "schedule.export"),
    _rule("GET", r"^/events/[^/]+/plan\.xlsx$", "schedule.export"),
    _rule("GET", r"^/dashboard/export\.xlsx$", "dashboard.export"),
    _rule("GET", r"^/v1/dashboard$", "dashboard.export", needs="format=xlsx"),
    _rule("GET", r"^/v1/events/[^/]+/schedule\.html$", "schedule.export"),
    _rule("POST", r"^/v1/models/[^/]+/promote$", "model.promote"),
    _rule("POST", r"^/v1/models/rollback$", "model.rollback"),
    _rule("POST", r"^/analysis/promote$", "model.promote"),
    _rule("POST", r"^/analysis/rollback$", "model.rollback"),
    _rule("POST", r"^/v1/keys$", "key.create"),
    _rule("POST", r"^/v1/keys/[^/]+/revoke$", "key.revoke"),
    _rule("POST", r"^/v1/keys/[^/]+/rotate$", "key.rotate"),
)


def rule_for(method: str, path: str, query: str) -> Rule | None:
    """The audit rule of a request, if it is one that must be recorded."""
    for rule in AUDITED:
        if rule.method == method and rule.pattern.match(path):
            wanted = rule.needs if "=" in rule.needs else f"{rule.needs}="
            if rule.needs and wanted not in query:
                return None
            return rule
    return None


class _HttpMiddleware:
    """A pure ASGI middleware (no :class:`starlette.middleware.base.BaseHTTPMiddleware` task
    and streams per request) that handles HTTP requests and passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


def _on_start(send: Send, see: Callable[[Message], None]) -> Send:
    """``send`` that shows the ``http.response.start`` message (status, headers) to ``see``
    before passing it on."""

    async def send_seen(message: Message) -> None:
        if message["type"] == "http.response.start":
            see(message)
        await send(message)

    return send_seen


class SecurityHeaders(_HttpMiddleware):
    """Add the security headers to every answer (CSP, framing, sniffing, referrer), and
    ``no-store`` to every answer but a static file.

    The headers are set on the ``http.response.start`` message as it passes.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]

        def add_headers(message: Message) -> None:
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
            if path.startswith(_REPORTS):
                headers["Content-Security-Policy"] = REPORT_CSP
            elif path.startswith(_CSP_EXEMPT):
                del headers["Content-Security-Policy"]
            if not path.startswith("/static/"):
                # never cached: after 退出, Back must not show a signed-in page
                headers["Cache-Control"] = "no-store"
                headers.setdefault("Pragma", "no-cache")

        await self.app(scope, receive, _on_start(send, add_headers))


class AuditRequests(_HttpMiddleware):
    """Record a matching request that succeeded: who, which list or model, from where.

    Pure ASGI: the status is read from ``http.response.start``; a batch's body is read once
    and handed on unchanged; the entry goes to the runtime's batching audit writer after the
    answer is sent.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        rule = rule_for(scope["method"], scope["path"], query)
        if rule is None:
            await self.app(scope, receive, send)
            return
        body = b""
        if rule.method == "POST" and "/batch" in scope["path"]:
            body, receive = await _buffered(receive)
        status = [500]

        def see(message: Message) -> None:
            status[0] = int(message["status"])

        await self.app(scope, receive, _on_start(send, see))
        if status[0] >= 400:
            return
        request = Request(scope)
        try:
            principal: Principal | None = getattr(request.state, "principal", None)
            if principal is None:  # not authenticated through the deps: look it up
                principal = await run_in_threadpool(_principal, request)
            _record(request, rule, body, principal)
        except Exception:  # the answer is sent; a failed audit write is logged, not shown
            log.exception("could not write the audit entry for %s", scope["path"])


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read a request body to its end; return it and a ``receive`` that replays it."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: nothing more comes
            break
        chunks.append(message.get("body", b""))
        more = bool(message.get("more_body", False))
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def audit_writer(app: FastAPI) -> audit.AuditWriter:
    """The app's batching audit writer (the runtime's)."""
    runtime: Runtime = app.state.runtime
    return runtime.audit_writer


def _record(request: Request, rule: Rule, body: bytes, principal: Principal | None) -> None:
    runtime: Runtime = request.app.state.runtime
    principal = principal or Principal(key_id=None, role="", label="unknown")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    detail: dict[str, object] = {"status": "ok"}
    if body:
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            detail["query_ids"] = list(json.loads(body).get("query_ids", []))[:200]
    if rule.action.startswith("model."):
        detail["production"] = runtime.registry.production() or ""
    audit_writer(request.app).submit(
        principal=principal,
        action=rule.action,
        target=target,
        detail=detail,
        client=request.client.host if request.client else "",
    )


def _principal(request: Request) -> Principal | None:
    """The caller: its API key for /v1, its signed-in account for pages (None if unknown)."""
    runtime: Runtime = request.app.state.runtime
    session = runtime.session_factory()
    try:
        if request.url.path.startswith("/v1/"):
            plaintext = security.parse_key(
                x_api_key=request.headers.get("x-api-key"),
                authorization=request.headers.get("authorization"),
            )
            try:
                return security.authenticate(session, plaintext)
            except ChainmatchError:
                return None
        from api.pages.session import principal_of, read_session

        return principal_of(session, read_session(request))
    finally:
        session.close()


def install(app: FastAPI) -> None:
    """Add the three middlewares (outermost last: headers, then audit, then data stamp)."""
    app.add_middleware(StampDataWrites)
    app.add_middleware(AuditRequests)
    app.add_middleware(SecurityHeaders)


# successful writes under these paths change what rankings are computed from
_DATA_WRITE_PREFIXES = (
    "/v1/enterprises",
    "/v1/parks",
    "/v1/needs",
    "/v1/outcomes",
    "/v1/projects",  # signed/landed projects write outcomes
    "/dashboard/ledger",
    "/v1/imports",
    "/peitao/outcome",
    "/analysis/outcomes",
    "/v1/events",
    "/events",
)
# ... except these, which plan meetings and change no ranking data
_NOT_DATA_WRITES = ("/plan", "/cancel")


def _writes_data(method: str, path: str) -> bool:
    """Whether a successful ``method path`` changes what rankings are computed from."""
    return (
        method in {"POST", "PATCH", "PUT", "DELETE"}
        and path.startswith(_DATA_WRITE_PREFIXES)
        and not any(part in path for part in _NOT_DATA_WRITES)
    )


class StampDataWrites(_HttpMiddleware):
    """After a successful write of ranking data, touch the data stamp so every API process
    rebuilds its ranking data in the background (see :mod:`recommender.db.datastamp`).

    The stamp is touched when the answer's status is known, before it is sent.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _writes_data(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return

        def stamp(message: Message) -> None:
            if int(message["status"]) < 400:
                runtime: Runtime = scope["app"].state.runtime
                datastamp.touch(runtime.settings.home)

        await self.app(scope, receive, _on_start(send, stamp))
