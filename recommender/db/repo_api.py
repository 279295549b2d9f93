"""Repository functions the API needs beyond ``recommender.db.repo`` (API area's own module).

Keyword-only arguments, session first, flush-free reads; callers commit writes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, or_, select, text
from sqlalchemy.orm import Session

from recommender.db import models, repo
from recommender.errors import ImportValidationError, ValidationError

if TYPE_CHECKING:
    from features.reference import Reference

_KEY: Final[Mapping[str, str]] = {
    "enterprises": "uscc",
    "parks": "park_id",
    "needs": "need_id",
    "events": "event_id",
}
_ID_TABLES: Final[Mapping[str, type[models.Base]]] = {
    "enterprises": models.Enterprise,
    "parks": models.Park,
    "events": models.Event,
}
_CHUNK: Final = 500  # ids per IN (...) lookup, below every driver's bind-parameter limit


def _need_city(city_code: str) -> ColumnElement[bool]:
    """Needs whose owner (an enterprise or a park) is in ``city_code``."""
    firms = select(models.Enterprise.uscc).where(models.Enterprise.city_code == city_code)
    parks = select(models.Park.park_id).where(models.Park.city_code == city_code)
    return or_(
        (models.Need.owner_kind == "enterprise") & models.Need.owner_id.in_(firms),
        (models.Need.owner_kind == "park") & models.Need.owner_id.in_(parks),
    )


def list_page(
    session: Session,
    *,
    kind: str,
    offset: int,
    limit: int,
    search: str | None = None,
    city_code: str | None = None,
) -> tuple[pd.DataFrame, int]:
    """:func:`repo.list_page`; for needs, ``city_code`` is the city of their owner."""
    if kind == "needs" and city_code:
        return repo.list_page(
            session, kind=kind, offset=offset, limit=limit, search=search,
            where=(_need_city(city_code),),
        )  # fmt: skip
    return repo.list_page(
        session, kind=kind, offset=offset, limit=limit, search=search, city_code=city_code
    )


def get_frame(session: Session, *, kind: str, key: str) -> pd.DataFrame:
    """The record with primary key ``key`` as a one-row conformed frame (empty if absent)."""
    return repo.load_frame(session, kind=kind, where={_KEY[kind]: key})


def cities_of(session: Session, *, kind: str, ids: Collection[str]) -> dict[str, str]:
    """``{id: city_code}`` for the enterprises or parks among ``ids`` (absent ids left out)."""
    if kind not in ("enterprises", "parks"):
        raise ValidationError(f"kind must be enterprises or parks, got {kind!r}")
    table = (models.Enterprise if kind == "enterprises" else models.Park).__table__
    key = table.c[_KEY[kind]]
    out: dict[str, str] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for k, city in session.execute(select(key, table.c.city_code).where(key.in_(chunk))):
            out[str(k)] = str(city)
    return out


def validate_rows(
    session: Session,
    *,
    kind: str,
    rows: Sequence[Mapping[str, str]],
    reference: Reference,
    source: str,
) -> pd.DataFrame:
    """Validate rows given as import-file cells exactly like the importer does.

    Row ``i`` is reported as line ``i + 2`` (as if it were a CSV file with a header).
    References (a need's owner, an outcome's query, candidate and event) must exist in the
    database; a participant's must_meet/no_meet counterparts must be registered for the event
    (stored or in ``rows``). Returns the conformed frame; raises
    :class:`~recommender.errors.ImportValidationError` with every row error otherwise.
    """
    from recommender.ingest.cities import CityResolver
    from recommender.ingest.reading import RawTable
    from recommender.ingest.validate import FIELDS, REFERENCES, validate_table

    columns = [f.name for f in FIELDS[kind]]
    cells = {c: [str(r.get(c, "") or "").strip() for r in rows] for c in columns}
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in cells.items()})
    table = RawTable(
        kind=kind,
        source=source,
        frame=frame,
        lines=np.arange(2, len(rows) + 2, dtype=np.int64),
        headers={c: c for c in columns},
        ignored=(),
        encoding="json",
    )
    known: dict[str, set[str]] = {}
    for column, target, _ in REFERENCES.get(kind, ()):
        wanted = {v for v in cells[column] if v} | {v.upper() for v in cells[column] if v}
        known.setdefault(target, set()).update(existing_ids(session, kind=target, ids=wanted))
    roles = (
        repo.participant_roles(session, event_ids=set(cells["event_id"]))
        if kind == "participants"
        else {}
    )
    result = validate_table(
        table,
        cities=CityResolver(reference.cities),
        industry_codes=reference.industries["code"].astype(str).tolist(),
        known=known,
        roles=roles,
    )
    if result.errors:
        raise ImportValidationError(kind=kind, source=source, errors=list(result.errors))
    return result.frame


def existing_ids(session: Session, *, kind: str, ids: Collection[str]) -> set[str]:
    """The ids among ``ids`` that are keys of stored enterprises, parks or events."""
    if kind not in _ID_TABLES:
        raise ValidationError(f"kind must be one of {sorted(_ID_TABLES)}, got {kind!r}")
    column = _ID_TABLES[kind].__table__.c[_KEY[kind]]
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(str(k) for k in session.scalars(select(column).where(column.in_(chunk))))
    return found


# ----------------------------------------------------------------------------- keys, models
def known_city_codes(session: Session) -> set[str]:
    """The adcodes of the seeded cities table (empty before reference data is seeded)."""
    return {str(c) for c in session.scalars(select(models.City.city_code))}


def production_versions(session: Session) -> dict[str, str]:
    """``{kind: version}`` of the production model of every kind that has one."""
    rows = repo.list_model_versions(session, status="production")
    return {str(r.kind): str(r.version) for r in rows}


def ping(session: Session) -> None:
    """Run a trivial query (raises if the database is unreachable)."""
    session.execute(text("SELECT 1"))
