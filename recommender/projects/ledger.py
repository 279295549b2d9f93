"""The project ledger: storing projects, their stage history, and what a project implies.

A project row carries its current stage and the date it was reached; every stored row also
appends ``(project_id, stage, date)`` to ``project_stages`` (idempotent), so re-importing an
updated ledger builds the dated history. ``signed_date`` is the first date at 签约 or a later
stage: taken from the file when it has one (签约日期), else kept from storage, else the stage
date of a row at a signed stage.

A project that reaches 签约 or 投产 is an outcome of its (park, investor) pair: when the
investor is a known firm and the park is known, an ``investor`` outcome ``signed`` (dated
``signed_date``, amount the agreed investment in 万元) and ``landed`` (dated its 投产 date) are
recorded, insert-if-absent like every outcome. A landed (投产) project also makes its investor a
member of the park (source ``project``), unless the park's firm list named it already.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from features.schema import (
    OUTCOME,
    PARK_MEMBER,
    PROJECT,
    PROJECT_OUTCOME_STAGE,
    PROJECT_SIGNED_STAGES,
    conform,
)
from recommender.db import repo
from recommender.db.models import Enterprise, Outcome, Park, ParkMember, Project, ProjectStage
from recommender.errors import RowError
from recommender.ingest.aliases import header_key
from recommender.ingest.reading import RawTable
from recommender.ingest.validate import Validated

__all__ = [
    "LEDGER_KINDS",
    "prepare_table",
    "store",
    "store_members",
    "store_projects",
]

log = logging.getLogger(__name__)

LEDGER_KINDS = frozenset({"projects", "park_members"})
_CHUNK = 900  # ids per IN (...) lookup
_WAN_PER_YI = 10_000.0


# ----------------------------------------------------------------------------- import hooks
def _park_lookup(session: Session) -> dict[str, str]:
    """Normalised park id or name -> park id."""
    rows = session.execute(select(Park.park_id, Park.name)).all()
    lookup: dict[str, str] = {}
    for park_id, _name in rows:
        lookup.setdefault(header_key(str(park_id)), str(park_id))
    for park_id, name in rows:
        lookup.setdefault(header_key(str(name)), str(park_id))
    return lookup


def prepare_table(session: Session, table: RawTable) -> tuple[RawTable, list[RowError]]:
    """Resolve 所属园区 given by name to the park id, and check what the validator cannot.

    Unknown parks are left as written: the validator reports them as unknown keys. A project
    row needs a city (所在城市) or a park (所属园区) to belong to an office.
    """
    frame = table.frame
    if "park_id" in frame.columns:
        lookup = _park_lookup(session)
        keys = frame["park_id"].map(header_key)
        resolved = keys.map(lookup)
        frame = frame.assign(park_id=resolved.where(resolved.notna(), frame["park_id"]))
    errors: list[RowError] = []
    if table.kind == "projects":
        city = frame["city"] if "city" in frame.columns else pd.Series("", index=frame.index)
        park = frame["park_id"] if "park_id" in frame.columns else pd.Series("", index=frame.index)
        neither = np.asarray(city.eq("") & park.eq(""), dtype=bool)
        errors = [
            RowError(int(table.lines[i]), "city", "a city (所在城市) or a park (所属园区)", "")
            for i in np.flatnonzero(neither).tolist()
        ]
    return replace(table, frame=frame), errors


def with_errors(validated: Validated, errors: list[RowError]) -> Validated:
    """``validated`` with ``errors`` added (in line order); a row with one is left out."""
    if not errors:
        return validated
    merged = sorted([*validated.errors, *errors], key=lambda e: e.line)
    return replace(validated, errors=merged)


def store(session: Session, validated: Validated) -> repo.UpsertCounts:
    """Store the validated rows of a ledger kind (the ingest calls this instead of upsert)."""
    if validated.kind == "projects":
        return store_projects(session, validated.frame)
    return store_members(session, validated.frame)


# ----------------------------------------------------------------------------- projects
def _chunks(values: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def _stored_signed(session: Session, ids: list[str]) -> dict[str, pd.Timestamp]:
    out: dict[str, pd.Timestamp] = {}
    for part in _chunks(ids):
        stmt = select(Project.project_id, Project.signed_date).where(
            Project.project_id.in_(part), Project.signed_date.is_not(None)
        )
        out.update({str(p): pd.Timestamp(d) for p, d in session.execute(stmt) if d is not None})
    return out


def park_cities(session: Session, park_ids: Collection[str]) -> dict[str, str]:
    wanted = sorted({p for p in park_ids if p})
    out: dict[str, str] = {}
    for part in _chunks(wanted):
        stmt = select(Park.park_id, Park.city_code).where(Park.park_id.in_(part))
        out.update({str(p): str(c) for p, c in session.execute(stmt)})
    return out


def _known_firms(session: Session, usccs: Collection[str]) -> set[str]:
    wanted = sorted({u for u in usccs if u})
    out: set[str] = set()
    for part in _chunks(wanted):
        out.update(
            str(u)
            for u in session.scalars(select(Enterprise.uscc).where(Enterprise.uscc.in_(part)))
        )
    return out


def complete_projects(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """Fill ``city_code`` from the park and derive ``signed_date`` (see the module docstring)."""
    out = conform(frame, PROJECT)
    if out.empty:
        return out
    cities = park_cities(session, set(out["park_id"]))
    from_park = out["park_id"].map(cities).fillna("")
    out["city_code"] = out["city_code"].where(out["city_code"].ne(""), from_park)
    stored = _stored_signed(session, list(out["project_id"]))
    kept = pd.to_datetime(out["project_id"].map(stored)).astype("datetime64[ns]")
    at_signed = out["stage"].isin(list(PROJECT_SIGNED_STAGES))
    derived = out["stage_date"].where(at_signed)
    signed = out["signed_date"].fillna(kept).fillna(derived)
    # a date later than the current stage's date cannot be the first signed date
    out["signed_date"] = signed.where(~(signed > out["stage_date"]) | ~at_signed, out["stage_date"])
    return out


def _history_rows(frame: pd.DataFrame, explicit: pd.Series) -> pd.DataFrame:
    rows = frame[["project_id", "stage", "stage_date"]].rename(columns={"stage_date": "date"})
    # a 签约日期 the file gives is a step of its own; a derived or kept one adds none
    signed = frame[explicit.to_numpy() & frame["signed_date"].ne(frame["stage_date"]).to_numpy()]
    signed = signed[signed["stage"].isin(list(PROJECT_SIGNED_STAGES))]
    extra = pd.DataFrame(
        {"project_id": signed["project_id"], "stage": "签约", "date": signed["signed_date"]}
    )
    both = pd.concat([rows, extra], ignore_index=True)
    return both.drop_duplicates(["project_id", "stage", "date"]).reset_index(drop=True)


def _append_history(session: Session, frame: pd.DataFrame, explicit: pd.Series) -> int:
    rows = _history_rows(frame, explicit)
    if rows.empty:
        return 0
    have: set[tuple[str, str, Any]] = set()
    for part in _chunks(sorted(set(rows["project_id"]))):
        stmt = select(ProjectStage.project_id, ProjectStage.stage, ProjectStage.date).where(
            ProjectStage.project_id.in_(part)
        )
        have.update((str(p), str(s), d) for p, s, d in session.execute(stmt))
    dates = rows["date"].dt.date
    new = [
        {"project_id": p, "stage": s, "date": d}
        for p, s, d in zip(rows["project_id"], rows["stage"], dates, strict=True)
        if (p, s, d) not in have
    ]
    if new:
        session.execute(insert(ProjectStage), new)
    return len(new)


def project_outcomes(frame: pd.DataFrame, known_firms: Collection[str]) -> pd.DataFrame:
    """The ``investor`` outcome rows (OUTCOME schema) implied by completed project rows.

    Parameters
    ----------
    frame : projects, conformed and completed (:func:`complete_projects`).
    known_firms : USCCs of stored firms; projects of unknown investors imply no outcome.
    """
    linked = frame[
        frame["park_id"].ne("") & frame["investor_uscc"].isin(list(known_firms))
    ].reset_index(drop=True)
    amount = linked["agreed_investment_yi"] * _WAN_PER_YI
    parts: list[pd.DataFrame] = []
    signed = linked["signed_date"].notna()
    parts.append(
        pd.DataFrame(
            {
                "query_kind": "investor",
                "query_id": linked["park_id"][signed],
                "candidate_id": linked["investor_uscc"][signed],
                "stage": PROJECT_OUTCOME_STAGE["签约"],
                "date": linked["signed_date"][signed],
                "amount_wan": amount[signed],
            }
        )
    )
    landed = linked["stage"].eq("投产")
    parts.append(
        pd.DataFrame(
            {
                "query_kind": "investor",
                "query_id": linked["park_id"][landed],
                "candidate_id": linked["investor_uscc"][landed],
                "stage": PROJECT_OUTCOME_STAGE["投产"],
                "date": linked["stage_date"][landed],
                "amount_wan": amount[landed],
            }
        )
    )
    out = pd.concat(parts, ignore_index=True)
    out = out.drop_duplicates(list(OUTCOME.key)).reset_index(drop=True)
    return conform(out, OUTCOME)


def _insert_new_outcomes(session: Session, outcomes: pd.DataFrame) -> int:
    """Insert the outcome rows not stored yet (insert-if-absent, like every outcome).

    Looked up per park through the unique key's index (parks are few) rather than row by
    row on the five-column key, which at a million outcomes was the slow part of an import.
    """
    if outcomes.empty:
        return 0
    have: set[tuple[str, str, str, Any]] = set()
    for part in _chunks(sorted(set(outcomes["query_id"]))):
        # (query_kind, query_id, candidate_id, stage, date) is the unique key's index: an
        # index-only range scan per park
        stmt = select(Outcome.query_id, Outcome.candidate_id, Outcome.stage, Outcome.date).where(
            Outcome.query_kind == "investor",
            Outcome.query_id.in_(part),
            Outcome.stage.in_(list(PROJECT_OUTCOME_STAGE.values())),
        )
        have.update((str(q), str(c), str(st), d) for q, c, st, d in session.execute(stmt))
    dates = outcomes["date"].dt.date
    keys = zip(
        outcomes["query_id"], outcomes["candidate_id"], outcomes["stage"], dates, strict=True
    )
    new = outcomes[[k not in have for k in keys]]
    if new.empty:
        return 0
    rows = [
        {"query_kind": "investor", "query_id": q, "candidate_id": c, "stage": st, "date": d,
         "event_id": "", "amount_wan": None if pd.isna(a) else float(a)}
        for q, c, st, d, a in zip(new["query_id"], new["candidate_id"], new["stage"],
                                  new["date"].dt.date, new["amount_wan"], strict=True)
    ]  # fmt: skip
    session.execute(insert(Outcome), rows)
    return len(rows)


def _members_from_projects(frame: pd.DataFrame, known_firms: Collection[str]) -> pd.DataFrame:
    landed = frame[
        frame["stage"].eq("投产")
        & frame["park_id"].ne("")
        & frame["investor_uscc"].isin(list(known_firms))
    ]
    members = pd.DataFrame(
        {
            "park_id": landed["park_id"],
            "uscc": landed["investor_uscc"],
            "since": landed["stage_date"],
            "source": "project",
        }
    ).drop_duplicates(["park_id", "uscc"])
    return conform(members.reset_index(drop=True), PARK_MEMBER)


def _insert_new_members(session: Session, members: pd.DataFrame) -> int:
    if members.empty:
        return 0
    pairs = list(zip(members["park_id"], members["uscc"], strict=True))
    have: set[tuple[str, str]] = set()
    for i in range(0, len(pairs), _CHUNK):
        part = pairs[i : i + _CHUNK]
        stmt = select(ParkMember.park_id, ParkMember.uscc).where(
            tuple_(ParkMember.park_id, ParkMember.uscc).in_(part)
        )
        have.update((str(p), str(u)) for p, u in session.execute(stmt))
    new = members[[(p, u) not in have for p, u in pairs]]
    if new.empty:
        return 0
    return repo.upsert_frame(session, kind="park_members", frame=new).inserted


def store_projects(session: Session, frame: pd.DataFrame) -> repo.UpsertCounts:
    """Upsert projects, append their stage history, record the outcomes and members they imply.

    Flushes; the caller commits. Returns the counts of the project rows themselves.
    """
    explicit = conform(frame, PROJECT)["signed_date"].notna()
    done = complete_projects(session, frame)
    if done.empty:
        return repo.UpsertCounts(0, 0, 0)
    counts = repo.upsert_frame(session, kind="projects", frame=done)
    n_history = _append_history(session, done, explicit)
    known = _known_firms(session, set(done["investor_uscc"]))
    n_outcomes = _insert_new_outcomes(session, project_outcomes(done, known))
    n_members = _insert_new_members(session, _members_from_projects(done, known))
    log.info(
        "projects: %d rows (+%d ~%d), %d stage steps, %d outcomes, %d park members added",
        len(done), counts.inserted, counts.updated, n_history, n_outcomes, n_members,
    )  # fmt: skip
    return counts


# ----------------------------------------------------------------------------- park members
def store_members(session: Session, frame: pd.DataFrame) -> repo.UpsertCounts:
    """Upsert a park's firm list (园区企业名单); the source defaults to ``list``."""
    members = conform(frame, PARK_MEMBER)
    members["source"] = members["source"].where(members["source"].ne(""), "list")
    return repo.upsert_frame(session, kind="park_members", frame=members)


def park_members(session: Session, *, park_id: str) -> list[str]:
    """USCCs of the firms in ``park_id``: its firm list and its landed projects."""
    listed = session.scalars(select(ParkMember.uscc).where(ParkMember.park_id == park_id))
    landed = session.scalars(
        select(Project.investor_uscc).where(
            Project.park_id == park_id, Project.stage == "投产", Project.investor_uscc != ""
        )
    )
    return sorted({str(u) for u in listed} | {str(u) for u in landed})


def stage_history(session: Session, *, project_id: str) -> list[tuple[str, Any]]:
    """(stage, date) steps of one project, oldest first."""
    stmt = (
        select(ProjectStage.stage, ProjectStage.date)
        .where(ProjectStage.project_id == project_id)
        .order_by(ProjectStage.date, ProjectStage.id)
    )
    return [(str(s), d) for s, d in session.execute(stmt)]


def members_of(session: Session, park_ids: Iterable[str]) -> Mapping[str, list[str]]:
    """Members of several parks (see :func:`park_members`)."""
    return {p: park_members(session, park_id=p) for p in park_ids}
