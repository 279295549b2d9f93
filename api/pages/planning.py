"""The 对接会 page's path to storage and the planner: load an event, value its pairs, plan,
re-plan after a cancellation, and store each plan as a new version of its meetings.

A plan is rebuilt from storage each time (spec from the event row, participants from
``event_participants``, meetings from the latest plan version), so every API process sees
the same plan. A cancelled participant is stored as ``max_meetings = 0`` (it attends no
meeting); it is passed to the planner as cancelled.

Pair values are the production model's calibrated P(signed or better) for the supplier
query (leading firm → supporting firm). Without a production model every pair is worth 1.0
and the page says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi import Request
from sqlalchemy.orm import Session

from api.routes.rank import get_holder
from features.pairs import pair_features
from recommender.db import repo, repo_api, repo_events
from recommender.errors import ChainmatchError, ConflictError, NotFoundError, ValidationError
from recommender.planner import EventSpec, Plan, PlanSettings, plan_event, replan
from recommender.security import Principal, allowed_roles

PLAN_SETTINGS = PlanSettings(time_limit=20.0)


@dataclass
class EventData:
    """An event as the planner needs it."""

    row: dict[str, Any]
    spec: EventSpec
    participants: pd.DataFrame  # planner columns, cancelled ones included
    cancelled: tuple[str, ...]


def check_write(principal: Principal, event_row: dict[str, Any]) -> None:
    """Only roles that may write events, and a scoped key only for its own city's."""
    principal.require_role(allowed_roles("events", "write"))
    principal.check_city(
        "events", [str(event_row["city_code"])], what=f"event {event_row['event_id']}"
    )


def load_event(session: Session, principal: Principal, event_id: str) -> EventData:
    """The event, its spec and its participants (with names and cities)."""
    from recommender import records

    row = records.get_record(session, kind="events", key=event_id, principal=principal)
    n_slots = int(row.get("n_slots") or 8)
    start = dt.datetime.combine(row["date"] or dt.date.today(), dt.time(9, 0))
    spec = EventSpec(
        event_id=event_id,
        n_slots=n_slots,
        n_tables=int(row.get("n_tables") or 5),
        slot_minutes=int(row.get("slot_minutes") or 20),
        start=start,
        name=str(row.get("name") or ""),
        venue=str(row.get("venue") or ""),
    )
    parts = repo.load_frame(session, kind="participants", where={"event_id": event_id})
    firms = (
        repo.load_frame(session, kind="enterprises", where={"uscc": list(parts["uscc"])})
        if len(parts)
        else None
    )
    names = {} if firms is None else dict(zip(firms["uscc"], firms["name"], strict=True))
    cities = {} if firms is None else dict(zip(firms["uscc"], firms["city_code"], strict=True))
    frame = pd.DataFrame(
        {
            "uscc": parts["uscc"].astype(str),
            "role": parts["role"].astype(str),
            "name": [names.get(u, u) for u in parts["uscc"]],
            "city_code": [cities.get(u, "") for u in parts["uscc"]],
            "min_meetings": parts["min_meetings"].fillna(0).astype("int64"),
            "max_meetings": parts["max_meetings"].fillna(n_slots).astype("int64"),
            "available_slots": parts["available_slots"].astype(str),
        }
    )
    cancelled = tuple(sorted(frame.loc[frame["max_meetings"] == 0, "uscc"]))
    return EventData(row=row, spec=spec, participants=frame, cancelled=cancelled)


def value_pairs(request: Request, participants: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Every leading × supporting pair with the model's value; (pairs, used_model)."""
    lead = participants.loc[participants["role"] == "leading", "uscc"].to_numpy(dtype=object)
    supp = participants.loc[participants["role"] == "supporting", "uscc"].to_numpy(dtype=object)
    q = np.repeat(lead, len(supp))
    c = np.tile(supp, len(lead))
    pairs = pd.DataFrame({"leading_uscc": q, "supporting_uscc": c})
    if not len(pairs):
        return pairs.assign(value=np.zeros(0)), False
    try:
        service = get_holder(request).get()
        model = service.models.current()
        X = pair_features(
            service.ctx,
            kind="supplier",
            query_ids=q,
            candidate_ids=c,
            as_of=pd.Timestamp.now().normalize(),
        )
    except (ChainmatchError, KeyError):
        return pairs.assign(value=1.0), False
    raw = np.asarray(model.booster.predict(X[list(model.feature_names)], num_threads=1))
    if model.calibrator is not None:
        value = np.asarray(model.calibrator.transform(raw), dtype=float)
    else:  # rank-normalised scores in (0, 1]
        value = (pd.Series(raw).rank(method="first").to_numpy() / len(raw)).astype(float)
    return pairs.assign(value=np.clip(value, 0.0, None)), True


def stored_meetings(session: Session, event: EventData) -> tuple[pd.DataFrame, int]:
    """(meetings in the planner's layout, plan version) of the latest stored plan."""
    m = repo_events.load_meetings(session, event_id=event.spec.event_id)
    version = int(m["plan_version"].max()) if len(m) else 0
    names = dict(zip(event.participants["uscc"], event.participants["name"], strict=True))
    out = pd.DataFrame(
        {
            "slot": m["slot"].astype("int64"),
            "time": [event.spec.slot_label(int(s)) for s in m["slot"]],
            "table": m["table_no"].astype("int64"),
            "leading_uscc": m["leading_uscc"].astype(str),
            "leading_name": [names.get(u, u) for u in m["leading_uscc"]],
            "supporting_uscc": m["supporting_uscc"].astype(str),
            "supporting_name": [names.get(u, u) for u in m["supporting_uscc"]],
            "value": m["value"].astype(float),
            "must": False,
        }
    )
    return out, version


def save_plan(session: Session, plan: Plan, *, version: int) -> None:
    """Store the plan's meetings as ``version`` and commit."""
    m = plan.meetings
    frame = pd.DataFrame(
        {
            "slot": m["slot"].astype("int64"),
            "table_no": m["table"].astype("int64"),
            "leading_uscc": m["leading_uscc"].astype(str),
            "supporting_uscc": m["supporting_uscc"].astype(str),
            "value": m["value"].astype(float),
        }
    )
    repo_events.save_meetings(
        session, event_id=plan.spec.event_id, meetings_frame=frame, plan_version=version
    )
    session.commit()


def active(event: EventData) -> pd.DataFrame:
    """Participants still attending."""
    return event.participants[~event.participants["uscc"].isin(event.cancelled)]


def run_plan(request: Request, session: Session, event: EventData) -> tuple[Plan, bool, int]:
    """Plan the event from scratch and store it as the next version; (plan, used_model, v)."""
    parts = active(event)
    if not (parts["role"] == "leading").any() or not (parts["role"] == "supporting").any():
        raise ValidationError(
            "an event needs at least one leading and one supporting participant, got "
            f"{int((parts['role'] == 'leading').sum())} leading and "
            f"{int((parts['role'] == 'supporting').sum())} supporting"
        )
    pairs, used_model = value_pairs(request, parts)
    plan = plan_event(event.spec, parts, pairs, PLAN_SETTINGS)
    _, version = stored_meetings(session, event)
    save_plan(session, plan, version=version + 1)
    return plan, used_model, version + 1


def current_plan(
    request: Request, session: Session, event: EventData
) -> tuple[Plan | None, bool, int]:
    """The latest stored plan as a :class:`Plan` (None if never planned)."""
    meetings, version = stored_meetings(session, event)
    if version == 0:
        return None, False, 0
    parts = active(event)
    pairs, used_model = value_pairs(request, parts)
    base = plan_event(event.spec, parts, pairs, PLAN_SETTINGS)
    return (
        dataclasses.replace(base, meetings=meetings, cancelled=event.cancelled),
        used_model,
        version,
    )


def cancel_and_replan(
    request: Request, session: Session, event: EventData, uscc: str
) -> tuple[Plan, int]:
    """Mark ``uscc`` cancelled, re-plan keeping every other meeting, store the new version."""
    plan, _, version = current_plan(request, session, event)
    if plan is None:
        raise NotFoundError(f"event {event.spec.event_id} has no plan yet; run the planner first")
    if uscc not in set(active(event)["uscc"]):
        raise NotFoundError(f"firm {uscc} is not a remaining participant of {event.spec.event_id}")
    new = replan(plan, uscc)
    repo.upsert_frame(
        session,
        kind="participants",
        frame=_cancelled_row(session, event.spec.event_id, uscc),
    )
    save_plan(session, new, version=version + 1)
    return new, version + 1


def _cancelled_row(session: Session, event_id: str, uscc: str) -> pd.DataFrame:
    row = repo.load_frame(session, kind="participants", where={"event_id": event_id, "uscc": uscc})
    return row.assign(
        min_meetings=pd.array([0] * len(row), dtype="Int64"),
        max_meetings=pd.array([0] * len(row), dtype="Int64"),
    )


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
    from recommender import records

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
