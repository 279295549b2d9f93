"""Model versions as the registry table holds them, and the health answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from api.schemas.common import UtcDatetime


class ModelVersionOut(BaseModel):
    """One trained ranker."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": "investor-20250601-0930",
                    "kind": "investor",
                    "created_at": "2025-06-01T09:30:00Z",
                    "status": "production",
                    "metrics": {"ndcg@10": 0.412, "map@20": 0.287},
                }
            ]
        }
    )

    version: str
    kind: str
    created_at: UtcDatetime
    status: str
    metrics: dict[str, Any]


class HealthOut(BaseModel):
    """Service status: database reachability and production models."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "database": "ok",
                    "production_models": {"investor": "investor-20250601-0930"},
                }
            ]
        }
    )

    status: Literal["ok", "degraded"]
    database: str
    production_models: dict[str, str]
