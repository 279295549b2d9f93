"""The dashboard's funnel counts, kept up to date from the outcomes table.

Counting a year of outcomes on every request costs about a second at a million outcomes (no
index of the outcomes table covers it). Outcomes are only ever inserted, with increasing ids,
so ``funnel_counts`` holds the records per (Wanbei side's city, year, stage) up to
``funnel_watermark.last_outcome_id``, and :func:`refresh` adds only the outcomes inserted
since: one grouped query over the new rows. The Wanbei side of an outcome is the park of a
招商 (``investor``) query, or the asking firm of a 配套 (``supplier``/``customer``) query.

Two processes refreshing at once cannot count twice: the watermark moves by compare-and-set
in the same transaction as the counts, and the loser rolls back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection

import pandas as pd
from sqlalchemy import and_, extract, func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recommender.db.models import Enterprise, FunnelCount, FunnelWatermark, Outcome, Park

__all__ = ["funnel_rows", "refresh"]

log = logging.getLogger(__name__)
_WATERMARK_ID = 1
_CHUNK = 900  # ids per IN (...) lookup


def _new_counts(session: Session, after: int, upto: int) -> pd.DataFrame:
    """Counts of the outcomes with ``after < id <= upto`` per (city, year, stage).

    One query over the id range alone (a planner without statistics would otherwise walk an
    index on ``query_kind``), then the few distinct parks and firms mapped to their cities.
    """
    year = extract("year", Outcome.date)
    stmt = (
        select(Outcome.query_kind, Outcome.query_id, year.label("year"), Outcome.stage,
               func.count().label("n"))
        .where(Outcome.id > after, Outcome.id <= upto)
        .group_by(Outcome.query_kind, Outcome.query_id, year, Outcome.stage)
    )  # fmt: skip
    result = session.execute(stmt)
    rows = pd.DataFrame(result.all(), columns=list(result.keys()))
    if rows.empty:
        return rows
    parks = {str(p): str(c) for p, c in session.execute(select(Park.park_id, Park.city_code))}
    firm_ids = sorted(set(rows.loc[rows["query_kind"] != "investor", "query_id"]))
    firms: dict[str, str] = {}
    for i in range(0, len(firm_ids), _CHUNK):
        part = firm_ids[i : i + _CHUNK]
        stmt2 = select(Enterprise.uscc, Enterprise.city_code).where(Enterprise.uscc.in_(part))
        firms.update((str(u), str(c)) for u, c in session.execute(stmt2))
    is_park = rows["query_kind"] == "investor"
    city = rows["query_id"].map(parks).where(is_park, rows["query_id"].map(firms))
    rows = rows.assign(city_code=city, year=rows["year"].astype(int)).dropna(subset=["city_code"])
    return rows.groupby(["city_code", "year", "stage"])["n"].sum().reset_index()


def _watermark(session: Session) -> int:
    row = session.get(FunnelWatermark, _WATERMARK_ID)
    if row is not None:
        return int(row.last_outcome_id)
    try:
        with session.begin_nested():
            session.add(FunnelWatermark(id=_WATERMARK_ID, last_outcome_id=0))
    except IntegrityError:  # another process made it first
        pass
    return 0


def available(session: Session) -> bool:
    """Whether the database has the funnel tables (a database migrated to revision 0004
    before they were added to it lacks them; the dashboard then counts outcomes directly)."""
    return bool(inspect(session.connection()).has_table(FunnelCount.__tablename__))


def refresh(session: Session) -> int:
    """Count the outcomes inserted since the last refresh into ``funnel_counts``; commits.

    Returns how many outcome ids were taken in (0 when nothing was new or another process
    did it at the same time).
    """
    upto = int(session.scalar(select(func.max(Outcome.id))) or 0)
    after = _watermark(session)
    if upto <= after:
        session.commit()
        return 0
    counts = _new_counts(session, after, upto)
    moved = session.execute(
        update(FunnelWatermark)
        .where(FunnelWatermark.id == _WATERMARK_ID, FunnelWatermark.last_outcome_id == after)
        .values(last_outcome_id=upto)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return 0
    for rec in counts.to_dict(orient="records"):
        key = (str(rec["city_code"]), int(rec["year"]), str(rec["stage"]))
        row = session.get(FunnelCount, key)
        if row is None:
            session.add(FunnelCount(city_code=key[0], year=key[1], stage=key[2], n=int(rec["n"])))
        else:
            row.n = int(row.n) + int(rec["n"])
    session.commit()
    log.info("funnel counts: outcomes %d..%d taken in (%d groups)", after + 1, upto, len(counts))
    return upto - after


def direct_rows(session: Session, year: int, cities: Collection[str]) -> pd.DataFrame:
    """``city_code, stage, n`` of ``year`` counted from the outcomes table itself (slow at a
    million outcomes; for databases without the funnel tables)."""
    lo, hi = dt.date(year, 1, 1), dt.date(year, 12, 31)
    in_year = and_(Outcome.date >= lo, Outcome.date <= hi)
    parks = (
        select(Park.city_code, Outcome.stage, func.count().label("n"))
        .join(Park, and_(Park.park_id == Outcome.query_id, Outcome.query_kind == "investor"))
        .where(in_year, Park.city_code.in_(list(cities)))
        .group_by(Park.city_code, Outcome.stage)
    )
    firms = (
        select(Enterprise.city_code, Outcome.stage, func.count().label("n"))
        .join(
            Enterprise,
            and_(
                Enterprise.uscc == Outcome.query_id,
                Outcome.query_kind.in_(("supplier", "customer")),
            ),
        )
        .where(in_year, Enterprise.city_code.in_(list(cities)))
        .group_by(Enterprise.city_code, Outcome.stage)
    )
    rows = [tuple(r) for stmt in (parks, firms) for r in session.execute(stmt)]
    frame = pd.DataFrame(rows, columns=["city_code", "stage", "n"])
    return frame.groupby(["city_code", "stage"])["n"].sum().reset_index()


def funnel_rows(session: Session, year: int, cities: Collection[str]) -> pd.DataFrame:
    """``city_code, stage, n`` of ``year`` for ``cities`` (call :func:`refresh` first)."""
    stmt = select(FunnelCount.city_code, FunnelCount.stage, FunnelCount.n).where(
        FunnelCount.year == year, FunnelCount.city_code.in_(list(cities))
    )
    result = session.execute(stmt)
    return pd.DataFrame(result.all(), columns=["city_code", "stage", "n"])
