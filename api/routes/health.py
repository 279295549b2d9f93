"""``/health``: database and model status, no key needed."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from api.deps import RuntimeDep
from api.schemas.models import HealthOut
from recommender.db import repo_api

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/health")
def health(runtime: RuntimeDep) -> HealthOut:
    """Database reachability and the production model of each kind, if any."""
    with runtime.session_factory() as session:
        try:
            repo_api.ping(session)
        except Exception as exc:
            log.warning("health: database unreachable: %s", exc)
            return HealthOut(status="degraded", database=str(exc)[:200], production_models={})
        try:
            production = repo_api.production_versions(session)
        except Exception as exc:
            log.warning("health: model registry unreadable: %s", exc)
            return HealthOut(
                status="degraded",
                database=f"reachable, but not migrated (chainmatch db upgrade): {exc}"[:200],
                production_models={},
            )
    return HealthOut(status="ok", database="ok", production_models=production)
