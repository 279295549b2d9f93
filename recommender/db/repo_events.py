"""Repository functions for event meeting plans (one row per planned 1:1 meeting)."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from recommender.db._frames import frame_to_columns, rows_to_frame
from recommender.db.models import Event, EventParticipant, Meeting, table_of
from recommender.errors import NotFoundError

_IN_CHUNK = 1000  # event ids per IN (...) lookup
MEETING_COLUMNS = ("slot", "table_no", "leading_uscc", "supporting_uscc", "value", "status")
_DTYPES = {
    "event_id": "object",
    "plan_version": "int64",
    "slot": "int64",
    "table_no": "int64",
    "leading_uscc": "object",
    "supporting_uscc": "object",
    "value": "float64",
    "status": "object",
}


def participant_roles(session: Session, *, event_ids: Collection[str]) -> dict[str, str]:
    """Stored participants of the given events: "event_id|uscc" -> role."""
    ids = sorted({str(e) for e in event_ids if e})
    out: dict[str, str] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        rows = session.execute(
            select(EventParticipant.event_id, EventParticipant.uscc, EventParticipant.role).where(
                EventParticipant.event_id.in_(ids[start : start + _IN_CHUNK])
            )
        )
        out.update((f"{e}|{u}", r) for e, u, r in rows)
    return out


def save_meetings(
    session: Session, *, event_id: str, meetings_frame: pd.DataFrame, plan_version: int
) -> int:
    """Store a meeting plan as ``plan_version`` of the event, replacing that version if present.

    ``meetings_frame`` has slot, table_no, leading_uscc, supporting_uscc, value and
    optionally status (default "planned"). Returns the number of meetings written. The
    database refuses a plan with one table, or one firm, twice in a slot.
    """
    if session.get(Event, event_id) is None:
        raise NotFoundError(f"event {event_id!r} not found")
    frame = meetings_frame.copy()
    if "status" not in frame.columns:
        frame["status"] = "planned"
    table = table_of(Meeting)
    session.execute(
        delete(table).where(table.c.event_id == event_id, table.c.plan_version == plan_version)
    )
    if frame.empty:
        return 0
    cols = frame_to_columns(frame, table, MEETING_COLUMNS, what="save_meetings")
    records = [
        {
            "event_id": event_id,
            "plan_version": plan_version,
            **dict(zip(MEETING_COLUMNS, r, strict=True)),
        }
        for r in zip(*cols.values(), strict=True)
    ]
    session.execute(insert(table), records)
    return len(records)


def load_meetings(
    session: Session, *, event_id: str, plan_version: int | None = None
) -> pd.DataFrame:
    """The meetings of one plan version (default: the latest), ordered by slot and table."""
    table = table_of(Meeting)
    if plan_version is None:
        plan_version = session.execute(
            select(func.max(table.c.plan_version)).where(table.c.event_id == event_id)
        ).scalar_one_or_none()
    names = list(_DTYPES)
    if plan_version is None:
        rows = []
    else:
        stmt = (
            select(*(table.c[n] for n in names))
            .where(table.c.event_id == event_id, table.c.plan_version == plan_version)
            .order_by(table.c.slot, table.c.table_no)
        )
        rows = list(session.execute(stmt).all())
    return rows_to_frame(rows, names).astype(_DTYPES)
