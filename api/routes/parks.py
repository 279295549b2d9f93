"""``/v1/parks``: parks, scoped to a promotion office's city."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.deps import CityFilter, Limit, Offset, PathId, ReferenceDep, Search, SessionDep
from api.deps import require_access as access
from api.schemas.common import CONFLICT, ERRORS, INVALID, NOT_FOUND, Page
from api.schemas.entities import ParkCreate, ParkOut, ParkUpdate
from recommender import records
from recommender.security import Principal

KIND = "parks"
router = APIRouter(prefix=f"/v1/{KIND}", tags=[KIND], responses={**ERRORS, **INVALID})
Reader = Annotated[Principal, access(KIND, "read")]
Writer = Annotated[Principal, access(KIND, "write")]


@router.get("")
def list_parks(
    *,
    session: SessionDep,
    key: Reader,
    offset: Offset = 0,
    limit: Limit = 50,
    q: Search = None,
    city: CityFilter = None,
) -> Page[ParkOut]:
    """List parks, paged, searchable by name and 主导产业."""
    items, total = records.list_records(
        session, kind=KIND, principal=key, offset=offset, limit=limit, search=q, city_code=city
    )
    return Page[ParkOut](
        items=[ParkOut.model_validate(i) for i in items],
        total=total,
        offset=offset,
        limit=limit,
    )


@router.get("/{park_id}", responses=NOT_FOUND)
def get_park(session: SessionDep, key: Reader, park_id: PathId) -> ParkOut:
    """One park."""
    row = records.get_record(session, kind=KIND, key=park_id, principal=key)
    return ParkOut.model_validate(row)


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_park(
    session: SessionDep, key: Writer, reference: ReferenceDep, body: ParkCreate
) -> ParkOut:
    """Register a park (validated like a row of parks.csv)."""
    row = records.create_record(
        session, kind=KIND, data=body.model_dump(), principal=key, reference=reference
    )
    return ParkOut.model_validate(row)


@router.patch("/{park_id}", responses=NOT_FOUND)
def update_park(
    session: SessionDep, key: Writer, reference: ReferenceDep, park_id: PathId, body: ParkUpdate
) -> ParkOut:
    """Change some fields of a park."""
    row = records.update_record(
        session,
        kind=KIND,
        key=park_id,
        changes=body.model_dump(exclude_unset=True),
        principal=key,
        reference=reference,
    )
    return ParkOut.model_validate(row)
