"""API keys, roles and city scoping: who may do what, decided in one table.

Roles
-----
``promotion_office`` (招商局 of one city), ``organiser`` (matchmaking events), ``analyst``
(outcomes, imports, models), ``coordinator`` (province or pairing level: reads everything,
the dashboard of all eight pairings included, and writes nothing) and ``admin`` (everything,
including keys).

City scoping
------------
A ``promotion_office`` key carries exactly one ``city_code`` (other roles carry none and are
never scoped). For a scoped key:

- enterprises are shared reference data: every role that may read them sees all of them;
- parks, needs, events and outcomes are scoped: lists are filtered to the key's city, and
  reading or writing a record of another city is refused with 403. A need belongs to the
  city of its owner (the enterprise or park that states it); an outcome belongs to the cities
  of its query entity and of its candidate (a 蚌埠 office records outcomes in which either
  side is in 蚌埠), so a 宁波 leading firm meeting a 蚌埠 supplier is 蚌埠's business too.
- asking a list for another city's records (``city=``) is refused with 403 rather than
  silently answered with the key's own city.

Expiry, revocation, rotation
----------------------------
A key may carry ``expires_at``: from then on it is refused like a revoked one (401, saying
it expired). :func:`rotate_key` issues a successor with the same role, city and label and
either revokes the old key at once or lets it live for a grace period (so a program can be
switched over without downtime); ``replaced_by`` links the two.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from sqlalchemy.orm import Session

from recommender.db import repo, repo_api
from recommender.db.models import ApiKey, utcnow
from recommender.errors import AuthError, ForbiddenError, NotFoundError, ValidationError

log = logging.getLogger(__name__)

Role = Literal["promotion_office", "organiser", "analyst", "coordinator", "admin"]
Action = Literal["read", "write"]

ROLES: Final[tuple[Role, ...]] = (
    "promotion_office",
    "organiser",
    "analyst",
    "coordinator",
    "admin",
)
SCOPED_ROLES: Final[frozenset[str]] = frozenset({"promotion_office"})
# resources whose records belong to a city; enterprises are shared reference data
CITY_SCOPED: Final[frozenset[str]] = frozenset(
    {"parks", "needs", "events", "outcomes", "projects", "dashboard"}
)

_ALL: Final = frozenset(ROLES)
_PO, _ORG, _AN, _AD = "promotion_office", "organiser", "analyst", "admin"
_CO: Final = "coordinator"  # read-only: in no write set
_WRITERS: Final = _ALL - {_CO}

# The authorisation matrix: resource -> action -> roles allowed. Every route asks this table.
POLICY: Final[Mapping[str, Mapping[Action, frozenset[str]]]] = {
    "enterprises": {"read": _ALL, "write": frozenset({_ORG, _AN, _AD})},
    "parks": {"read": _ALL, "write": frozenset({_PO, _AN, _AD})},
    "needs": {"read": _ALL, "write": frozenset({_PO, _ORG, _AN, _AD})},
    "events": {"read": _ALL, "write": frozenset({_ORG, _AD})},
    "outcomes": {"read": _ALL, "write": _WRITERS},
    "imports": {"read": frozenset({_AN, _AD}), "write": frozenset({_AN, _AD})},
    "models": {"read": frozenset({_AN, _AD}), "write": frozenset({_AN, _AD})},
    "keys": {"read": frozenset({_AD}), "write": frozenset({_AD})},
    # who viewed/exported which list, who promoted which model (recommender.security.audit)
    "audit": {"read": frozenset({_AD}), "write": frozenset({_AD})},
    # the ranking endpoints: offices rank investors/suppliers
    "rank": {"read": _ALL, "write": _WRITERS},
    # the project ledger and the dashboard; dashboard writes are yearly targets
    "projects": {"read": frozenset({_PO, _AN, _CO, _AD}), "write": frozenset({_PO, _AN, _AD})},
    "dashboard": {"read": frozenset({_PO, _AN, _CO, _AD}), "write": frozenset({_PO, _AD})},
}


def allowed_roles(resource: str, action: Action) -> frozenset[str]:
    """The roles that may perform ``action`` on ``resource`` (KeyError for an unknown one)."""
    try:
        return POLICY[resource][action]
    except KeyError:
        raise KeyError(
            f"no policy for resource {resource!r}, action {action!r}; "
            f"expected a resource in {sorted(POLICY)}"
        ) from None


@dataclass(frozen=True)
class Principal:
    """The caller, as its API key (programs) or its user account (people) describes it."""

    key_id: int | None
    role: str
    city_code: str | None = None
    label: str = ""
    user_id: int | None = None

    @property
    def scoped(self) -> bool:
        """Whether this key only sees one city's parks, needs, events and outcomes."""
        return self.city_code is not None and self.role in SCOPED_ROLES

    def require_role(self, roles: Collection[str]) -> None:
        """Raise :class:`ForbiddenError` unless this key's role is one of ``roles``."""
        if self.role not in roles:
            raise ForbiddenError(
                f"role {self.role!r} may not do this; expected one of {sorted(roles)}"
            )

    def list_city(self, resource: str, requested: str | None) -> str | None:
        """The city filter a list of ``resource`` must use for this key."""
        if not self.scoped or resource not in CITY_SCOPED:
            return requested
        if requested is not None and requested != self.city_code:
            raise ForbiddenError(
                f"this key is limited to city {self.city_code}; got a request for city {requested}"
            )
        return self.city_code

    def check_city(self, resource: str, cities: Iterable[str], *, what: str) -> None:
        """Raise :class:`ForbiddenError` if a scoped key touches a record outside its city.

        ``cities`` are the cities the record belongs to; one match suffices.
        """
        if not self.scoped or resource not in CITY_SCOPED:
            return
        found = sorted({c for c in cities if c})
        if self.city_code not in found:
            raise ForbiddenError(
                f"{what} belongs to city {', '.join(found) or '(unknown)'}; "
                f"this key is limited to city {self.city_code}"
            )

    def check_enterprise_write(self, city_code: str, *, what: str) -> None:
        """Writes to shared enterprises by a scoped key stay inside its city."""
        if self.scoped and city_code != self.city_code:
            raise ForbiddenError(
                f"{what} is in city {city_code}; this key is limited to city {self.city_code}"
            )


def parse_key(*, x_api_key: str | None, authorization: str | None) -> str | None:
    """The plaintext key from ``X-API-Key`` or ``Authorization: Bearer``, if any."""
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


def authenticate(session: Session, plaintext: str | None) -> Principal:
    """Look the key up by its hash; :class:`AuthError` if absent, unknown or revoked."""
    if not plaintext:
        raise AuthError("an API key is required: send it as X-API-Key or Authorization: Bearer")
    row = repo.find_api_key(session, plaintext=plaintext)
    if row is None or row.revoked_at is not None:
        raise AuthError("unknown or revoked API key")
    if is_expired(row.expires_at):
        raise AuthError(
            f"API key {row.prefix}… expired at {row.expires_at:%Y-%m-%d %H:%M} UTC; "
            "ask an admin for a new one (chainmatch keys rotate)"
        )
    return Principal(key_id=row.id, role=row.role, city_code=row.city_code or None, label=row.label)


def check_key_request(*, role: str, city_code: str | None, known_cities: Collection[str]) -> None:
    """Validate a new key's role and city: promotion offices need a city, others none."""
    if role not in ROLES:
        raise ValidationError(f"role must be one of {list(ROLES)}, got {role!r}")
    if role in SCOPED_ROLES:
        if not city_code:
            raise ValidationError(f"a {role} key needs a city (adcode such as 340300), got none")
        if known_cities and city_code not in known_cities:
            raise ValidationError(f"city must be a known 6-digit adcode, got {city_code!r}")
    elif city_code:
        raise ValidationError(
            f"only {sorted(SCOPED_ROLES)} keys carry a city; got city {city_code!r} "
            f"for role {role!r}"
        )


def is_expired(expires_at: dt.datetime | None, *, now: dt.datetime | None = None) -> bool:
    """Whether an ``expires_at`` (naive UTC; None: never) has passed."""
    return expires_at is not None and expires_at <= (now or utcnow())


def expiry(days: float | None) -> dt.datetime | None:
    """The ``expires_at`` of something valid for ``days`` from now (None: never expires)."""
    if days is None:
        return None
    if not days > 0:
        raise ValidationError(f"expiry must be a number of days > 0, got {days}")
    return utcnow() + dt.timedelta(days=days)


def create_key(
    session: Session,
    *,
    role: str,
    city_code: str | None = None,
    label: str = "",
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key (checked by :func:`check_key_request`) and commit; (row, plaintext)."""
    check_key_request(
        role=role, city_code=city_code, known_cities=repo_api.known_city_codes(session)
    )
    row, plaintext = repo.create_api_key(session, role=role, city_code=city_code, label=label)
    row.expires_at = expires_at
    session.commit()
    log.info("issued API key %s (role %s, city %s)", row.id, role, city_code or "-")
    return row, plaintext


def rotate_key(
    session: Session,
    *,
    key_id: int,
    grace: dt.timedelta = dt.timedelta(0),
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Replace a key by a new one (same role, city, label) and commit; (new row, plaintext).

    The old key is revoked now (``grace`` 0) or expires after ``grace``; a key that is
    revoked, expired or already replaced cannot be rotated (:class:`ValidationError`).
    """
    old = session.get(ApiKey, key_id)
    if old is None:
        raise NotFoundError(f"API key id {key_id} not found")
    if old.revoked_at is not None or is_expired(old.expires_at) or old.replaced_by is not None:
        raise ValidationError(
            f"API key {key_id} is revoked, expired or already replaced; "
            "expected an active key (issue a new one with keys create)"
        )
    if grace < dt.timedelta(0):
        raise ValidationError(f"grace must be >= 0, got {grace}")
    row, plaintext = repo.create_api_key(
        session, role=old.role, city_code=old.city_code, label=old.label
    )
    row.expires_at = expires_at
    old.replaced_by = row.id
    now = utcnow()
    if grace == dt.timedelta(0):
        old.revoked_at = now
    else:
        end = now + grace
        old.expires_at = end if old.expires_at is None else min(old.expires_at, end)
    session.commit()
    log.info("rotated API key %s -> %s (old key valid for %s)", key_id, row.id, grace)
    return row, plaintext


def revoke_key(session: Session, *, key_id: int) -> ApiKey:
    """Revoke a key (idempotent) and commit; :class:`NotFoundError` if absent."""
    row = repo.revoke_api_key(session, key_id=key_id)
    session.commit()
    log.info("revoked API key %s", key_id)
    return row


def list_keys(session: Session) -> list[ApiKey]:
    """Every key (revoked ones too), oldest first."""
    return list(repo.list_api_keys(session, include_revoked=True))
