"""``create_app(settings)`` builds the FastAPI app: routers, error mapping, pages."""

from __future__ import annotations

from fastapi import FastAPI

from api.routes import health
from recommender.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (from the environment when omitted)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="chainmatch",
        description="沪苏浙–皖北 结对合作 partner matching: ranked, explained candidate lists, "
        "event schedules, outcomes and model management.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.include_router(health.router)
    return app
