"""``/v1/events``: matchmaking events, scoped by host city."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import Path
from fastapi.responses import HTMLResponse, Response

from api.crud import crud_router
from api.deps import PathId, RankingHolderDep, SessionDep, SettingsDep
from api.deps import require_access as access
from api.schemas.common import NOT_FOUND
from api.schemas.entities import EventCreate, EventOut, EventUpdate
from api.schemas.events import (
    AgendaItemOut,
    AgendaOut,
    ChangeOut,
    MeetingOut,
    PlanIn,
    PlanReportOut,
    QuotaOut,
    ScheduleOut,
    UnmetMinimumOut,
)
from features.schema import XLSX_MEDIA_TYPE as XLSX
from recommender.events import service as events_service
from recommender.planner import CityQuota, PlanSettings, agendas, render_html, write_excel
from recommender.records import service as records
from recommender.security import Principal

KIND = "events"
router = crud_router(
    KIND,
    id_name="event_id",
    singular="event",
    noun="event",
    article="an",
    list_doc="List events, paged, searchable by name and venue.",
    create_schema=EventCreate,
    update_schema=EventUpdate,
    out_schema=EventOut,
)
Reader = Annotated[Principal, access(KIND, "read")]
Writer = Annotated[Principal, access(KIND, "write")]


# ----------------------------------------------------------------------------- planning
PathUscc = Annotated[
    str, Path(pattern=r"^[0-9A-Za-z]{18}$", description="统一社会信用代码 of the firm")
]
UNAVAILABLE: dict[int | str, dict[str, object]] = {
    503: {"description": "没有可用的生产模型 (no production model)"}
}


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)  # NaN (greedy has no LP bound) -> null


def _schedule_out(stored: events_service.StoredPlan) -> ScheduleOut:
    plan, r = stored.plan, stored.plan.report
    ag = agendas(plan)
    return ScheduleOut(
        event_id=plan.spec.event_id,
        name=plan.spec.name,
        version=stored.version,
        model_version=stored.model_version,
        created_at=stored.created_at,
        start=f"{plan.spec.start:%Y-%m-%dT%H:%M}",
        n_slots=plan.spec.n_slots,
        n_tables=plan.spec.n_tables,
        slot_minutes=plan.spec.slot_minutes,
        cancelled=list(plan.cancelled),
        meetings=[
            MeetingOut.model_validate(m)
            for m in plan.meetings.drop(columns="must").to_dict("records")
        ],
        agendas=[
            AgendaOut(
                uscc=str(uscc),
                name=str(g["name"].iat[0]),
                role=g["role"].iat[0],
                meetings=[
                    AgendaItemOut.model_validate(m)
                    for m in g[["slot", "time", "table", "partner_uscc", "partner_name"]].to_dict(
                        "records"
                    )
                ],
            )
            for uscc, g in ag.groupby("uscc", sort=True)
        ],
        report=PlanReportOut(
            n_meetings=r.n_meetings,
            n_dropped=r.n_dropped,
            value=r.value,
            objective=r.objective,
            lp_bound=_num(r.lp_bound),
            gap=_num(r.gap),
            solver=r.solver,
            schedule_method=r.schedule_method,
            unmet_minimums=[UnmetMinimumOut(**vars(u)) for u in r.unmet_minimums],
            quotas=[QuotaOut(**vars(q), met=q.met) for q in r.quotas],
            notes=list(r.notes),
        ),
        changes=None
        if r.changes is None
        else [ChangeOut.model_validate(c) for c in r.changes.to_dict("records")],
    )


def _schedule(
    session: SessionDep, settings: SettingsDep, key: Principal, event_id: str
) -> events_service.StoredPlan:
    records.get_record(session, kind=KIND, key=event_id, principal=key)  # 404 / 403
    return events_service.load_schedule(
        session, event_id=event_id, plans=events_service.plans_dir(settings)
    )


@router.post("/{event_id}/plan", responses={**NOT_FOUND, **UNAVAILABLE})
def plan_event(
    *,
    session: SessionDep,
    ranking: RankingHolderDep,
    settings: SettingsDep,
    key: Writer,
    event_id: PathId,
    body: PlanIn | None = None,
) -> ScheduleOut:
    """Plan the event's 1:1 meetings with the production model; stored as a new version."""
    records.get_record(session, kind=KIND, key=event_id, principal=key)
    body = body or PlanIn()
    plan_settings = PlanSettings(
        exclude_met_before=body.exclude_met_before,
        met_before_weight=body.met_before_weight,
        quotas=tuple(CityQuota(**q.model_dump()) for q in body.quotas),
    )
    stored = events_service.plan_event_from_db(
        session,
        event_id=event_id,
        ranking=ranking.get(),
        plans=events_service.plans_dir(settings),
        settings=plan_settings,
        greedy=body.greedy,
    )
    return _schedule_out(stored)


@router.get("/{event_id}/schedule", responses=NOT_FOUND)
def get_schedule(
    session: SessionDep, settings: SettingsDep, key: Reader, event_id: PathId
) -> ScheduleOut:
    """The latest plan: meetings (slot, time, table, both firms), agendas and the report."""
    return _schedule_out(_schedule(session, settings, key, event_id))


@router.get(
    "/{event_id}/schedule.xlsx",
    responses={**NOT_FOUND, 200: {"content": {XLSX: {}}, "description": "Excel workbook"}},
    response_class=Response,
)
def get_schedule_xlsx(
    session: SessionDep, settings: SettingsDep, key: Reader, event_id: PathId
) -> Response:
    """The latest plan as a workbook: a summary, a sheet per slot and one per firm."""
    stored = _schedule(session, settings, key, event_id)
    with tempfile.TemporaryDirectory() as tmp:
        data = write_excel(stored.plan, FilePath(tmp) / "schedule.xlsx").read_bytes()
    name = f"schedule_{event_id}_v{stored.version}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/{event_id}/schedule.html",
    responses={**NOT_FOUND, 200: {"content": {"text/html": {}}, "description": "HTML page"}},
    response_class=Response,
)
def get_schedule_html(
    session: SessionDep, settings: SettingsDep, key: Reader, event_id: PathId
) -> HTMLResponse:
    """The latest plan as a printable page (grid and every firm's agenda)."""
    return HTMLResponse(render_html(_schedule(session, settings, key, event_id).plan))


@router.post("/{event_id}/cancel/{uscc}", responses=NOT_FOUND)
def cancel_participant(
    session: SessionDep, settings: SettingsDep, key: Writer, event_id: PathId, uscc: PathUscc
) -> ScheduleOut:
    """A firm cancelled: drop its meetings, keep the others in place, fill the gaps."""
    records.get_record(session, kind=KIND, key=event_id, principal=key)
    stored = events_service.cancel_participant(
        session, event_id=event_id, uscc=uscc.upper(), plans=events_service.plans_dir(settings)
    )
    return _schedule_out(stored)
