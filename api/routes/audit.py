"""``/v1/audit``: who viewed or exported which list, who promoted which model (admin only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import Limit, Offset, RuntimeDep, SessionDep
from api.deps import require_access as access
from api.schemas.audit import AuditEntryOut
from api.schemas.common import ERRORS, INVALID
from recommender.security import Principal, audit

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses={**ERRORS, **INVALID})
Admin = Annotated[Principal, access("audit", "read")]


@router.get("")
def list_entries(
    *,
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    key: Admin,
    offset: Offset = 0,
    limit: Limit = 100,
    action: Annotated[
        str | None,
        Query(max_length=32, description="an action (list.export) or a prefix (list.)"),
    ] = None,
    actor: Annotated[
        str | None, Query(max_length=128, description="user:NAME, key:ID or cli:USER")
    ] = None,
    since: Annotated[dt.datetime | None, Query(description="UTC, e.g. 2026-12-01T00:00")] = None,
) -> list[AuditEntryOut]:
    """Audit entries, newest first; reading them is itself recorded."""
    runtime.audit_writer.flush()  # every answer already given is in what we read
    if since is not None and since.tzinfo is not None:
        since = since.astimezone(dt.UTC).replace(tzinfo=None)
    rows = audit.entries(
        session, action=action, actor=actor, since=since, limit=limit, offset=offset
    )
    out = [AuditEntryOut.model_validate(r) for r in rows]
    audit.record(
        runtime.session_factory,
        principal=key,
        action="audit.view",
        target=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        detail={"rows": len(out)},
        client=request.client.host if request.client else "",
    )
    return out
