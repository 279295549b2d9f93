"""``/health``: database and model status, no key needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import create_engine, text

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """Database reachability and the production model, if any."""
    settings = request.app.state.settings
    db_ok = True
    detail = "ok"
    try:
        engine = create_engine(settings.effective_database_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - health reports any failure as text
        db_ok = False
        detail = str(exc)[:200]
    return {"status": "ok" if db_ok else "degraded", "database": detail}
