"""Choices the page forms offer (parks, leading firms, chain nodes) and small lookups."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from recommender.db import models
from recommender.security import Principal

if TYPE_CHECKING:
    from features.reference import Reference


def city_names(reference: Reference, lang: str = "zh") -> dict[str, str]:
    """``{adcode: name}`` in the page's language."""
    col = "name" if lang == "zh" else "name_en"
    c = reference.cities
    return dict(zip(c["city_code"].astype(str), c[col].astype(str), strict=True))


def parks_for(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Parks the user may rank for: a promotion office sees its own city's only."""
    t = models.Park
    stmt = select(t.park_id, t.name, t.city_code, t.partner_city_code, t.lat, t.lon).order_by(
        t.city_code, t.name
    )
    if principal.scoped:
        stmt = stmt.where(t.city_code == principal.city_code)
    return [
        {
            "park_id": p,
            "name": n,
            "city_code": c,
            "partner_city_code": pc or "",
            "point": (float(lat), float(lon)) if lat is not None and lon is not None else None,
        }
        for p, n, c, pc, lat, lon in session.execute(stmt)
    ]


def leading_firms(session: Session, principal: Principal) -> list[dict[str, str]]:
    """Leading firms (龙头企业) the user may rank suppliers for (own city when scoped)."""
    t = models.Enterprise
    stmt = (
        select(t.uscc, t.name, t.city_code)
        .where(t.is_leading.is_(True))
        .order_by(t.city_code, t.name)
    )
    if principal.scoped:
        stmt = stmt.where(t.city_code == principal.city_code)
    return [{"uscc": u, "name": n, "city_code": c} for u, n, c in session.execute(stmt)]


def supplying_firms(
    session: Session,
    principal: Principal,
    *,
    cities: Collection[str],
    search: str = "",
    limit: int = 500,
) -> list[dict[str, str]]:
    """Firms that could supply leading firms (the ``customer`` query): a promotion office's
    own city's non-leading firms; for other roles those of ``cities`` (the 皖北 ones). Name
    order, at most ``limit``, optionally only names containing ``search``."""
    t = models.Enterprise
    stmt = select(t.uscc, t.name, t.city_code).where(t.is_leading.is_(False))
    if principal.scoped:
        stmt = stmt.where(t.city_code == principal.city_code)
    else:
        stmt = stmt.where(t.city_code.in_(sorted(cities)))
    if search:
        stmt = stmt.where(t.name.contains(search))
    stmt = stmt.order_by(t.city_code, t.name).limit(limit)
    return [{"uscc": u, "name": n, "city_code": c} for u, n, c in session.execute(stmt)]


def chain_nodes(reference: Reference, lang: str = "zh") -> list[tuple[str, str]]:
    """``(node_id, "chain · node")`` for every chain node, in chain order."""
    chains = reference.chains.set_index("chain_id")
    col = "name" if lang == "zh" else "name_en"
    out = []
    for row in reference.chain_nodes.itertuples(index=False):
        chain = str(chains.at[row.chain_id, col]) if row.chain_id in chains.index else ""
        out.append((str(row.node_id), f"{chain} · {getattr(row, col)}"))
    return out


def enterprise_names(session: Session, ids: list[str]) -> dict[str, str]:
    """``{uscc: name}`` for the given firms."""
    t = models.Enterprise
    out: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        out.update(
            dict(session.execute(select(t.uscc, t.name).where(t.uscc.in_(chunk))).tuples().all())
        )
    return out


def latest_stages(session: Session, *, kind: str, query_id: str) -> dict[str, dict[str, Any]]:
    """``{candidate_id: {"stage", "date"}}``: the latest recorded step per candidate."""
    t = models.Outcome
    rows = session.execute(
        select(t.candidate_id, t.stage, t.date)
        .where(t.query_kind == kind, t.query_id == query_id)
        .order_by(t.date, t.id)
    )
    out: dict[str, dict[str, Any]] = {}
    for cand, stage, date in rows:
        out[str(cand)] = {"stage": str(stage), "date": date}
    return out


def label_of(options: Mapping[str, str], key: str) -> str:
    """The label of ``key`` among ``options`` (the key itself if unknown)."""
    return options.get(key, key)
