"""User accounts for people: user name, argon2id password hash, role and city.

People sign in to the web pages with an account; programs keep using API keys
(:mod:`recommender.security`). An account carries the same role and city as a key would
(checked by :func:`recommender.security.check_key_request`) and becomes the same
:class:`~recommender.security.Principal`, so every page is authorised by the one policy
table. Passwords are hashed with argon2id (``argon2-cffi``, its recommended parameters);
hashes made with older parameters are upgraded at the next successful sign-in.

A session refers to an account by id and :func:`session_ref`, a digest of the stored hash:
changing the password or disabling the account ends every session at once.

An account may expire (``expires_at``); an expired account signs in no more and its sessions
end. Failed sign-ins are logged (user name and client, never the password) and written to
the audit log; after :data:`MAX_FAILURES` failures for one user name, or
:data:`MAX_CLIENT_FAILURES` from one client, within :data:`FAILURE_WINDOW`, sign-ins are
refused (:class:`~recommender.errors.TooManyAttemptsError`) until the window has passed,
even with the right password. The count lives in the database, so every API process sharing
it enforces the same limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recommender import security
from recommender.db import repo_api
from recommender.db.models import AuditEntry, UserAccount, utcnow
from recommender.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    TooManyAttemptsError,
    ValidationError,
)
from recommender.security import Principal, audit

log = logging.getLogger(__name__)

MIN_PASSWORD: Final = 8
MAX_PASSWORD: Final = 256
USERNAME: Final = re.compile(r"^[\w.@\-]{2,64}$")
_hasher: Final = PasswordHasher()
# verified against when the user name is unknown, so both answers take as long
_DUMMY_HASH: Final = _hasher.hash("not a password of anyone")
BAD_SIGNIN: Final = "用户名或密码不正确，或账户已停用"
MAX_FAILURES: Final = 5  # per user name within FAILURE_WINDOW
MAX_CLIENT_FAILURES: Final = 20  # per client address within FAILURE_WINDOW
FAILURE_WINDOW: Final = dt.timedelta(minutes=15)
LOCKED_SIGNIN: Final = (
    "登录失败次数过多，请 15 分钟后再试 (too many failed sign-ins; try again later)"
)


def check_username(username: str) -> str:
    """The user name, stripped; :class:`ValidationError` unless 2–64 letters/digits/._@-."""
    name = username.strip()
    if not USERNAME.fullmatch(name):
        raise ValidationError(
            "用户名应为 2–64 个字母、数字、汉字或 . _ @ - (user name must be 2-64 letters, "
            f"digits or . _ @ -), got {username!r}"
        )
    return name


def check_password(password: str) -> None:
    """:class:`ValidationError` unless the password has 8–256 characters."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(
            f"密码应为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符 (password must have "
            f"{MIN_PASSWORD}-{MAX_PASSWORD} characters), got {len(password)}"
        )


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (checked by :func:`check_password`)."""
    check_password(password)
    return _hasher.hash(password)


def find_user(session: Session, username: str) -> UserAccount | None:
    """The account with this user name, if any (disabled ones too)."""
    return session.scalars(
        select(UserAccount).where(UserAccount.username == username.strip())
    ).first()


def _get(session: Session, username: str) -> UserAccount:
    row = find_user(session, username)
    if row is None:
        raise NotFoundError(f"没有用户 {username!r} (no user {username!r})")
    return row


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    city_code: str | None = None,
    label: str = "",
    expires_at: dt.datetime | None = None,
) -> UserAccount:
    """Create an account (role and city checked like an API key's) and commit."""
    name = check_username(username)
    security.check_key_request(
        role=role, city_code=city_code, known_cities=repo_api.known_city_codes(session)
    )
    if find_user(session, name) is not None:
        raise ConflictError(f"用户 {name!r} 已存在 (user {name!r} exists already)")
    now = utcnow()
    row = UserAccount(
        username=name,
        password_hash=hash_password(password),
        role=role,
        city_code=city_code or None,
        label=label.strip(),
        created_at=now,
        password_changed_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.commit()
    log.info("created user %s (role %s, city %s)", name, role, city_code or "-")
    return row


def set_password(session: Session, *, username: str, password: str) -> UserAccount:
    """Give an account a new password (ends its sessions) and commit."""
    row = _get(session, username)
    row.password_hash = hash_password(password)
    row.password_changed_at = utcnow()
    session.commit()
    log.info("new password for user %s", row.username)
    return row


def disable_user(session: Session, *, username: str) -> UserAccount:
    """Disable an account (idempotent; ends its sessions) and commit."""
    row = _get(session, username)
    if row.disabled_at is None:
        row.disabled_at = utcnow()
        session.commit()
        log.info("disabled user %s", row.username)
    return row


def enable_user(session: Session, *, username: str) -> UserAccount:
    """Enable a disabled account again and commit."""
    row = _get(session, username)
    row.disabled_at = None
    session.commit()
    return row


def set_expiry(session: Session, *, username: str, expires_at: dt.datetime | None) -> UserAccount:
    """Let an account expire at ``expires_at`` (None: never) and commit."""
    row = _get(session, username)
    row.expires_at = expires_at
    session.commit()
    log.info("user %s expires at %s", row.username, expires_at or "never")
    return row


def is_active(row: UserAccount, *, now: dt.datetime | None = None) -> bool:
    """Whether the account may sign in: neither disabled nor expired."""
    return row.disabled_at is None and not security.is_expired(row.expires_at, now=now)


def list_users(session: Session) -> list[UserAccount]:
    """Every account (disabled ones too), oldest first."""
    return list(session.scalars(select(UserAccount).order_by(UserAccount.id)))


def authenticate_user(
    session: Session, *, username: str, password: str, client: str = ""
) -> UserAccount:
    """The account if the password is right and it is active; :class:`AuthError` otherwise.

    Too many recent failures for the user name or the client: :class:`TooManyAttemptsError`
    (checked before the password). A failure is logged and audited (committed) before the
    error is raised. Commits the sign-in time (and an upgraded hash when the parameters
    changed).
    """
    name = username.strip()
    _check_rate(session, username=name, client=client)
    row = find_user(session, name) if name else None
    stored = row.password_hash if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        _failed(session, username=name, client=client, why="wrong password or no such user")
        raise AuthError(BAD_SIGNIN) from None
    if row is None or not is_active(row):
        _failed(session, username=name, client=client, why="account disabled or expired")
        raise AuthError(BAD_SIGNIN)
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    row.last_login_at = utcnow()
    session.commit()
    return row


def _check_rate(session: Session, *, username: str, client: str) -> None:
    since = utcnow() - FAILURE_WINDOW
    by_name = audit.count_since(session, action="signin.failed", target=username, since=since)
    by_client = 0
    if client:
        by_client = int(
            session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == "signin.failed",
                    AuditEntry.client == client[:64],
                    AuditEntry.at >= since,
                )
            )
            or 0
        )
    if by_name >= MAX_FAILURES or by_client >= MAX_CLIENT_FAILURES:
        log.warning(
            "sign-in refused for user %r from %s: %d failures for the name, %d from the "
            "client in the last %s",
            username,
            client or "-",
            by_name,
            by_client,
            FAILURE_WINDOW,
        )
        audit.add(
            session,
            actor=f"user:{username}",
            role="",
            action="signin.locked",
            target=username,
            detail={"failures_name": by_name, "failures_client": by_client},
            client=client,
        )
        session.commit()
        raise TooManyAttemptsError(LOCKED_SIGNIN)


def _failed(session: Session, *, username: str, client: str, why: str) -> None:
    """Log and audit a failed sign-in (never the password) and commit it."""
    log.warning("failed sign-in for user %r from %s: %s", username, client or "-", why)
    session.rollback()  # nothing half-done of this request goes in with the entry
    audit.add(
        session,
        actor=f"user:{username}",
        role="",
        action="signin.failed",
        target=username,
        detail={"reason": why},
        client=client,
    )
    session.commit()


def session_ref(row: UserAccount) -> str:
    """What a session keeps of the account: 16 hex digits of a digest of its hash."""
    return hashlib.sha256(row.password_hash.encode("utf-8")).hexdigest()[:16]


def principal_of(row: UserAccount) -> Principal:
    """The account as a :class:`Principal` (no API key; authorised by the same policy)."""
    return Principal(
        key_id=None,
        user_id=row.id,
        role=row.role,
        city_code=row.city_code or None,
        label=row.label or row.username,
    )
