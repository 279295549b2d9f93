"""Ranked lists as people get them: one path for the API, the pages and the CLI.

A list is asked for by someone (an API key, a signed-in person, or the server's shell),
checked against that someone's city scope, ranked by the current
:class:`~recommender.ranking.service.RankingService`, and every candidate shown goes to the
recommendation log (who saw what, when, with which model), which feeds exposure caps,
inverse-propensity weights and the dashboard's attribution of signed projects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from recommender.db import repo
from recommender.db.models import utcnow
from recommender.errors import ForbiddenError, NotFoundError
from recommender.ingest.cities import city_codes
from recommender.ranking.results import RankFilters

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

    from recommender.projects.targeting import ChainTargets
    from recommender.ranking.logbook import RecommendationLog
    from recommender.ranking.service import RankedList, RankingService
    from recommender.security import Principal


def filters_for(
    cities: pd.DataFrame,
    *,
    provinces: Iterable[str] = (),
    city: Iterable[str] = (),
    industry: str = "",
    node: str = "",
    size: str = "",
    min_srdi: str = "",
    exclude: Iterable[str] = (),
    what: str = "city",
) -> RankFilters:
    """Candidate filters from what a form, a query string or the command line gave.

    ``city`` holds adcodes or names (蚌埠, 闵行区, 330200), resolved against ``cities``;
    an unknown one raises :class:`~recommender.errors.ValidationError` naming ``what``.
    """
    return RankFilters(
        provinces=tuple(provinces),
        city_codes=city_codes(city, cities, what=what),
        industry_prefix=industry,
        chain_node=node,
        size_band=size,
        min_srdi=min_srdi,
        exclude_ids=tuple(exclude),
    )


def check_scope(session: Session, principal: Principal | None, *, kind: str, query_id: str) -> None:
    """A city-scoped caller ranks only for its own city's parks and firms.

    Raises :class:`~recommender.errors.ForbiddenError` otherwise; an unknown query passes
    (the ranking service answers it with a not-found error that names it).
    """
    if principal is None or not principal.scoped:
        return
    entity = "parks" if kind == "investor" else "enterprises"
    try:
        row = repo.get_by_key(session, kind=entity, key=query_id)
    except NotFoundError:
        return
    if row.get("city_code") != principal.city_code:
        raise ForbiddenError(
            f"{query_id} is in city {row.get('city_code')}; this key is limited to city "
            f"{principal.city_code}"
        )


def shown_rows(
    lists: Sequence[RankedList], *, principal: Principal | None, shown_at: dt.datetime
) -> list[dict[str, Any]]:
    """The recommendation-log rows of ``lists``: one per candidate shown."""
    key_id = principal.key_id if principal is not None else None
    return [
        {
            "shown_at": shown_at,
            "api_key_id": key_id,
            "query_kind": r.kind,
            "query_id": r.query_id,
            "candidate_id": c.candidate_id,
            "rank": c.rank,
            "score": c.final_score,
            "model_version": r.model_version,
        }
        for r in lists
        for c in r.candidates
    ]


def rank_lists(
    service: RankingService,
    log: RecommendationLog,
    *,
    session: Session | None,
    principal: Principal | None,
    kind: str,
    query_ids: Sequence[str],
    k: int,
    filters: RankFilters | None = None,
) -> list[RankedList]:
    """Rank for every query (one query: one list; several: a batch under the exposure cap)
    after the scope check, and log every candidate shown.

    ``session`` is needed only for a city-scoped ``principal``; ``principal`` is None for
    the server's shell (the log then names no key).
    """
    if principal is not None and principal.scoped:
        if session is None:
            raise ValueError("a city-scoped principal needs a session for the scope check")
        for query_id in query_ids:
            check_scope(session, principal, kind=kind, query_id=query_id)
    if len(query_ids) == 1:
        lists = [service.rank(kind, query_ids[0], k=k, filters=filters)]
    else:
        lists = service.rank_batch(kind, list(query_ids), k=k, filters=filters)
    log.submit(shown_rows(lists, principal=principal, shown_at=utcnow()))
    return lists


def rank_one(
    service: RankingService,
    log: RecommendationLog,
    *,
    session: Session | None,
    principal: Principal | None,
    kind: str,
    query_id: str,
    k: int,
    filters: RankFilters | None = None,
) -> RankedList:
    """:func:`rank_lists` for one query."""
    return rank_lists(
        service,
        log,
        session=session,
        principal=principal,
        kind=kind,
        query_ids=[query_id],
        k=k,
        filters=filters,
    )[0]


def log_chain_targets(log: RecommendationLog, principal: Principal, got: ChainTargets) -> None:
    """Log a chain-based list (以商招商) as the park's investor list, so that a signed
    project it led to is attributed to it on the dashboard."""
    shown_at = utcnow()
    version = got.model_versions[0] if got.model_versions else ""
    log.submit(
        [
            {
                "shown_at": shown_at,
                "api_key_id": principal.key_id,
                "query_kind": "investor",
                "query_id": got.park_id,
                "candidate_id": t.candidate_id,
                "rank": t.rank,
                "score": t.score,
                "model_version": version,
            }
            for t in got.targets
        ]
    )
