"""User accounts for people: user name, argon2id password hash, role and city.

People sign in to the web pages with an account; programs keep using API keys
(:mod:`recommender.security`). An account carries the same role and city as a key would
(checked by :func:`recommender.security.check_key_request`) and becomes the same
:class:`~recommender.security.Principal`, so every page is authorised by the one policy
table. Passwords are hashed with argon2id (``argon2-cffi``, its recommended parameters);
hashes made with older parameters are upgraded at the next successful sign-in.

A session refers to an account by id and :func:`session_ref`, a digest of the stored hash:
changing the password or disabling the account ends every session at once.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from recommender import security
from recommender.db import repo_api
from recommender.db.models import UserAccount, utcnow
from recommender.errors import AuthError, ConflictError, NotFoundError, ValidationError
from recommender.security import Principal

log = logging.getLogger(__name__)

MIN_PASSWORD: Final = 8
MAX_PASSWORD: Final = 256
USERNAME: Final = re.compile(r"^[\w.@\-]{2,64}$")
_hasher: Final = PasswordHasher()
# verified against when the user name is unknown, so both answers take as long
_DUMMY_HASH: Final = _hasher.hash("not a password of anyone")
BAD_SIGNIN: Final = "用户名或密码不正确，或账户已停用"


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


def list_users(session: Session) -> list[UserAccount]:
    """Every account (disabled ones too), oldest first."""
    return list(session.scalars(select(UserAccount).order_by(UserAccount.id)))


def authenticate_user(session: Session, *, username: str, password: str) -> UserAccount:
    """The account if the password is right and it is enabled; :class:`AuthError` otherwise.

    Commits the sign-in time (and an upgraded hash when the parameters changed).
    """
    row = find_user(session, username) if username.strip() else None
    stored = row.password_hash if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise AuthError(BAD_SIGNIN) from None
    if row is None or row.disabled_at is not None:
        raise AuthError(BAD_SIGNIN)
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    row.last_login_at = utcnow()
    session.commit()
    return row


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
