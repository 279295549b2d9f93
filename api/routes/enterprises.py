"""``/v1/enterprises``: firms, shared reference data readable by every role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.deps import CityFilter, Limit, Offset, PathId, ReferenceDep, Search, SessionDep
from api.deps import require_access as access
from api.schemas.common import CONFLICT, ERRORS, INVALID, NOT_FOUND, Page
from api.schemas.entities import EnterpriseCreate, EnterpriseOut, EnterpriseUpdate
from recommender import records
from recommender.security import Principal

KIND = "enterprises"
router = APIRouter(prefix=f"/v1/{KIND}", tags=[KIND], responses={**ERRORS, **INVALID})
Reader = Annotated[Principal, access(KIND, "read")]
Writer = Annotated[Principal, access(KIND, "write")]


@router.get("")
def list_enterprises(
    *,
    session: SessionDep,
    key: Reader,
    offset: Offset = 0,
    limit: Limit = 50,
    q: Search = None,
    city: CityFilter = None,
) -> Page[EnterpriseOut]:
    """List firms by 统一社会信用代码, paged, searchable by name and products."""
    items, total = records.list_records(
        session, kind=KIND, principal=key, offset=offset, limit=limit, search=q, city_code=city
    )
    return Page[EnterpriseOut](
        items=[EnterpriseOut.model_validate(i) for i in items],
        total=total,
        offset=offset,
        limit=limit,
    )


@router.get("/{uscc}", responses=NOT_FOUND)
def get_enterprise(session: SessionDep, key: Reader, uscc: PathId) -> EnterpriseOut:
    """One firm."""
    row = records.get_record(session, kind=KIND, key=uscc, principal=key)
    return EnterpriseOut.model_validate(row)


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_enterprise(
    session: SessionDep, key: Writer, reference: ReferenceDep, body: EnterpriseCreate
) -> EnterpriseOut:
    """Register a firm (validated like a row of enterprises.csv)."""
    row = records.create_record(
        session, kind=KIND, data=body.model_dump(), principal=key, reference=reference
    )
    return EnterpriseOut.model_validate(row)


@router.patch("/{uscc}", responses=NOT_FOUND)
def update_enterprise(
    session: SessionDep, key: Writer, reference: ReferenceDep, uscc: PathId, body: EnterpriseUpdate
) -> EnterpriseOut:
    """Change some fields of a firm."""
    row = records.update_record(
        session,
        kind=KIND,
        key=uscc,
        changes=body.model_dump(exclude_unset=True),
        principal=key,
        reference=reference,
    )
    return EnterpriseOut.model_validate(row)
