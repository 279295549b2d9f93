"""``/v1/events``: matchmaking events, scoped by host city."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.deps import CityFilter, Limit, Offset, PathId, ReferenceDep, Search, SessionDep
from api.deps import require_access as access
from api.schemas.common import CONFLICT, ERRORS, INVALID, NOT_FOUND, Page
from api.schemas.entities import EventCreate, EventOut, EventUpdate
from recommender import records
from recommender.security import Principal

KIND = "events"
router = APIRouter(prefix=f"/v1/{KIND}", tags=[KIND], responses={**ERRORS, **INVALID})
Reader = Annotated[Principal, access(KIND, "read")]
Writer = Annotated[Principal, access(KIND, "write")]


@router.get("")
def list_events(
    *,
    session: SessionDep,
    key: Reader,
    offset: Offset = 0,
    limit: Limit = 50,
    q: Search = None,
    city: CityFilter = None,
) -> Page[EventOut]:
    """List events, paged, searchable by name and venue."""
    items, total = records.list_records(
        session, kind=KIND, principal=key, offset=offset, limit=limit, search=q, city_code=city
    )
    return Page[EventOut](
        items=[EventOut.model_validate(i) for i in items],
        total=total,
        offset=offset,
        limit=limit,
    )


@router.get("/{event_id}", responses=NOT_FOUND)
def get_event(session: SessionDep, key: Reader, event_id: PathId) -> EventOut:
    """One event."""
    row = records.get_record(session, kind=KIND, key=event_id, principal=key)
    return EventOut.model_validate(row)


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_event(
    session: SessionDep, key: Writer, reference: ReferenceDep, body: EventCreate
) -> EventOut:
    """Register an event (validated like a row of events.csv)."""
    row = records.create_record(
        session, kind=KIND, data=body.model_dump(), principal=key, reference=reference
    )
    return EventOut.model_validate(row)


@router.patch("/{event_id}", responses=NOT_FOUND)
def update_event(
    session: SessionDep, key: Writer, reference: ReferenceDep, event_id: PathId, body: EventUpdate
) -> EventOut:
    """Change some fields of an event."""
    row = records.update_record(
        session,
        kind=KIND,
        key=event_id,
        changes=body.model_dump(exclude_unset=True),
        principal=key,
        reference=reference,
    )
    return EventOut.model_validate(row)
