"""The programme dashboard: projects, funnel, lists and targets per pairing, city and park.

Every figure is one grouped SQL query (GROUP BY), never a Python loop over stored rows; the
few hundred grouped rows are then shaped into one block per Wanbei city and its pairing.

Definitions (year ``Y``, Wanbei city ``W`` paired with ``P``):

- *signed* projects of ``Y``: current stage 签约, 开工 or 投产 and ``signed_date`` in ``Y``;
  ``agreed_investment_yi`` sums their 协议投资额 (亿元; a missing amount counts 0).
  ``signed_projects`` of a pairing counts those of ``W`` whose 来源地 is ``P``; the city block
  (``city``) counts every source.
- *by stage*: every project of ``W`` by its current stage (all years: the pipeline).
- *funnel*: outcome records at each stage dated in ``Y`` (one per pair and stage, unless a
  pair reached a stage twice that year), kept in ``funnel_counts`` by
  :mod:`recommender.projects.funnel`,
  for the 招商 queries of ``W``'s parks and the 配套 queries of ``W``'s firms; the conversion
  rate of a stage is its count over the previous stage's (None when that is 0).
- *lists*: signed projects of ``Y`` whose (park, investor) pair was shown by a 招商 list before
  it was signed, by list (park) and model version, from the recommendation log; and the lists
  a project names itself (来源清单, 模型版本).
- *targets*: an office's yearly targets (签约项目数, 协议投资额, 专精特新培育数) against the
  actuals; 专精特新培育数 counts signed projects of ``Y`` whose investor is a 专精特新 firm.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, case, extract, func, literal, select
from sqlalchemy.orm import Session

from features.schema import MIN_SRDI_LEVELS, PROJECT_SIGNED_STAGES, PROJECT_STAGES
from recommender.db.models import (
    Enterprise,
    Park,
    Project,
    ProjectTarget,
    RecommendationLogEntry,
)

log = logging.getLogger(__name__)

__all__ = [
    "FUNNEL_STAGES",
    "FUNNEL_STAGE_ZH",
    "DashboardCache",
    "Scope",
    "dashboard",
    "latest_signed_year",
    "wanbei_pairings",
]

FUNNEL_STAGES = ("recommended", "contacted", "meeting", "intention", "signed", "landed")
FUNNEL_STAGE_ZH: Mapping[str, str] = {
    "recommended": "推荐", "contacted": "联系", "meeting": "洽谈", "intention": "意向",
    "signed": "签约", "landed": "落地",
}  # fmt: skip
_SRDI = MIN_SRDI_LEVELS


@dataclass(frozen=True)
class Scope:
    """The Wanbei cities a caller may see (``None``: all of them)."""

    cities: frozenset[str] | None = None

    def allows(self, city_code: str) -> bool:
        return self.cities is None or city_code in self.cities


def wanbei_pairings(cities: pd.DataFrame) -> list[tuple[str, str]]:
    """(Wanbei city, partner city) for the eight official pairings, by Wanbei adcode."""
    wanbei = cities[(cities["role"] == "wanbei") & (cities["partner_code"].astype(str) != "")]
    pairs = zip(wanbei["city_code"].astype(str), wanbei["partner_code"].astype(str), strict=True)
    return sorted(pairs)


def latest_signed_year(session: Session, cities: Collection[str]) -> int | None:
    """The latest year in which a project of ``cities`` was signed (None if none was)."""
    last = session.scalar(
        select(func.max(Project.signed_date)).where(
            Project.stage.in_(PROJECT_SIGNED_STAGES), Project.city_code.in_(list(cities))
        )
    )
    return None if last is None else last.year


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


Rec = dict[str, Any]  # one grouped row


def _rows(session: Session, stmt: Select[Any] | Any) -> list[Rec]:
    """A grouped query's rows as plain dicts (a few hundred at most: no frame needed)."""
    return [dict(r._mapping) for r in session.execute(stmt)]


def _signed_in(year: int) -> Any:
    lo, hi = _year_bounds(year)
    return and_(
        Project.stage.in_(PROJECT_SIGNED_STAGES),
        Project.signed_date >= lo,
        Project.signed_date <= hi,
    )


def _amount() -> Any:
    return func.coalesce(Project.agreed_investment_yi, 0.0)


# ----------------------------------------------------------------------------- queries
def _park_stage_rows(session: Session, year: int, cities: Collection[str]) -> list[Rec]:
    signed = _signed_in(year)
    stmt = (
        select(
            Project.city_code,
            Project.park_id,
            Project.stage,
            func.count().label("n"),
            func.sum(_amount()).label("agreed"),
            func.sum(case((signed, 1), else_=0)).label("n_signed"),
            func.sum(case((signed, _amount()), else_=0.0)).label("agreed_signed"),
        )
        .where(Project.city_code.in_(list(cities)))
        .group_by(Project.city_code, Project.park_id, Project.stage)
    )
    return _rows(session, stmt)


def _signed_rows(session: Session, year: int, cities: Collection[str]) -> list[Rec]:
    month = extract("month", Project.signed_date)
    stmt = (
        select(
            Project.city_code,
            Project.source_city_code,
            month.label("month"),
            func.count().label("n"),
            func.sum(_amount()).label("agreed"),
        )
        .where(_signed_in(year), Project.city_code.in_(list(cities)))
        .group_by(Project.city_code, Project.source_city_code, month)
    )
    return _rows(session, stmt)


def _funnel_rows(session: Session, year: int, cities: Collection[str]) -> list[Rec]:
    from recommender.projects import funnel

    if funnel.available(session):
        rows = funnel.funnel_rows(session, year, cities)
    else:
        rows = funnel.direct_rows(session, year, cities)
    return [{str(k): v for k, v in r.items()} for r in rows.to_dict(orient="records")
            if r["stage"] in FUNNEL_STAGES]  # fmt: skip


def _list_rows(session: Session, year: int, cities: Collection[str]) -> list[Rec]:
    shown_before = func.date(RecommendationLogEntry.shown_at) <= Project.signed_date
    hits = (
        select(
            Project.city_code,
            Project.project_id,
            RecommendationLogEntry.query_id.label("list_id"),
            RecommendationLogEntry.model_version,
            _amount().label("agreed"),
        )
        .join(
            RecommendationLogEntry,
            and_(
                RecommendationLogEntry.query_kind == "investor",
                RecommendationLogEntry.query_id == Project.park_id,
                RecommendationLogEntry.candidate_id == Project.investor_uscc,
            ),
        )
        .where(_signed_in(year), Project.city_code.in_(list(cities)), shown_before)
        .distinct()
        .subquery()
    )
    logged = select(
        hits.c.city_code,
        hits.c.list_id,
        hits.c.model_version,
        literal("log").label("via"),
        func.count().label("n"),
        func.sum(hits.c.agreed).label("agreed"),
    ).group_by(hits.c.city_code, hits.c.list_id, hits.c.model_version)
    declared = (
        select(
            Project.city_code,
            Project.source_list.label("list_id"),
            Project.model_version,
            literal("ledger").label("via"),
            func.count().label("n"),
            func.sum(_amount()).label("agreed"),
        )
        .where(_signed_in(year), Project.city_code.in_(list(cities)), Project.source_list != "")
        .group_by(Project.city_code, Project.source_list, Project.model_version)
    )
    return _rows(session, logged) + _rows(session, declared)


def _srdi_rows(session: Session, year: int, cities: Collection[str]) -> list[Rec]:
    stmt = (
        select(Project.city_code, func.count().label("n"))
        .join(Enterprise, Enterprise.uscc == Project.investor_uscc)
        .where(
            _signed_in(year),
            Project.city_code.in_(list(cities)),
            Enterprise.srdi_level.in_(_SRDI),
        )
        .group_by(Project.city_code)
    )
    return _rows(session, stmt)


def _target_rows(session: Session, year: int, cities: Collection[str]) -> list[Rec]:
    stmt = select(
        ProjectTarget.city_code,
        ProjectTarget.park_id,
        ProjectTarget.signed_projects,
        ProjectTarget.agreed_investment_yi,
        ProjectTarget.srdi_cultivated,
    ).where(ProjectTarget.year == year, ProjectTarget.city_code.in_(list(cities)))
    return _rows(session, stmt)


# ----------------------------------------------------------------------------- shaping
def _r(x: float) -> float:
    return round(float(x), 4)


def _num(value: object) -> float:
    return 0.0 if value is None else float(value)  # type: ignore[arg-type]


def _funnel(rows: list[Rec]) -> list[Rec]:
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r["stage"])] = counts.get(str(r["stage"]), 0) + int(r["n"])
    out: list[Rec] = []
    previous: int | None = None
    for stage in FUNNEL_STAGES:
        n = counts.get(stage, 0)
        rate = round(n / previous, 4) if previous else None
        out.append({"stage": stage, "count": n, "rate": rate})
        previous = n
    return out


def _sums(rows: list[Rec], by: str, n: str = "n", agreed: str = "agreed") -> dict[Any, list[float]]:
    """[count, amount] of ``rows`` summed by the value of ``by``."""
    out: dict[Any, list[float]] = {}
    for r in rows:
        acc = out.setdefault(r[by], [0.0, 0.0])
        acc[0] += _num(r[n])
        acc[1] += _num(r[agreed])
    return out


def _by_stage(rows: list[Rec]) -> list[Rec]:
    sums = _sums(rows, "stage")
    return [
        {"stage": s, "projects": int(sums.get(s, [0, 0])[0]),
         "agreed_investment_yi": _r(sums.get(s, [0, 0])[1])}
        for s in PROJECT_STAGES
    ]  # fmt: skip


def _by_month(rows: list[Rec]) -> list[Rec]:
    sums = _sums([{**r, "month": int(r["month"])} for r in rows], "month")
    return [
        {"month": m, "signed_projects": int(sums.get(m, [0, 0])[0]),
         "agreed_investment_yi": _r(sums.get(m, [0, 0])[1])}
        for m in range(1, 13)
    ]  # fmt: skip


def _targets(rows: list[Rec], *, signed: int, agreed: float, srdi: int) -> dict[str, Rec]:
    target = next((r for r in rows if r["park_id"] == ""), None)

    def item(column: str, actual: float) -> Rec:
        raw = None if target is None else target[column]
        value = None if raw is None else float(raw)
        share = None if not value else round(actual / value, 4)
        return {"target": value, "actual": actual, "share": share}

    return {
        "signed_projects": item("signed_projects", signed),
        "agreed_investment_yi": item("agreed_investment_yi", agreed),
        "srdi_cultivated": item("srdi_cultivated", srdi),
    }


def _parks(rows: list[Rec], names: Mapping[str, str]) -> list[Rec]:
    by_park: dict[str, list[Rec]] = {}
    for r in rows:
        by_park.setdefault(str(r["park_id"]), []).append(r)
    out: list[Rec] = []
    for park_id, part in sorted(by_park.items()):
        stages = {str(r["stage"]): int(r["n"]) for r in part}
        out.append(
            {
                "park_id": park_id,
                "name": names.get(park_id, "") if park_id else "",
                "projects": sum(stages.values()),
                "by_stage": {s: stages.get(s, 0) for s in PROJECT_STAGES},
                "signed_projects": int(sum(_num(r["n_signed"]) for r in part)),
                "agreed_investment_yi": _r(sum(_num(r["agreed_signed"]) for r in part)),
            }
        )
    out.sort(key=lambda p: (-p["signed_projects"], -p["agreed_investment_yi"], p["park_id"]))
    return out


def _lists(rows: list[Rec], names: Mapping[str, str]) -> list[Rec]:
    out: list[Rec] = [
        {
            "via": str(r["via"]),
            "list_id": str(r["list_id"]),
            "list_name": names.get(str(r["list_id"]), ""),
            "model_version": str(r["model_version"] or ""),
            "signed_projects": int(r["n"]),
            "agreed_investment_yi": _r(_num(r["agreed"])),
        }
        for r in rows
    ]
    out.sort(key=lambda x: (-x["signed_projects"], x["via"], x["list_id"], x["model_version"]))
    return out


def _city_names(cities: pd.DataFrame) -> dict[str, str]:
    return dict(zip(cities["city_code"].astype(str), cities["short_name"].astype(str), strict=True))


def _by_city(rows: list[Rec]) -> dict[str, list[Rec]]:
    out: dict[str, list[Rec]] = {}
    for r in rows:
        out.setdefault(str(r["city_code"]), []).append(r)
    return out


def _by_source(rows: list[Rec], names: Mapping[str, str]) -> list[Rec]:
    sums = _sums(rows, "source_city_code")
    out: list[Rec] = [
        {"city_code": str(code), "name": names.get(str(code), ""),
         "signed_projects": int(v[0]), "agreed_investment_yi": _r(v[1])}
        for code, v in sums.items()
    ]  # fmt: skip
    out.sort(key=lambda x: (-x["signed_projects"], x["city_code"]))
    return out


@dataclass(frozen=True)
class _Grouped:
    """The grouped query results for the cities in scope, by Wanbei city."""

    parks: Mapping[str, list[Rec]]
    signed: Mapping[str, list[Rec]]
    funnel: Mapping[str, list[Rec]]
    lists: Mapping[str, list[Rec]]
    srdi: Mapping[str, int]


def _block(
    w: str, p: str, g: _Grouped, names: Mapping[str, str], park_names: Mapping[str, str]
) -> Rec:
    s_w = g.signed.get(w, [])
    partner = [r for r in s_w if r["source_city_code"] == p]
    n_all = int(sum(_num(r["n"]) for r in s_w))
    agreed_all = _r(sum(_num(r["agreed"]) for r in s_w))
    return {
        "wanbei_city": w,
        "wanbei_name": names.get(w, w),
        "partner_city": p,
        "partner_name": names.get(p, p),
        "signed_projects": int(sum(_num(r["n"]) for r in partner)),
        "agreed_investment_yi": _r(sum(_num(r["agreed"]) for r in partner)),
        "city": {"signed_projects": n_all, "agreed_investment_yi": agreed_all},
        "by_stage": _by_stage(g.parks.get(w, [])),
        "by_month": _by_month(s_w),
        "by_month_partner": _by_month(partner),
        "by_source": _by_source(s_w, names),
        "parks": _parks(g.parks.get(w, []), park_names),
        "funnel": _funnel(g.funnel.get(w, [])),
        "lists": _lists(g.lists.get(w, []), park_names),
    }


class DashboardCache:
    """The assembled blocks of recent (year, scope) requests, valid for one data stamp.

    The funnel counts a year of outcomes (about a third of a million rows at 1M outcomes),
    which no index of the outcomes table covers; a dashboard is read far more often than the
    data changes, so the blocks are kept until the installation's data stamp
    (:mod:`recommender.db.datastamp`, touched by every write) moves. Targets are always read
    fresh (one small query), so a target entered shows at once. Thread-safe; at most
    ``size`` entries, least recently used dropped first.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], tuple[int, _Assembled]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, key: tuple[Any, ...], stamp: int, compute: Callable[[], _Assembled]
    ) -> _Assembled:
        """The cached value of ``key`` for ``stamp``, computed (outside the lock) if absent."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == stamp:
                self._items.move_to_end(key)
                return hit[1]
        value = compute()
        with self._lock:
            self._items[key] = (stamp, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def _grouped(session: Session, year: int, wanted: list[str]) -> _Grouped:
    return _Grouped(
        parks=_by_city(_park_stage_rows(session, year, wanted)),
        signed=_by_city(_signed_rows(session, year, wanted)),
        funnel=_by_city(_funnel_rows(session, year, wanted)),
        lists=_by_city(_list_rows(session, year, wanted)),
        srdi={str(r["city_code"]): int(r["n"]) for r in _srdi_rows(session, year, wanted)},
    )


@dataclass(frozen=True)
class _Assembled:
    """Every block of a dashboard but its targets, and the 专精特新 actual per city."""

    blocks: list[dict[str, Any]]
    srdi: Mapping[str, int]


def _assemble(
    session: Session, year: int, pairs: list[tuple[str, str]], names: Mapping[str, str]
) -> _Assembled:
    park_names = {str(a): str(b) for a, b in session.execute(select(Park.park_id, Park.name))}
    grouped = _grouped(session, year, [w for w, _ in pairs])
    blocks = [_block(w, p, grouped, names, park_names) for w, p in pairs]
    return _Assembled(blocks, grouped.srdi)


def dashboard(
    session: Session,
    *,
    cities: pd.DataFrame,
    year: int,
    scope: Scope | None = None,
    cache: DashboardCache | None = None,
    stamp: int = 0,
) -> dict[str, Any]:
    """The dashboard of ``year`` for the pairings ``scope`` allows (see the module docstring).

    Parameters
    ----------
    session : an open session; the funnel counts' refresh commits it.
    cities : reference cities (city_code, short_name, role, partner_code, lon, lat).
    year : the calendar year of signed projects and funnel outcomes.
    scope : the Wanbei cities the caller may see; None sees all eight.
    cache, stamp : keep the grouped results for this data stamp (see :class:`DashboardCache`).

    Returns
    -------
    dict
        ``year``, ``pairings`` (one block per Wanbei city, by adcode) and ``totals``.
    """
    from recommender.projects import funnel

    if funnel.available(session):
        funnel.refresh(session)  # outcomes inserted since the last request (usually none)
    else:
        log.warning(
            "no funnel_counts table (database migrated to revision 0004 before it had one): "
            "counting outcomes directly"
        )
    scope = scope or Scope()
    pairs = [(w, p) for w, p in wanbei_pairings(cities) if scope.allows(w)]
    wanted = [w for w, _ in pairs]
    names = _city_names(cities)
    if cache is None:
        assembled = _assemble(session, year, pairs, names)
    else:
        key = (year, tuple(wanted))
        assembled = cache.get(key, stamp, lambda: _assemble(session, year, pairs, names))
    targets = _by_city(_target_rows(session, year, wanted))  # always fresh: one small query
    blocks = [
        {
            **b,
            "targets": _targets(
                targets.get(b["wanbei_city"], []),
                signed=b["city"]["signed_projects"],
                agreed=b["city"]["agreed_investment_yi"],
                srdi=int(assembled.srdi.get(b["wanbei_city"], 0)),
            ),
        }
        for b in assembled.blocks
    ]
    totals = {
        "signed_projects": sum(b["signed_projects"] for b in blocks),
        "agreed_investment_yi": _r(sum(b["agreed_investment_yi"] for b in blocks)),
        "city_signed_projects": sum(b["city"]["signed_projects"] for b in blocks),
        "city_agreed_investment_yi": _r(sum(b["city"]["agreed_investment_yi"] for b in blocks)),
    }
    return {"year": year, "pairings": blocks, "totals": totals}
