"""Two middlewares of the app: security headers on every answer, and the audit of sensitive
requests (lists viewed or exported, models promoted or rolled back).

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from recommender import security
from recommender.errors import ChainmatchError
from recommender.runtime import Runtime
from recommender.security import Principal, audit

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]

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


async def security_headers(request: Request, call_next: Handler) -> Response:
    """Add the security headers to every answer (CSP, framing, sniffing, referrer)."""
    response = await call_next(request)
    path = request.url.path
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if path.startswith(_REPORTS):
        response.headers["Content-Security-Policy"] = REPORT_CSP
    elif path.startswith(_CSP_EXEMPT):
        del response.headers["Content-Security-Policy"]
    return response


async def audit_requests(request: Request, call_next: Handler) -> Response:
    """Record a matching request that succeeded: who, which list or model, from where."""
    rule = rule_for(request.method, request.url.path, request.url.query)
    if rule is None:
        return await call_next(request)
    body = await request.body() if rule.method == "POST" and "/batch" in request.url.path else b""
    response = await call_next(request)
    if response.status_code < 400:
        try:
            principal: Principal | None = getattr(request.state, "principal", None)
            if principal is None:  # not authenticated through the deps: look it up
                principal = await run_in_threadpool(_principal, request)
            _record(request, rule, body, principal)
        except Exception:  # the answer is made; a failed audit write is logged, not shown
            log.exception("could not write the audit entry for %s", request.url.path)
    return response


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
    """Add both middlewares (the audit runs inside the headers)."""
    app.middleware("http")(audit_requests)
    app.middleware("http")(security_headers)
