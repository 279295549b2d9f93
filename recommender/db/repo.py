"""Repository functions for entity frames and reference data (keyword-only, session first).

Frames in and out are conformed to ``features.schema``; reads use Core selects (no ORM
objects), writes are bulk ``executemany`` statements. Functions flush; the caller commits.
API keys, model versions, retrain jobs, the recommendation log and meetings live in
``repo_ops``/``repo_events`` and are re-exported here so that callers need one module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from features.schema import SCHEMAS, FrameSchema, check_frame, conform
from recommender.db._frames import frame_to_columns, rows_to_frame
from recommender.db.models import (
    ENTITY_MODELS,
    Base,
    Chain,
    ChainEdge,
    ChainNode,
    City,
    Industry,
    IoSector,
    table_of,
)
from recommender.db.repo_events import load_meetings, participant_roles, save_meetings
from recommender.db.repo_ops import (
    create_api_key,
    create_retrain_job,
    find_api_key,
    get_retrain_job,
    list_api_keys,
    list_model_versions,
    list_retrain_jobs,
    log_recommendations,
    promote_model_version,
    revoke_api_key,
    update_retrain_job,
    upsert_model_version,
)
from recommender.errors import NotFoundError, ValidationError

__all__ = [
    "UpsertCounts",
    "create_api_key",
    "create_retrain_job",
    "existing_keys",
    "find_api_key",
    "get_by_key",
    "get_retrain_job",
    "list_api_keys",
    "list_model_versions",
    "list_page",
    "list_retrain_jobs",
    "load_frame",
    "load_meetings",
    "log_recommendations",
    "participant_roles",
    "promote_model_version",
    "revoke_api_key",
    "save_meetings",
    "seed_reference",
    "update_retrain_job",
    "upsert_frame",
    "upsert_model_version",
]

KEY_SEP = "|"
# rows per IN (...) lookup; well under SQLite's and PostgreSQL's bind-parameter limits
_IN_CHUNK = 1000
# columns searched by list_page(search=...), per kind
SEARCH_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "enterprises": ("uscc", "name", "products"),
    "parks": ("park_id", "name", "leading_industries"),
    "needs": ("need_id", "owner_id", "description"),
    "events": ("event_id", "name", "venue"),
    "participants": ("event_id", "uscc"),
    "outcomes": ("query_id", "candidate_id", "event_id"),
}


@dataclass(frozen=True)
class UpsertCounts:
    """How many rows of an upsert were new, changed, or already stored as given."""

    inserted: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


class ReferenceLike(Protocol):
    """The attributes of ``features.reference.Reference`` that storage reads."""

    cities: pd.DataFrame
    industries: pd.DataFrame
    io_sectors: pd.DataFrame
    chains: pd.DataFrame
    chain_nodes: pd.DataFrame
    chain_edges: pd.DataFrame
    parks: pd.DataFrame


def _schema(kind: str) -> tuple[FrameSchema, Table]:
    if kind not in SCHEMAS or kind not in ENTITY_MODELS:
        raise ValidationError(f"kind must be one of {sorted(SCHEMAS)}, got {kind!r}")
    table = ENTITY_MODELS[kind].__table__
    assert isinstance(table, Table)
    return SCHEMAS[kind], table


# ----------------------------------------------------------------------------- upsert
def upsert_frame(session: Session, *, kind: str, frame: pd.DataFrame) -> UpsertCounts:
    """Insert new rows and update changed ones of an entity frame, keyed by its schema key.

    Idempotent: a second call with the same frame inserts and updates nothing. Outcomes
    are insert-if-absent (a stored outcome is never changed). Flushes; the caller commits.

    Parameters
    ----------
    session : an open session.
    kind : one of ``features.schema.SCHEMAS`` ('enterprises', 'parks', 'needs', 'events',
        'participants', 'outcomes').
    frame : the rows, conformed to the kind's schema (it is conformed again, harmlessly).

    Returns
    -------
    UpsertCounts
        inserted, updated and unchanged row counts; they sum to ``len(frame)``.

    Raises
    ------
    ValidationError
        unknown kind, a duplicated or empty key, or a value the column cannot hold.
    SchemaError
        a required column is missing or mistyped.
    """
    schema, table = _schema(kind)
    check_frame(frame, schema, where="upsert_frame")
    conformed = conform(frame, schema)
    return _upsert_table(
        session,
        table,
        key=schema.key,
        names=schema.names,
        frame=conformed,
        what=f"upsert_frame({kind})",
        update_changed=kind != "outcomes",
    )


def _upsert_table(
    session: Session,
    table: Table,
    *,
    key: Sequence[str],
    names: Sequence[str],
    frame: pd.DataFrame,
    what: str,
    update_changed: bool = True,
) -> UpsertCounts:
    if frame.empty:
        return UpsertCounts(0, 0, 0)
    cols = frame_to_columns(frame, table, names, what=what)
    keys: list[tuple[Any, ...]] = list(zip(*(cols[k] for k in key), strict=True))
    _check_keys(keys, key, what=what)
    rows: list[tuple[Any, ...]] = list(zip(*(cols[n] for n in names), strict=True))
    stored = _stored_rows(session, table, key=key, names=names, keys=keys)

    to_insert: list[dict[str, Any]] = []
    to_update: list[dict[str, Any]] = []
    unchanged = 0
    for k, row in zip(keys, rows, strict=True):
        old = stored.get(k)
        if old is None:
            to_insert.append(dict(zip(names, row, strict=True)))
        elif old == row or not update_changed:
            unchanged += 1
        else:
            to_update.append(
                {("k_" if n in key else "v_") + n: v for n, v in zip(names, row, strict=True)}
            )
    if to_insert:
        session.execute(insert(table), to_insert)
    if to_update:
        stmt = (
            update(table)
            .where(and_(*(table.c[k] == bindparam("k_" + k) for k in key)))
            .values({n: bindparam("v_" + n) for n in names if n not in key})
        )
        session.execute(stmt, to_update, execution_options={"synchronize_session": False})
    return UpsertCounts(len(to_insert), len(to_update), unchanged)


def _check_keys(keys: list[tuple[Any, ...]], key: Sequence[str], *, what: str) -> None:
    empty = [i for i, k in enumerate(keys) if any(v is None or v == "" for v in k)]
    if empty:
        raise ValidationError(
            f"{what}: key columns {list(key)} must be non-empty, got empty values in "
            f"{len(empty)} row(s) (first at index {empty[:5]})"
        )
    if len(set(keys)) != len(keys):
        seen: set[tuple[Any, ...]] = set()
        dups = [k for k in keys if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
        raise ValidationError(
            f"{what}: key {list(key)} must be unique within the frame, got "
            f"{len(dups)} duplicate(s), e.g. {[_key_str(d) for d in dups[:5]]}"
        )


def _stored_rows(
    session: Session,
    table: Table,
    *,
    key: Sequence[str],
    names: Sequence[str],
    keys: list[tuple[Any, ...]],
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Stored value tuples (in ``names`` order) of the given keys."""
    key_idx = [list(names).index(k) for k in key]
    cols = [table.c[n] for n in names]
    n_stored = session.execute(select(func.count()).select_from(table)).scalar_one()
    out: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    if n_stored == 0:
        return out
    if n_stored <= 4 * len(keys):
        # one scan is cheaper than many IN lookups when the frame covers much of the table
        wanted = set(keys)
        for r in session.execute(select(*cols)):
            t = tuple(r)
            k = tuple(t[i] for i in key_idx)
            if k in wanted:
                out[k] = t
        return out
    key_expr = table.c[key[0]] if len(key) == 1 else tuple_(*(table.c[k] for k in key))
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        values: list[Any] = [k[0] for k in chunk] if len(key) == 1 else chunk
        for r in session.execute(select(*cols).where(key_expr.in_(values))):
            t = tuple(r)
            out[tuple(t[i] for i in key_idx)] = t
    return out


def _key_str(k: Sequence[Any]) -> str:
    return KEY_SEP.join(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in k)


# ----------------------------------------------------------------------------- read
def _conditions(table: Table, where: Mapping[str, object] | None) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    for name, value in (where or {}).items():
        if name not in table.c:
            raise ValidationError(
                f"where: {table.name} has no column {name!r}; "
                f"expected one of {list(table.c.keys())}"
            )
        col = table.c[name]
        if value is None:
            conds.append(col.is_(None))
        elif isinstance(value, list | tuple | set | frozenset | pd.Series | pd.Index):
            conds.append(col.in_(list(value)))
        else:
            conds.append(col == value)
    return conds


LOAD_CHUNK_ROWS = 50_000


def load_frame(
    session: Session, *, kind: str, where: Mapping[str, object] | None = None
) -> pd.DataFrame:
    """Read an entity table into a frame conformed to its schema, ordered by key.

    Parameters
    ----------
    kind : one of ``features.schema.SCHEMAS``.
    where : column -> value (equality) or collection of values (membership) or None (IS NULL).
    """
    schema, table = _schema(kind)
    stmt = (
        select(*(table.c[n] for n in schema.names))
        .where(*_conditions(table, where))
        .order_by(*(table.c[k] for k in schema.key))
    )
    # read in chunks, typed chunk by chunk: at 1M rows this keeps the untyped Python rows of
    # only one chunk alive at a time (the whole table at once roughly doubled peak memory)
    result = session.execute(stmt.execution_options(yield_per=LOAD_CHUNK_ROWS))
    parts = [conform(rows_to_frame(chunk, schema.names), schema) for chunk in result.partitions()]
    if not parts:
        return conform(rows_to_frame([], schema.names), schema)
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts, ignore_index=True)


def existing_keys(session: Session, *, kind: str) -> set[str]:
    """Stored keys of an entity kind; composite keys joined by "|" (dates as YYYY-MM-DD)."""
    schema, table = _schema(kind)
    rows = session.execute(select(*(table.c[k] for k in schema.key))).all()
    if len(schema.key) == 1:
        return {r[0] for r in rows}
    return {_key_str(r) for r in rows}


def get_by_key(session: Session, *, kind: str, key: str | Sequence[Any]) -> dict[str, Any]:
    """One stored entity as a dict of Python values (dates as ``datetime.date``, NULL as None).

    ``key`` is the key value, or for composite keys a sequence of values or a "|"-joined
    string (as returned by :func:`existing_keys`). Raises ``NotFoundError`` if absent.
    """
    schema, table = _schema(kind)
    parts: list[Any] = key.split(KEY_SEP) if isinstance(key, str) else list(key)
    if len(parts) != len(schema.key):
        raise ValidationError(
            f"{kind} key must have {len(schema.key)} part(s) {list(schema.key)}, got {key!r}"
        )
    stmt = select(*(table.c[n] for n in schema.names)).where(
        *(table.c[k] == v for k, v in zip(schema.key, parts, strict=True))
    )
    row = session.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"{kind} {_key_str(parts)!r} not found")
    return dict(row._mapping)


def list_page(
    session: Session,
    *,
    kind: str,
    offset: int = 0,
    limit: int = 50,
    search: str | None = None,
    city_code: str | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> tuple[pd.DataFrame, int]:
    """One page of an entity table (ordered by key) and the total count matching the filters.

    ``search`` is a case-insensitive substring match on the kind's SEARCH_COLUMNS;
    ``city_code`` filters kinds that have a city (enterprises, parks, events); ``where``
    adds conditions of the caller's (e.g. the city of a need's owner).
    """
    if offset < 0:
        raise ValidationError(f"offset must be an integer >= 0, got {offset}")
    if not 1 <= limit <= 10_000:
        raise ValidationError(f"limit must be an integer in [1, 10000], got {limit}")
    schema, table = _schema(kind)
    conds: list[ColumnElement[bool]] = list(where)
    if city_code:
        if "city_code" not in table.c:
            raise ValidationError(f"city_code filter: {kind} has no city_code column")
        conds.append(table.c.city_code == city_code)
    if search and search.strip():
        term = search.strip()
        conds.append(
            or_(*(table.c[c].icontains(term, autoescape=True) for c in SEARCH_COLUMNS[kind]))
        )
    total = session.execute(select(func.count()).select_from(table).where(*conds)).scalar_one()
    stmt = (
        select(*(table.c[n] for n in schema.names))
        .where(*conds)
        .order_by(*(table.c[k] for k in schema.key))
        .offset(offset)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    return conform(rows_to_frame(rows, schema.names), schema), int(total)


# ----------------------------------------------------------------------------- reference
_REFERENCE_TABLES: tuple[tuple[str, type[Base], tuple[str, ...]], ...] = (
    ("cities", City, ("city_code",)),
    ("industries", Industry, ("code",)),
    ("io_sectors", IoSector, ("io_code",)),
    ("chains", Chain, ("chain_id",)),
    ("chain_nodes", ChainNode, ("node_id",)),
    ("chain_edges", ChainEdge, ("src", "dst")),
)


def seed_reference(session: Session, *, reference: ReferenceLike) -> dict[str, UpsertCounts]:
    """Upsert the reference tables and the parks catalogue; idempotent. Flushes only.

    Returns the counts per table (cities, industries, io_sectors, chains, chain_nodes,
    chain_edges, parks).
    """
    counts: dict[str, UpsertCounts] = {}
    for attr, model, key in _REFERENCE_TABLES:
        table = table_of(model)
        frame = getattr(reference, attr)
        counts[attr] = _upsert_table(
            session,
            table,
            key=key,
            names=[c.name for c in table.columns],
            frame=frame,
            what=f"seed_reference({attr})",
        )
    counts["parks"] = upsert_frame(
        session, kind="parks", frame=conform(reference.parks, SCHEMAS["parks"])
    )
    return counts
