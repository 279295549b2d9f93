"""The projects facade: what the API, the pages and the CLI call for ledgers and dashboards.

Every function takes the caller's :class:`~recommender.security.Principal`: a promotion
office sees (and writes) the projects of its own city only; when its city is a 沪苏浙 partner,
it sees the pairing(s) it is the partner of. A coordinator, an analyst and an admin see all
eight pairings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from features.schema import PROJECT, PROJECT_STAGES, conform
from recommender.db.models import Project, ProjectTarget, utcnow
from recommender.errors import (
    ForbiddenError,
    ImportValidationError,
    NotFoundError,
    RowError,
    ValidationError,
)
from recommender.projects import ledger
from recommender.projects.dashboard import DashboardCache, Scope, dashboard, wanbei_pairings
from recommender.records.service import json_value
from recommender.security import Principal

__all__ = [
    "dashboard_for",
    "get_project",
    "import_ledger",
    "list_projects",
    "scope_of",
    "set_targets",
    "update_stage",
]

Row = dict[str, Any]
_TARGET_FIELDS = ("signed_projects", "agreed_investment_yi", "srdi_cultivated")


def scope_of(principal: Principal, cities: pd.DataFrame) -> Scope:
    """The Wanbei cities ``principal`` may see on the dashboard."""
    if not principal.scoped:
        return Scope(None)
    own = str(principal.city_code)
    pairs = wanbei_pairings(cities)
    return Scope(frozenset(w for w, p in pairs if own in (w, p)))


def _visible_cities(principal: Principal, cities: pd.DataFrame) -> frozenset[str] | None:
    if not principal.scoped:
        return None
    return frozenset({str(principal.city_code)}) | (scope_of(principal, cities).cities or set())


def check_year(year: int | None, *, today: dt.date | None = None) -> int:
    """The dashboard year: ``year`` if it is sensible, this year when None."""
    this = (today or dt.date.today()).year
    if year is None:
        return this
    if year < 2000 or year > this + 1:
        raise ValidationError(f"year must be from 2000 to {this + 1}, got {year}")
    return year


def dashboard_for(
    session: Session,
    *,
    principal: Principal,
    cities: pd.DataFrame,
    year: int | None = None,
    cache: DashboardCache | None = None,
    stamp: int = 0,
    city_code: str | None = None,
) -> dict[str, Any]:
    """The dashboard of ``year`` (default this year) for the pairings the caller may see,
    or for the pairing of one Wanbei city (``city_code``; 403 outside the caller's scope)."""
    scope = scope_of(principal, cities)
    if city_code is not None:
        wanbei = [w for w, _ in wanbei_pairings(cities)]
        if city_code not in wanbei:
            raise ValidationError(f"city must be a Wanbei city adcode {wanbei}, got {city_code!r}")
        if not scope.allows(city_code):
            raise ForbiddenError(
                f"this key is limited to city {principal.city_code}; got a request for {city_code}"
            )
        scope = Scope(frozenset({city_code}))
    return dashboard(
        session, cities=cities, year=check_year(year), scope=scope, cache=cache, stamp=stamp
    )


def latest_year(session: Session, *, principal: Principal, cities: pd.DataFrame) -> int | None:
    """The latest year with a signed project among the pairings the caller may see."""
    from recommender.projects.dashboard import latest_signed_year

    scope = scope_of(principal, cities)
    wanted = [w for w, _ in wanbei_pairings(cities) if scope.allows(w)]
    return latest_signed_year(session, wanted)


# ----------------------------------------------------------------------------- ledger rows
def _row(project: Project) -> Row:
    return {name: json_value(getattr(project, name)) for name in PROJECT.names}


def list_projects(
    session: Session,
    *,
    principal: Principal,
    cities: pd.DataFrame,
    offset: int = 0,
    limit: int = 50,
    city_code: str | None = None,
    stage: str | None = None,
    search: str | None = None,
) -> tuple[list[Row], int]:
    """One page of projects, newest stage first; a scoped key sees its own city's only."""
    if stage is not None and stage not in PROJECT_STAGES:
        raise ValidationError(f"stage must be one of {list(PROJECT_STAGES)}, got {stage!r}")
    visible = _visible_cities(principal, cities)
    if city_code is not None and visible is not None and city_code not in visible:
        raise ForbiddenError(
            f"this key is limited to city {principal.city_code}; got a request for {city_code}"
        )
    conds: list[Any] = []
    if visible is not None:
        conds.append(or_(Project.city_code.in_(visible), Project.source_city_code.in_(visible)))
    if city_code is not None:
        conds.append(Project.city_code == city_code)
    if stage is not None:
        conds.append(Project.stage == stage)
    if search:
        term = search.strip()
        conds.append(
            or_(
                Project.project_id.icontains(term, autoescape=True),
                Project.name.icontains(term, autoescape=True),
                Project.investor_name.icontains(term, autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(Project).where(*conds)) or 0
    rows = session.scalars(
        select(Project)
        .where(*conds)
        .order_by(Project.stage_date.desc(), Project.project_id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [_row(p) for p in rows], int(total)


def _check_project_city(principal: Principal, row: Mapping[str, Any], cities: pd.DataFrame) -> None:
    visible = _visible_cities(principal, cities)
    if visible is None:
        return
    if row.get("city_code") not in visible and row.get("source_city_code") not in visible:
        raise ForbiddenError(
            f"project {row.get('project_id')} belongs to city {row.get('city_code') or '(none)'}; "
            f"this key is limited to city {principal.city_code}"
        )


def get_project(
    session: Session, *, principal: Principal, cities: pd.DataFrame, project_id: str
) -> Row:
    """One project with its dated stage history; 404 if absent, 403 outside the key's city."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError(f"no project with project_id {project_id!r}")
    row = _row(project)
    _check_project_city(principal, row, cities)
    row["history"] = [
        {"stage": s, "date": d} for s, d in ledger.stage_history(session, project_id=project_id)
    ]
    return row


def update_stage(
    session: Session,
    *,
    principal: Principal,
    cities: pd.DataFrame,
    project_id: str,
    stage: str,
    date: dt.date,
    agreed_investment_yi: float | None = None,
) -> Row:
    """Move a project to ``stage`` on ``date`` (history, outcomes and members follow); commits."""
    if stage not in PROJECT_STAGES:
        raise ValidationError(f"stage must be one of {list(PROJECT_STAGES)}, got {stage!r}")
    current = get_project(session, principal=principal, cities=cities, project_id=project_id)
    if principal.scoped and current["city_code"] != principal.city_code:
        raise ForbiddenError(f"only the office of city {current['city_code']} updates this project")
    if current["stage_date"] is not None and date < current["stage_date"]:
        raise ValidationError(
            f"date must not be before the current stage's date {current['stage_date']}, got {date}"
        )
    values = {k: v for k, v in current.items() if k != "history"}
    values["signed_date"] = None  # kept from storage (or derived), never a new step
    values.update(stage=stage, stage_date=date)
    if agreed_investment_yi is not None:
        if agreed_investment_yi < 0:
            raise ValidationError(f"agreed_investment_yi must be >= 0, got {agreed_investment_yi}")
        values["agreed_investment_yi"] = agreed_investment_yi
    frame = conform(pd.DataFrame([values]), PROJECT)
    try:
        ledger.store_projects(session, frame)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return get_project(session, principal=principal, cities=cities, project_id=project_id)


def import_ledger(
    session: Session,
    *,
    principal: Principal,
    path: Path,
    source: str,
    reference: Any,
    dry_run: bool = False,
) -> Row:
    """Import a ledger file (projects) like ``chainmatch import projects``; all or nothing.

    A promotion office may import only projects of its own city: a row of another city is
    reported like any other bad row and nothing is written.
    """
    from recommender.db import locks
    from recommender.ingest.importing import import_file

    if principal.scoped:
        _check_file_cities(
            session, principal=principal, path=path, source=source, reference=reference
        )
    lock = contextlib.nullcontext() if dry_run else locks.exclusive(session, what=source)
    try:
        with lock:  # one import at a time per database (a second one: 409)
            report = import_file(
                session, kind="projects", path=path, reference=reference, dry_run=dry_run
            )
    except ImportValidationError as exc:
        exc.message = exc.message.replace(str(path), source)
        exc.source = source
        raise
    return {
        "kind": "projects",
        "source": source,
        "dry_run": report.dry_run,
        "rows": report.rows,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
    }


def _check_file_cities(
    session: Session, *, principal: Principal, path: Path, source: str, reference: Any
) -> None:
    """Refuse (as row errors) the rows of a file that belong to another city than the key's."""
    from recommender.ingest import CityResolver, read_table

    table = read_table(path, kind="projects")
    table, _ = ledger.prepare_table(session, table)
    resolver = CityResolver(reference.cities)
    frame = table.frame
    city = (
        resolver.resolve(frame["city"])
        if "city" in frame.columns
        else pd.Series("", index=frame.index)
    )
    parks = frame["park_id"] if "park_id" in frame.columns else pd.Series("", index=frame.index)
    park_city = parks.map(ledger.park_cities(session, set(parks))).fillna("")
    effective = city.where(city.ne(""), park_city)
    wrong = effective.ne("") & effective.ne(str(principal.city_code))
    errors = [
        RowError(
            int(table.lines[i]),
            "city",
            f"a project of city {principal.city_code} (this key's city)",
            str(effective.iat[i]),
        )
        for i in range(len(frame))
        if bool(wrong.iat[i])
    ]
    if errors:
        message = f"{source}: {len(errors)} row(s) of another city; nothing imported"
        raise ImportValidationError("projects", source, errors, message)


# ----------------------------------------------------------------------------- targets
def set_targets(
    session: Session,
    *,
    principal: Principal,
    cities: pd.DataFrame,
    city_code: str,
    year: int,
    park_id: str = "",
    values: Mapping[str, float | int | None],
) -> Row:
    """Enter (or replace) a city's or park's yearly targets; commits."""
    wanbei = {w for w, _ in wanbei_pairings(cities)}
    if city_code not in wanbei:
        raise ValidationError(
            f"city_code must be a Wanbei city adcode {sorted(wanbei)}, got {city_code!r}"
        )
    if principal.scoped and city_code != principal.city_code:
        raise ForbiddenError(
            f"this key is limited to city {principal.city_code}; got targets for {city_code}"
        )
    year = check_year(year)
    for name, value in values.items():
        if name not in _TARGET_FIELDS:
            raise ValidationError(f"target must be one of {list(_TARGET_FIELDS)}, got {name!r}")
        if value is not None and value < 0:
            raise ValidationError(f"{name} must be >= 0, got {value}")
    row = session.get(ProjectTarget, (city_code, park_id, year))
    if row is None:
        row = ProjectTarget(city_code=city_code, park_id=park_id, year=year)
        session.add(row)
    row.signed_projects = _int_or_none(values.get("signed_projects"))
    row.agreed_investment_yi = _float_or_none(values.get("agreed_investment_yi"))
    row.srdi_cultivated = _int_or_none(values.get("srdi_cultivated"))
    row.updated_at = utcnow()
    session.commit()
    return {
        "city_code": city_code,
        "park_id": park_id,
        "year": year,
        **{name: getattr(row, name) for name in _TARGET_FIELDS},
    }


def _int_or_none(value: float | int | None) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: float | int | None) -> float | None:
    return None if value is None else float(value)


# ----------------------------------------------------------------------------- 以商招商
def visible_parks(session: Session, *, principal: Principal) -> list[tuple[str, str, int]]:
    """(park id, name, firms on its list) of the parks the caller may target for."""
    from recommender.db.models import Park, ParkMember

    n = func.count(ParkMember.uscc)
    stmt = (
        select(Park.park_id, Park.name, n)
        .outerjoin(ParkMember, ParkMember.park_id == Park.park_id)
        .group_by(Park.park_id, Park.name)
        .order_by(n.desc(), Park.park_id)
    )
    if principal.scoped:
        stmt = stmt.where(Park.city_code == principal.city_code)
    return [(str(p), str(nm), int(c)) for p, nm, c in session.execute(stmt)]


def chain_targets_for(
    session: Session,
    *,
    principal: Principal,
    ranker: Callable[[], Any],
    park_id: str,
    anchor: str | None = None,
    k: int = 20,
    as_of: dt.date | None = None,
) -> Any:
    """The chain-based list of a park (:func:`recommender.projects.targeting.chain_targets`).

    ``ranker`` gives the ranking service (asked only once the park and its anchors are
    known); a promotion office asks only for its own city's parks.
    """
    from recommender.db.models import Enterprise, Park
    from recommender.projects.targeting import chain_targets

    park = session.get(Park, park_id)
    if park is None:
        raise NotFoundError(f"park {park_id!r} does not exist")
    principal.check_city("parks", [park.city_code], what=f"park {park_id}")
    members = ledger.park_members(session, park_id=park_id)
    wanted = sorted({*members, *([anchor] if anchor else [])})
    leading: dict[str, bool] = {}
    names: dict[str, str] = {}
    for i in range(0, len(wanted), 900):
        part = wanted[i : i + 900]
        stmt = select(Enterprise.uscc, Enterprise.is_leading, Enterprise.name).where(
            Enterprise.uscc.in_(part)
        )
        for uscc, is_leading, name in session.execute(stmt):
            leading[str(uscc)] = bool(is_leading)
            names[str(uscc)] = str(name)
    if anchor is not None and anchor not in leading:
        raise NotFoundError(f"enterprise {anchor!r} does not exist")
    if anchor is None and not any(m in leading for m in members):
        raise ValidationError(
            f"park {park_id} has no known firms yet (园区企业名单 or landed projects); "
            "name an anchor firm"
        )
    when = pd.Timestamp(as_of) if as_of is not None else None
    return chain_targets(
        ranker(), park_id=park_id, members=members, leading=leading, names=names,
        anchor=anchor, k=k, as_of=when,
    )  # fmt: skip
