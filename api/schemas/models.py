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


class RetrainJobOut(BaseModel):
    """A retrain job and its progress: queued → running → succeeded / failed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "status": "succeeded",
                    "message": "promoted: NDCG@10 0.61 vs production 0.58",
                    "version": "20261127T120501-3fa9c2",
                }
            ]
        }
    )

    id: int
    status: Literal["queued", "running", "succeeded", "failed"]
    message: str
    version: str


class PromotionOut(BaseModel):
    """The production pointer after a promote or a rollback."""

    production: str | None
    previous: str | None
