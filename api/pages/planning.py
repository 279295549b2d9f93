"""The 对接会 page's path to storage and the planner, through
:mod:`recommender.events.service` (the same functions as ``/v1/events/{id}/plan`` and
``chainmatch plan-event``): plan an event with the production model, read the latest plan
back, cancel a participant and re-plan. Plus event creation with its participants in one
transaction, and participant lists from a file or a textarea.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from api.deps import runtime_of
from recommender.db import repo, repo_api
from recommender.errors import ConflictError, NotFoundError, ValidationError
from recommender.events import service as events_service
from recommender.events.service import StoredPlan
from recommender.planner import PlanSettings
from recommender.records import service as records
from recommender.security import Principal, allowed_roles
from recommender.settings import Settings


def check_write(principal: Principal, event_row: dict[str, Any]) -> None:
    """Only roles that may write events, and a scoped key only for its own city's."""
    principal.require_role(allowed_roles("events", "write"))
    principal.check_city(
        "events", [str(event_row["city_code"])], what=f"event {event_row['event_id']}"
    )


def event_row(session: Session, principal: Principal, event_id: str) -> dict[str, Any]:
    """The event (404 if absent, 403 outside a scoped key's city)."""
    return records.get_record(session, kind="events", key=event_id, principal=principal)


def participants(session: Session, event_id: str) -> list[dict[str, Any]]:
    """Registered participants with names and cities (empty list if none)."""
    try:
        _, frame = events_service.event_inputs(session, event_id=event_id)
    except ValidationError:  # no participants or no n_slots yet
        parts = repo.load_frame(session, kind="participants", where={"event_id": event_id})
        cities = repo_api.cities_of(session, kind="enterprises", ids=list(parts["uscc"]))
        return [
            {"uscc": u, "role": r, "name": u, "city_code": cities.get(u, "")}
            for u, r in zip(parts["uscc"], parts["role"], strict=True)
        ]
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def latest(session: Session, settings: Settings, event_id: str) -> StoredPlan | None:
    """The latest stored plan, or None if the event was never planned (with a plan file)."""
    try:
        return events_service.load_schedule(
            session, event_id=event_id, plans=events_service.plans_dir(settings)
        )
    except NotFoundError:
        return None


def run_plan(request: Request, session: Session, event_id: str, *, start: str = "") -> StoredPlan:
    """Plan the event with the production model, the first slot at ``start`` ("HH:MM");
    stored as its next version."""
    settings = runtime_of(request).settings
    return events_service.plan_event_from_db(
        session,
        event_id=event_id,
        ranking=runtime_of(request).ranking.get(),
        plans=events_service.plans_dir(settings),
        settings=PlanSettings(start_time=start),
    )


def cancel(session: Session, settings: Settings, event_id: str, uscc: str) -> StoredPlan:
    """Cancel a participant and re-plan, keeping every other meeting where it is."""
    return events_service.cancel_participant(
        session, event_id=event_id, uscc=uscc, plans=events_service.plans_dir(settings)
    )


def undo_cancel(request: Request, session: Session, event_id: str, uscc: str) -> StoredPlan:
    """Bring a cancelled firm back: plan the event again with it (other cancellations stay).

    The plan is made afresh by the production model (meetings may move), then every other
    firm cancelled before is cancelled again, keeping the rest in place.
    """
    settings = runtime_of(request).settings
    current = latest(session, settings, event_id)
    if current is None or uscc not in current.plan.cancelled:
        raise ConflictError("这家企业没有被取消参会，无需撤销")
    plans = events_service.plans_dir(settings)
    stored = events_service.plan_event_from_db(
        session,
        event_id=event_id,
        ranking=runtime_of(request).ranking.get(),
        plans=plans,
        keep_cancelled=False,
    )
    for other in current.plan.cancelled:
        if other != uscc:
            stored = events_service.cancel_participant(
                session, event_id=event_id, uscc=other, plans=plans
            )
    return stored


def create_event(
    session: Session,
    *,
    principal: Principal,
    data: dict[str, object],
    rows: list[dict[str, str]],
    reference: Any,
    source: str,
) -> None:
    """Create an event and its participants in one transaction: all checked, all or none."""
    event_id = str(data["event_id"])
    principal.require_role(allowed_roles("events", "write"))
    if not repo_api.get_frame(session, kind="events", key=event_id).empty:
        raise ConflictError(f"event {event_id!r} exists already; choose another id")
    frame = repo_api.validate_rows(
        session,
        kind="events",
        rows=[records.to_file_row(data)],
        reference=reference,
        source="event form",
    )
    principal.check_city("events", [str(frame["city_code"].iat[0])], what=f"event {event_id}")
    repo.upsert_frame(session, kind="events", frame=frame)
    session.flush()
    add_participants(
        session, event_id=event_id, rows=rows, reference=reference, source=source, commit=False
    )
    session.commit()


def add_participants(
    session: Session,
    *,
    event_id: str,
    rows: list[dict[str, str]],
    reference: Any,
    source: str,
    commit: bool = True,
) -> int:
    """Validate participant rows (like participants.csv) for this event; write all or none."""
    if not rows:
        return 0
    for i, r in enumerate(rows):
        given = (r.get("event_id") or "").strip()
        if given and given != event_id:
            raise ValidationError(
                f"{source} line {i + 2}: event_id must be {event_id} (or empty), got {given!r}"
            )
        r["event_id"] = event_id
    frame = repo_api.validate_rows(
        session, kind="participants", rows=rows, reference=reference, source=source
    )
    repo.upsert_frame(session, kind="participants", frame=frame)
    if commit:
        session.commit()
    return len(frame)


def rows_from_file(path: Path) -> list[dict[str, str]]:
    """The rows of an uploaded participants file (CSV/XLSX) as text cells."""
    from recommender.ingest import read_table

    table = read_table(path, kind="participants")
    return [
        {str(k): str(v) for k, v in rec.items()} for rec in table.frame.to_dict(orient="records")
    ]


def rows_from_text(text: str) -> list[dict[str, str]]:
    """``uscc,role[,min,max]`` per line (blank lines and a header line skipped)."""
    rows: list[dict[str, str]] = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.replace("，", ",").split(",")]
        if not cells[0] or cells[0].lower() == "uscc":
            continue
        cells += [""] * (4 - len(cells))
        rows.append(
            {"uscc": cells[0], "role": cells[1], "min_meetings": cells[2], "max_meetings": cells[3]}
        )
    return rows
