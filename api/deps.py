"""Dependency aliases for routes: the runtime and its parts, a database session, the caller's
key, roles, paging."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recommender import security
from recommender.runtime import Runtime
from recommender.security import Action, Principal
from recommender.settings import Settings

if TYPE_CHECKING:
    from features.reference import Reference
    from recommender.projects.dashboard import DashboardCache
    from recommender.ranking.factory import ServiceHolder
    from recommender.ranking.logbook import RecommendationLog
    from recommender.ranking.service import RankingService

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API key (`chainmatch keys create`)"
)
_bearer = HTTPBearer(auto_error=False, description="the same API key as a Bearer token")
log = logging.getLogger(__name__)
T = TypeVar("T")


def runtime_of(request: Request) -> Runtime:
    """The app's runtime (the composition root, built by :func:`api.app.create_app`)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was built with."""
    return runtime_of(request).settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, rolled back on error and always closed.

    Async so that FastAPI does not send it to the thread pool: making a session does no I/O
    (the connection is taken on first use, in the route's thread); closing it, which may
    talk to the database, runs in the pool.
    """
    session = runtime_of(request).session_factory()
    try:
        yield session
    except Exception:
        await run_in_threadpool(_rollback, session)
        raise
    finally:
        await run_in_threadpool(_close, session)


def _rollback(session: Session) -> None:
    with contextlib.suppress(SQLAlchemyError):  # the error itself is what gets answered
        session.rollback()


def _close(session: Session) -> None:
    try:
        session.close()
    except SQLAlchemyError:
        # the server dropped the connection (a restart): the answer is already on its way,
        # so only forget the connection; the pool opens a new one for the next request
        log.warning("closing a session whose database connection was lost")
        with contextlib.suppress(SQLAlchemyError):
            session.invalidate()


def get_reference(request: Request) -> Reference:
    """The reference data, loaded on first use."""
    return runtime_of(request).reference


def get_ranking_holder(request: Request) -> ServiceHolder:
    """The ranking service holder (for callers that need the service only sometimes)."""
    return runtime_of(request).ranking


def get_ranking(request: Request) -> RankingService:
    """The current ranking service, built on first use."""
    return runtime_of(request).ranking.get()


def get_log(request: Request) -> RecommendationLog:
    """The recommendation-log writer: every list shown is logged through it."""
    return runtime_of(request).recommendation_log


def get_dashboard_cache(request: Request) -> tuple[DashboardCache, int]:
    """The dashboard cache and the installation's data stamp it is keyed by."""
    from recommender.db import datastamp

    runtime = runtime_of(request)
    return runtime.dashboard_cache, datastamp.read(runtime.settings.home)


async def in_rank_lane(request: Request, work: Callable[[], T]) -> T:
    """Run ranking work in the process's ranking lane: at most ``settings.rank_threads``
    lists are computed at once, the others wait in arrival order.

    A list is CPU work that holds the GIL most of the time; several lists in threads of one
    process only take turns at it, each finishing later, and the event loop waits for the GIL
    between them. One at a time, 200k firms, 2 workers, wrk 8 connections, three 30 s runs
    alternated with the thread pool of 40: p99 180 / 177 / 188 ms -> 92 / 75 / 76 ms,
    243 / 227 / 254 -> 262 / 243 / 286 req/s.
    """
    lane: anyio.CapacityLimiter = request.app.state.rank_lane
    return await anyio.to_thread.run_sync(work, limiter=lane)


# The dependencies below are async so that FastAPI calls them on the event loop instead of
# sending each to the thread pool (a hop per dependency per request); what may block (the
# first load of the reference data or of the ranking service) still runs in the pool.
def _on_loop(get: Callable[[Request], T]) -> Callable[[Request], Awaitable[T]]:
    """The async dependency of a getter that does no I/O."""

    async def dep(request: Request) -> T:
        return get(request)

    return dep


async def _reference_dep(request: Request) -> Reference:
    if "reference" in vars(runtime_of(request)):  # loaded: a cached attribute
        return get_reference(request)
    return await run_in_threadpool(get_reference, request)


async def _ranking_dep(request: Request) -> RankingService:
    holder = runtime_of(request).ranking
    if holder.ready:
        return holder.get()
    return await run_in_threadpool(holder.get)


RuntimeDep = Annotated[Runtime, Depends(_on_loop(runtime_of))]
SettingsDep = Annotated[Settings, Depends(_on_loop(get_settings_dep))]
SessionDep = Annotated[Session, Depends(get_session)]
ReferenceDep = Annotated["Reference", Depends(_reference_dep)]
RankingDep = Annotated["RankingService", Depends(_ranking_dep)]
RankingHolderDep = Annotated["ServiceHolder", Depends(_on_loop(get_ranking_holder))]
LogDep = Annotated["RecommendationLog", Depends(_on_loop(get_log))]
DashboardCacheDep = Annotated["tuple[DashboardCache, int]", Depends(_on_loop(get_dashboard_cache))]


def get_current_key(
    request: Request,
    session: SessionDep,
    x_api_key: Annotated[str | None, Security(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Principal:
    """The caller's key from ``X-API-Key`` or ``Authorization: Bearer``; 401 if none works.

    The principal is also left on ``request.state`` for the audit (api/middleware.py).
    """
    authorization = f"Bearer {bearer.credentials}" if bearer is not None else None
    plaintext = security.parse_key(x_api_key=x_api_key, authorization=authorization)
    principal = security.authenticate(session, plaintext)
    request.state.principal = principal
    return principal


CurrentKey = Annotated[Principal, Depends(get_current_key)]


def require_role(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that returns the caller's key if its role is one of ``roles`` (else 403)."""
    unknown = set(roles) - set(security.ROLES)
    if not roles or unknown:
        raise ValueError(f"roles must be a non-empty subset of {security.ROLES}, got {roles}")

    async def _dep(key: CurrentKey) -> Principal:  # async: no thread-pool hop for a check
        key.require_role(roles)
        return key

    return _dep


def require_access(resource: str, action: Action) -> Any:
    """``Depends`` on the caller's key, checked against :data:`recommender.security.POLICY`."""
    return Depends(require_role(*sorted(security.allowed_roles(resource, action))))


# paging and filters shared by every list
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]
Limit = Annotated[int, Query(ge=1, le=500, description="rows per page, at most 500")]
Search = Annotated[
    str | None, Query(min_length=1, max_length=100, description="substring of id, name or text")
]
CityFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=32, description="city: adcode or name (340300, 蚌埠, 闵行区)"),
]
PathId = Annotated[str, Path(min_length=1, max_length=64, description="record id")]
