"""``create_app(settings)`` builds the FastAPI app: routers, error mapping, pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from api import middleware, pages
from api.errors import install_error_handlers
from api.routes import (
    audit,
    dashboard,
    enterprises,
    events,
    health,
    imports,
    keys,
    models,
    needs,
    outcomes,
    parks,
    projects,
    rank,
)
from recommender.runtime import Runtime
from recommender.settings import Settings, get_settings

DESCRIPTION = """\
沪苏浙–皖北 结对合作 partner matching: ranked, explained candidate lists, event schedules,
outcomes and model management.

Every `/v1` endpoint needs an API key, sent as `X-API-Key: cm_…` or
`Authorization: Bearer cm_…` (created with `chainmatch keys create --role ROLE [--city ADCODE]`).
Roles: `promotion_office` (one city: its parks, needs, events and outcomes), `organiser`,
`analyst`, `admin`. Without a valid key: 401; with a key whose role or city does not allow
the request: 403. Errors are `{"detail": "...", "errors": [{line, column, expected, got}]}`.
"""

TAGS = [
    {"name": "enterprises", "description": "企业: shared reference data, readable by every role"},
    {"name": "parks", "description": "园区: scoped to a promotion office's city"},
    {"name": "needs", "description": "需求: scoped by the city of the firm or park stating it"},
    {"name": "events", "description": "对接会: scoped by host city"},
    {"name": "outcomes", "description": "对接结果: batches, all-or-nothing"},
    {
        "name": "imports",
        "description": "文件导入 (CSV/XLSX), the same rules as `chainmatch import`",
    },
    {"name": "rank", "description": "排序: ranked, explained candidate lists (JSON or Excel)"},
    {"name": "models", "description": "排序模型版本"},
    {"name": "projects", "description": "项目台账: scoped to a promotion office's city"},
    {"name": "dashboard", "description": "成效看板 per pairing, city and park (JSON or Excel)"},
    {"name": "keys", "description": "API keys (admin)"},
    {"name": "audit", "description": "审计日志: who saw or exported lists, promoted models"},
    {"name": "health", "description": "no key needed"},
]


_NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Serve, then write what the log writers hold and release the database connections."""
    yield
    app.state.runtime.close()


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the app for the given settings (from the environment when omitted).

    The app holds one :class:`recommender.runtime.Runtime` (``app.state.runtime``, the
    composition root; its parts are made on first use and closed when the app shuts down);
    routes reach its parts through the aliases of :mod:`api.deps`. ``app.state.settings``,
    ``engine`` and ``session_factory`` are the runtime's, kept as shortcuts.
    """
    runtime = runtime or Runtime(settings or get_settings())
    app = FastAPI(
        title="chainmatch",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_tags=TAGS,
        lifespan=_lifespan,
        # off unless asked for: with no exporter the spans and metrics go nowhere and cost
        # every request its share
        telemetry=None if runtime.settings.telemetry else _NO_TELEMETRY,
    )
    app.state.runtime = runtime
    app.state.rank_lane = anyio.CapacityLimiter(runtime.settings.rank_threads)
    app.state.settings = runtime.settings
    app.state.engine = runtime.engine
    app.state.session_factory = runtime.session_factory
    install_error_handlers(app)
    middleware.install(app)  # data stamp, audit of lists and models, security headers
    app.include_router(health.router)
    for module in (enterprises, parks, needs, events, outcomes, imports, models, keys, rank):
        app.include_router(module.router)
    app.include_router(projects.router)
    app.include_router(dashboard.router)
    app.include_router(audit.router)
    pages.install(app)  # web pages, /static
    return app
