"""对接会: list and create events, run the planner, see the grid and agendas, print or
export, cancel a participant and re-plan (showing what moved)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import ReferenceDep, SessionDep, runtime_of
from api.pages import lookups, planning
from api.pages.forms import Failure, attempt
from api.pages.render import render
from api.pages.session import PageUser, check_csrf, page_user
from api.uploads import saved_upload
from features.reference import Reference
from features.schema import XLSX_MEDIA_TYPE as XLSX
from recommender.errors import ImportValidationError
from recommender.events.service import StoredPlan
from recommender.planner import write_excel
from recommender.planner.report import organiser_warnings
from recommender.records import service as records

router = APIRouter(prefix="/events", include_in_schema=False)
User = Annotated[PageUser, page_user("events")]
EventId = Annotated[str, PathParam(min_length=1, max_length=64)]
Csrf = Annotated[str, Form(max_length=64)]
StartTime = Annotated[str, Form(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


# ----------------------------------------------------------------------------- views
def grid_rows(meetings: pd.DataFrame, spec: Any) -> list[dict[str, Any]]:
    """One row per slot: its time and one cell per table (None = free)."""
    cells: dict[tuple[int, int], dict[str, Any]] = {
        (int(m["slot"]), int(m["table"])): {
            "leading": m["leading_name"],
            "supporting": m["supporting_name"],
            "leading_uscc": m["leading_uscc"],
            "supporting_uscc": m["supporting_uscc"],
        }
        for m in meetings.to_dict(orient="records")
    }
    return [
        {
            "slot": s,
            "time": spec.slot_label(s),
            "cells": [cells.get((s, t)) for t in range(1, spec.n_tables + 1)],
        }
        for s in range(spec.n_slots)
    ]


def agenda_rows(meetings: pd.DataFrame, participants: pd.DataFrame) -> list[dict[str, Any]]:
    """Per firm (leading firms first): its meetings in time order."""
    out = []
    for p in participants.sort_values(["role", "name"]).to_dict(orient="records"):
        uscc = p["uscc"]
        mine = meetings[(meetings["leading_uscc"] == uscc) | (meetings["supporting_uscc"] == uscc)]
        items = [
            {
                "time": m["time"],
                "table": int(m["table"]),
                "partner": m["supporting_name"] if m["leading_uscc"] == uscc else m["leading_name"],
            }
            for m in mine.sort_values("slot").to_dict(orient="records")
        ]
        out.append({"uscc": uscc, "name": p["name"], "role": p["role"], "meetings": items})
    return out


def _when(spec: Any, slot: Any, table: Any) -> str:
    """'09:20-09:40 #3', or '–' for no slot."""
    return f"{spec.slot_label(int(slot))} #{int(table)}" if int(slot) >= 0 else "–"


def _detail(
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: PageUser,
    event_id: str,
    *,
    fresh: StoredPlan | None = None,
    notice: str = "",
    undo: dict[str, str] | None = None,
    participants_text: str = "",
    start: str = "",
    error: str = "",
    row_errors: list[dict[str, object]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The event page; ``fresh`` is a plan just made (its report and changes are shown)."""
    row = planning.event_row(session, user.principal, event_id)
    settings = runtime_of(request).settings
    stored = planning.latest(session, settings, event_id)
    parts = planning.participants(session, event_id)
    plan = stored.plan if stored is not None else None
    changes: list[dict[str, Any]] = []
    if fresh is not None and fresh.plan.report.changes is not None:
        names = {p["uscc"]: p["name"] for p in parts}
        spec = fresh.plan.spec
        for c in fresh.plan.report.changes.to_dict(orient="records"):
            changes.append(
                {
                    "change": c["change"],
                    "leading": names.get(c["leading_uscc"], c["leading_uscc"]),
                    "supporting": names.get(c["supporting_uscc"], c["supporting_uscc"]),
                    "old": _when(spec, c["old_slot"], c["old_table"]),
                    "new": _when(spec, c["new_slot"], c["new_table"]),
                }
            )
    active = [p for p in parts if plan is None or p["uscc"] not in plan.cancelled]
    names = lookups.city_names(reference, user.lang)
    report = fresh.plan.report if fresh is not None else (plan.report if plan else None)
    warnings = (
        organiser_warnings(
            report,
            n_tables=plan.spec.n_tables,
            host_city_code=str(row["city_code"]),
            host_city_name=names.get(str(row["city_code"]), ""),
        )
        if report is not None and plan is not None
        else []
    )
    return render(
        request,
        "event.html",
        user=user,
        page="events",
        event=row,
        spec=plan.spec if plan is not None else None,
        city_names=names,
        participants=parts,
        cancelled=set(plan.cancelled) if plan is not None else set(),
        n_meetings=len(plan.meetings) if plan is not None else 0,
        version=stored.version if stored is not None else 0,
        model_version=stored.model_version if stored is not None else "",
        grid=grid_rows(plan.meetings, plan.spec) if plan is not None else [],
        agendas=agenda_rows(plan.meetings, pd.DataFrame(active)) if plan is not None else [],
        report=report,
        fresh=fresh is not None,
        warnings=warnings,
        changes=changes,
        notice=notice,
        undo=undo,
        participants_text=participants_text,
        start_time=start or (f"{plan.spec.start:%H:%M}" if plan is not None else "09:00"),
        error=error,
        row_errors=row_errors or [],
        status_code=status_code,
    )


@router.get("")
def list_events(
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    q: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """Events (newest first) and the form for a new one."""
    return _list_page(request, session, reference, user, q=q)


def _list_page(
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: PageUser,
    *,
    q: str = "",
    error: str = "",
    row_errors: list[dict[str, object]] | None = None,
    form: dict[str, object] | None = None,
) -> HTMLResponse:
    items, total = records.list_records(
        session, kind="events", principal=user.principal, offset=0, limit=500, search=q or None
    )
    items.sort(key=lambda r: (str(r["date"]), r["event_id"]), reverse=True)
    cities = reference.cities[reference.cities["role"].isin(["wanbei", "helping"])]
    names = lookups.city_names(reference, user.lang)
    return render(
        request,
        "events.html",
        user=user,
        page="events",
        events=items[:100],
        total=total,
        q=q,
        city_names=names,
        host_cities=[(str(c), names.get(str(c), str(c))) for c in cities["city_code"]],
        today=dt.date.today().isoformat(),
        error=error,
        row_errors=row_errors or [],
        form=form or {},
        status_code=422 if error else 200,
    )


def _participant_rows(upload: UploadFile | None, text: str) -> tuple[list[dict[str, str]], str]:
    if upload is not None and upload.filename:
        name = Path(upload.filename).name
        suffix = (
            Path(name).suffix.lower() if Path(name).suffix.lower() in (".csv", ".xlsx") else ".csv"
        )
        with saved_upload(upload, suffix=suffix) as path:
            try:
                return planning.rows_from_file(path), name
            except ImportValidationError as exc:
                exc.source = name
                exc.message = exc.message.replace(str(path), name)
                raise
    return planning.rows_from_text(text), "participants"


@router.post("", response_model=None)
def create_event(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    csrf: Csrf,
    event_id: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=256)],
    date: Annotated[str, Form(max_length=10)],
    city: Annotated[str, Form(max_length=6)],
    venue: Annotated[str, Form(max_length=256)] = "",
    n_slots: Annotated[int, Form(ge=1, le=48)] = 8,
    slot_minutes: Annotated[int, Form(ge=5, le=240)] = 20,
    n_tables: Annotated[int, Form(ge=1, le=200)] = 5,
    start_time: StartTime = "09:00",
    participants_file: Annotated[UploadFile | None, File()] = None,
    participants_text: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Create an event and register its participants (file or list); all checked first."""
    check_csrf(user, csrf)
    eid = event_id.strip()
    data: dict[str, object] = {
        "event_id": eid,
        "name": name.strip(),
        "date": date,
        "city_code": city,
        "venue": venue,
        "n_slots": n_slots,
        "slot_minutes": slot_minutes,
        "n_tables": n_tables,
        "theme_chains": [],
    }

    def create() -> None:
        rows, source = _participant_rows(participants_file, participants_text)
        planning.create_event(
            session, principal=user.principal, data=data, rows=rows, reference=reference,
            source=source,
        )  # fmt: skip

    failed = attempt(session, create)
    if isinstance(failed, Failure):
        kept = {**data, "participants_text": participants_text, "start_time": start_time}
        return _list_page(
            request, session, reference, user, error=failed.message,
            row_errors=failed.row_errors, form=kept,
        )  # fmt: skip
    return RedirectResponse(f"/events/{eid}?start={start_time}", status_code=303)


@router.get("/{event_id}")
def event_page(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    event_id: EventId,
    start: Annotated[str, Query(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "",
) -> HTMLResponse:
    """One event: participants, the latest plan's grid and agendas."""
    return _detail(request, session, reference, user, event_id, start=start)


@router.post("/{event_id}/participants")
def add_participants(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    event_id: EventId,
    csrf: Csrf,
    participants_file: Annotated[UploadFile | None, File()] = None,
    participants_text: Annotated[str, Form(max_length=200_000)] = "",
) -> HTMLResponse:
    """Register more participants (file or list), validated like participants.csv."""
    check_csrf(user, csrf)

    def add() -> int:
        _check_write(session, user, event_id)
        rows, source = _participant_rows(participants_file, participants_text)
        return planning.add_participants(
            session, event_id=event_id, rows=rows, reference=reference, source=source
        )

    n = attempt(session, add)
    if isinstance(n, Failure):
        return _detail(
            request, session, reference, user, event_id, error=n.message,
            row_errors=n.row_errors, participants_text=participants_text, status_code=422,
        )  # fmt: skip
    return _detail(request, session, reference, user, event_id, notice=f"已登记 {n} 家参会企业。")


@router.post("/{event_id}/plan")
def run_planner(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    event_id: EventId,
    csrf: Csrf,
    start_time: StartTime = "09:00",
) -> HTMLResponse:
    """Plan the event from scratch (a new plan version), the first slot at ``start_time``."""
    check_csrf(user, csrf)
    stored = _replan(
        request, session, reference, user, event_id,
        work=lambda: planning.run_plan(request, session, event_id, start=start_time),
    )  # fmt: skip
    if isinstance(stored, HTMLResponse):
        return stored
    return _detail(request, session, reference, user, event_id, fresh=stored)


@router.post("/{event_id}/cancel")
def cancel_participant(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    event_id: EventId,
    csrf: Csrf,
    uscc: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """A participant cancelled: keep every other meeting, fill the gaps, show the changes."""
    check_csrf(user, csrf)
    stored = _replan(
        request, session, reference, user, event_id,
        work=lambda: planning.cancel(session, runtime_of(request).settings, event_id, uscc),
    )  # fmt: skip
    if isinstance(stored, HTMLResponse):
        return stored
    name = _name_of(stored, uscc)
    return _detail(
        request,
        session,
        reference,
        user,
        event_id,
        fresh=stored,
        undo={"uscc": uscc, "name": name},
    )


@router.post("/{event_id}/restore")
def restore_participant(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    event_id: EventId,
    csrf: Csrf,
    uscc: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """Undo a cancellation: the firm takes part again and the event is planned again."""
    check_csrf(user, csrf)
    stored = _replan(
        request, session, reference, user, event_id,
        work=lambda: planning.undo_cancel(request, session, event_id, uscc),
    )  # fmt: skip
    if isinstance(stored, HTMLResponse):
        return stored
    notice = f"已撤销取消：{_name_of(stored, uscc)} 重新参会，已重新排程。"
    return _detail(request, session, reference, user, event_id, fresh=stored, notice=notice)


def _check_write(session: Session, user: PageUser, event_id: str) -> None:
    """The user may change this event (its city's office, an organiser, an admin)."""
    planning.check_write(user.principal, planning.event_row(session, user.principal, event_id))


def _replan(
    request: Request,
    session: Session,
    reference: Reference,
    user: PageUser,
    event_id: str,
    *,
    work: Callable[[], StoredPlan],
) -> StoredPlan | HTMLResponse:
    """A new plan version by ``work`` once the user may change the event; a domain error
    gives the event's page with the error instead."""

    def checked() -> StoredPlan:
        _check_write(session, user, event_id)
        return work()

    stored = attempt(session, checked)
    if isinstance(stored, Failure):
        return _detail(
            request, session, reference, user, event_id, error=stored.message, status_code=422
        )
    return stored


def _name_of(stored: StoredPlan, uscc: str) -> str:
    """A participant's name in a plan (the code itself if absent)."""
    parts = stored.plan.participants
    if "name" not in parts.columns:
        return uscc
    hit = parts.loc[parts["uscc"] == uscc, "name"]
    return str(hit.iloc[0]) if len(hit) else uscc


@router.get("/{event_id}/plan.xlsx", response_class=Response)
def export_plan(request: Request, session: SessionDep, user: User, event_id: EventId) -> Response:
    """The latest plan as the planner's Excel workbook (grid, agendas, summary)."""
    planning.event_row(session, user.principal, event_id)
    stored = planning.latest(session, runtime_of(request).settings, event_id)
    if stored is None:
        from api.pages.errorpage import error_page

        return error_page(request, 404, message="这场对接会还没有排程，请先运行排程再导出。")
    with tempfile.TemporaryDirectory(prefix="chainmatch-page-") as tmp:
        data = write_excel(stored.plan, Path(tmp) / "plan.xlsx").read_bytes()
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{event_id}_v{stored.version}.xlsx"'
        },
    )
