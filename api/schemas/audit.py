"""The audit log as the API shows it (admin only)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from api.schemas.common import UtcDatetime


class AuditEntryOut(BaseModel):
    """One audit entry: who (actor, role, client) did what (action) to which target, when."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "at": "2026-12-01T09:30:00Z",
                    "actor": "user:bengbu_zhaoshang",
                    "role": "promotion_office",
                    "action": "list.export",
                    "target": "/zhaoshang/export.xlsx?park=P340300001",
                    "detail": {"status": "ok"},
                    "client": "10.0.0.8",
                }
            ]
        },
    )

    id: int
    at: UtcDatetime
    actor: str
    role: str
    action: str
    target: str
    detail: dict[str, Any]
    client: str
