"""``/v1/needs``: what leading firms and parks seek, scoped by the owner's city."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.deps import CityFilter, Limit, Offset, PathId, ReferenceDep, Search, SessionDep
from api.deps import require_access as access
from api.schemas.common import CONFLICT, ERRORS, INVALID, NOT_FOUND, Page
from api.schemas.entities import NeedCreate, NeedOut, NeedUpdate
from recommender import records
from recommender.security import Principal

KIND = "needs"
router = APIRouter(prefix=f"/v1/{KIND}", tags=[KIND], responses={**ERRORS, **INVALID})
Reader = Annotated[Principal, access(KIND, "read")]
Writer = Annotated[Principal, access(KIND, "write")]


@router.get("")
def list_needs(
    *,
    session: SessionDep,
    key: Reader,
    offset: Offset = 0,
    limit: Limit = 50,
    q: Search = None,
    city: CityFilter = None,
) -> Page[NeedOut]:
    """List needs, paged, searchable by description."""
    items, total = records.list_records(
        session, kind=KIND, principal=key, offset=offset, limit=limit, search=q, city_code=city
    )
    return Page[NeedOut](
        items=[NeedOut.model_validate(i) for i in items],
        total=total,
        offset=offset,
        limit=limit,
    )


@router.get("/{need_id}", responses=NOT_FOUND)
def get_need(session: SessionDep, key: Reader, need_id: PathId) -> NeedOut:
    """One need."""
    row = records.get_record(session, kind=KIND, key=need_id, principal=key)
    return NeedOut.model_validate(row)


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_need(
    session: SessionDep, key: Writer, reference: ReferenceDep, body: NeedCreate
) -> NeedOut:
    """Register a need (validated like a row of needs.csv)."""
    row = records.create_record(
        session, kind=KIND, data=body.model_dump(), principal=key, reference=reference
    )
    return NeedOut.model_validate(row)


@router.patch("/{need_id}", responses=NOT_FOUND)
def update_need(
    session: SessionDep, key: Writer, reference: ReferenceDep, need_id: PathId, body: NeedUpdate
) -> NeedOut:
    """Change some fields of a need."""
    row = records.update_record(
        session,
        kind=KIND,
        key=need_id,
        changes=body.model_dump(exclude_unset=True),
        principal=key,
        reference=reference,
    )
    return NeedOut.model_validate(row)
