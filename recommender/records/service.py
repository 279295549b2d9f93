"""Entity records for the API: create, read, update, list and outcome batches, city-scoped.

Every write goes through the importer's validation (the same rules and the same row errors
as ``chainmatch import``) and is all-or-nothing; every read and write asks the caller's
:class:`~recommender.security.Principal` whether its city may see or touch the record.
Rows cross this module as plain dicts (JSON-ready values, multi-valued fields as lists).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
from sqlalchemy.orm import Session

from features.schema import split_multi
from recommender.db import repo, repo_api
from recommender.errors import ConflictError, ImportValidationError, NotFoundError
from recommender.security import Principal

if TYPE_CHECKING:
    from features.reference import Reference

ENTITY_KINDS: Final = ("enterprises", "parks", "needs", "events")
KEY_OF: Final[Mapping[str, str]] = {
    "enterprises": "uscc",
    "parks": "park_id",
    "needs": "need_id",
    "events": "event_id",
}
MULTI: Final = frozenset({"chain_nodes", "theme_chains"})
# stored column -> import-file column (the importer resolves names and adcodes alike)
_TO_FILE: Final[Mapping[str, str]] = {"city_code": "city", "partner_city_code": "partner_city"}
# which table holds the query entity of an outcome
_QUERY_TABLE: Final[Mapping[str, str]] = {
    "supplier": "enterprises",
    "customer": "enterprises",
    "investor": "parks",
}

Row = dict[str, Any]


# ----------------------------------------------------------------------------- conversions
def _file_value(value: object) -> str:
    """A JSON value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_file_row(row: Mapping[str, object]) -> dict[str, str]:
    """An API row as an import-file row (``city``, ``;``-joined lists, text cells)."""
    return {_TO_FILE.get(k, k): _file_value(v) for k, v in row.items()}


def json_value(value: object) -> object:
    """A stored value as JSON-ready: None for missing, dates for timestamps, Python scalars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def frame_rows(frame: pd.DataFrame) -> list[Row]:
    """A conformed entity frame as JSON-ready dicts; multi-valued fields become lists."""
    rows: list[Row] = []
    for rec in frame.to_dict(orient="records"):
        out: Row = {}
        for k, v in rec.items():
            val = json_value(v)
            out[str(k)] = split_multi(str(val or "")) if k in MULTI else val
        rows.append(out)
    return rows


# ----------------------------------------------------------------------------- city scoping
def record_cities(session: Session, *, kind: str, row: Mapping[str, Any]) -> list[str]:
    """The cities a stored or validated record belongs to (see recommender.security)."""
    if kind in ("enterprises", "parks", "events"):
        return [str(row["city_code"])]
    if kind == "needs":
        table = "enterprises" if row["owner_kind"] == "enterprise" else "parks"
        return list(repo_api.cities_of(session, kind=table, ids=[str(row["owner_id"])]).values())
    raise ValueError(f"kind must be one of {list(ENTITY_KINDS)}, got {kind!r}")


def _check_write(
    session: Session, principal: Principal, *, kind: str, row: Mapping[str, Any]
) -> None:
    what = f"{kind[:-1]} {row[KEY_OF[kind]]}"
    if kind == "enterprises":
        principal.check_enterprise_write(str(row["city_code"]), what=what)
    else:
        principal.check_city(kind, record_cities(session, kind=kind, row=row), what=what)


# ----------------------------------------------------------------------------- reads
def list_records(
    session: Session,
    *,
    kind: str,
    principal: Principal,
    offset: int,
    limit: int,
    search: str | None = None,
    city_code: str | None = None,
) -> tuple[list[Row], int]:
    """One page of ``kind`` (a scoped key sees its own city only) and the total count."""
    city = principal.list_city(kind, city_code)
    frame, total = repo_api.list_page(
        session, kind=kind, offset=offset, limit=limit, search=search, city_code=city
    )
    return frame_rows(frame), total


def get_record(session: Session, *, kind: str, key: str, principal: Principal) -> Row:
    """One record by its key; 404 if absent, 403 if outside a scoped key's city."""
    frame = repo_api.get_frame(session, kind=kind, key=key)
    if frame.empty:
        raise NotFoundError(f"no {kind[:-1]} with {KEY_OF[kind]} {key!r}")
    row = frame_rows(frame)[0]
    principal.check_city(
        kind, record_cities(session, kind=kind, row=row), what=f"{kind[:-1]} {key}"
    )
    return row


# ----------------------------------------------------------------------------- writes
def create_record(
    session: Session,
    *,
    kind: str,
    data: Mapping[str, object],
    principal: Principal,
    reference: Reference,
) -> Row:
    """Validate and insert one new record; 409 if its key exists already."""
    key = str(data[KEY_OF[kind]])
    if not repo_api.get_frame(session, kind=kind, key=key).empty:
        raise ConflictError(f"{kind[:-1]} {KEY_OF[kind]} {key!r} exists already; update it instead")
    frame = repo_api.validate_rows(
        session, kind=kind, rows=[to_file_row(data)], reference=reference, source=f"POST /v1/{kind}"
    )
    row = frame_rows(frame)[0]
    _check_write(session, principal, kind=kind, row=row)
    repo.upsert_frame(session, kind=kind, frame=frame)
    session.commit()
    return row


def update_record(
    session: Session,
    *,
    kind: str,
    key: str,
    changes: Mapping[str, object],
    principal: Principal,
    reference: Reference,
) -> Row:
    """Apply ``changes`` to a record, validate the whole of it, write it."""
    current = get_record(session, kind=kind, key=key, principal=principal)
    merged = {**current, **changes, KEY_OF[kind]: key}
    frame = repo_api.validate_rows(
        session,
        kind=kind,
        rows=[to_file_row(merged)],
        reference=reference,
        source=f"PATCH /v1/{kind}/{key}",
    )
    row = frame_rows(frame)[0]
    _check_write(session, principal, kind=kind, row=row)
    repo.upsert_frame(session, kind=kind, frame=frame)
    session.commit()
    return row


def record_outcomes(
    session: Session,
    *,
    rows: Sequence[Mapping[str, object]],
    principal: Principal,
    reference: Reference,
) -> tuple[int, int, int]:
    """Validate a batch like outcomes.csv, check every row's city, write all or nothing.

    Returns (inserted, updated, unchanged).
    """
    frame = repo_api.validate_rows(
        session,
        kind="outcomes",
        rows=[to_file_row(r) for r in rows],
        reference=reference,
        source="POST /v1/outcomes",
    )
    if principal.scoped:
        _check_outcome_cities(session, principal, frame)
    counts = repo.upsert_frame(session, kind="outcomes", frame=frame)
    session.commit()
    return int(counts.inserted), int(counts.updated), int(counts.unchanged)


def _check_outcome_cities(session: Session, principal: Principal, frame: pd.DataFrame) -> None:
    firms = set(frame["candidate_id"].astype(str))
    parks: set[str] = set()
    for qk, qid in zip(frame["query_kind"], frame["query_id"], strict=True):
        (parks if _QUERY_TABLE[str(qk)] == "parks" else firms).add(str(qid))
    firm_city = repo_api.cities_of(session, kind="enterprises", ids=firms)
    park_city = repo_api.cities_of(session, kind="parks", ids=parks)
    for i, rec in enumerate(frame.to_dict(orient="records")):
        table = park_city if _QUERY_TABLE[str(rec["query_kind"])] == "parks" else firm_city
        cities: Iterable[str] = (
            table.get(str(rec["query_id"]), ""),
            firm_city.get(str(rec["candidate_id"]), ""),
        )
        principal.check_city(
            "outcomes",
            cities,
            what=f"outcome {i + 1} ({rec['query_id']} → {rec['candidate_id']})",
        )


# ----------------------------------------------------------------------------- imports
def import_upload(
    session: Session,
    *,
    kind: str,
    path: Path,
    source: str,
    reference: Reference,
    dry_run: bool = False,
) -> Row:
    """Import an uploaded file through the importer (all-or-nothing); what it did.

    ``source`` (the uploaded file's name) replaces the temporary ``path`` in reports.
    """
    from recommender.db import locks
    from recommender.ingest import import_file

    lock = contextlib.nullcontext() if dry_run else locks.exclusive(session, what=source)
    try:
        with lock:  # one import at a time per database (a second one: 409)
            report = import_file(
                session, kind=kind, path=path, reference=reference, dry_run=dry_run
            )
    except ImportValidationError as exc:
        exc.message = exc.message.replace(str(path), source)
        exc.source = source
        raise
    return {
        "kind": kind,
        "source": source,
        "dry_run": report.dry_run,
        "rows": report.rows,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "layout": report.layout,
        "notes": report.match.details() if report.match is not None else [],
    }
