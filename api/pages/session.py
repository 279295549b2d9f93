"""The web pages' session: an HMAC-signed cookie that refers to a user account.

People sign in with a user name and password (:mod:`recommender.security.accounts`); API
keys are for programs. The cookie carries the account's id and
:func:`recommender.security.accounts.session_ref` (a digest of its password hash), the
language, a CSRF token and the time it was issued.
Every request looks the account up again, so disabling it or changing its password ends its
sessions at once. The signing secret comes from the settings
(``session_secret``, if the settings object has one) or else from ``$CHAINMATCH_HOME/
session.key`` (32 random bytes, created on first use, mode 0600), so several API processes
sharing a home accept each other's cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.pages.i18n import normalise_lang
from recommender.db.models import UserAccount
from recommender.security import Principal, accounts

COOKIE: Final = "cm_session"
MAX_AGE: Final = 12 * 3600  # seconds a sign-in lasts
_secret_lock = threading.Lock()

# page -> roles that see it (the menu follows this table)
PAGES: Final[dict[str, frozenset[str]]] = {
    "zhaoshang": frozenset({"promotion_office", "admin"}),
    "peitao": frozenset({"promotion_office", "organiser", "admin"}),
    "events": frozenset({"organiser", "admin"}),
    "analysis": frozenset({"analyst", "admin"}),
    "dashboard": frozenset({"promotion_office", "analyst", "coordinator", "admin"}),
}
PAGE_PATHS: Final[dict[str, str]] = {
    "zhaoshang": "/zhaoshang",
    "peitao": "/peitao",
    "events": "/events",
    "analysis": "/analysis",
    "dashboard": "/dashboard",
}


class LoginRequiredError(Exception):
    """The request has no valid session; the pages answer with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageForbiddenError(Exception):
    """The signed-in role may not open this page (answered with a 403 page)."""


@dataclass
class SessionData:
    """What the cookie says (all optional before sign-in)."""

    user_id: int | None = None
    user_ref: str = ""
    lang: str = "zh"
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    issued: int = field(default_factory=lambda: int(time.time()))


@dataclass(frozen=True)
class PageUser:
    """The signed-in user of a page: the account's principal plus the session's language."""

    principal: Principal
    lang: str
    csrf: str
    city_name: str = ""

    @property
    def role(self) -> str:
        return self.principal.role

    def may_open(self, page: str) -> bool:
        """Whether this user's role sees ``page``."""
        return self.principal.role in PAGES[page]

    @property
    def menu(self) -> list[tuple[str, str]]:
        """``(page, path)`` for every page the role sees, in menu order."""
        return [(p, PAGE_PATHS[p]) for p in PAGES if self.may_open(p)]


# ----------------------------------------------------------------------------- signing
def _secret(request: Request) -> bytes:
    state = request.app.state
    cached: bytes | None = getattr(state, "pages_secret", None)
    if cached is not None:
        return cached
    with _secret_lock:
        settings = state.runtime.settings
        configured = getattr(settings, "session_secret", "") or ""
        if configured:
            secret = str(configured).encode("utf-8")
        else:
            secret = _secret_file(Path(settings.home) / "session.key")
        state.pages_secret = secret
    return secret


def _secret_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return data


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, data: SessionData) -> str:
    """The cookie value for ``data``: ``payload.signature``, both base64url."""
    payload = json.dumps(
        {"u": data.user_id, "h": data.user_ref, "l": data.lang, "c": data.csrf, "t": data.issued},
        separators=(",", ":"),
    ).encode("utf-8")
    mac = hmac.new(secret, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def unsign(secret: bytes, value: str, *, now: float | None = None) -> SessionData | None:
    """The session in a cookie value, or None if it is forged, malformed or expired."""
    try:
        head, _, tail = value.partition(".")
        payload, mac = _unb64(head), _unb64(tail)
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(mac, hmac.new(secret, payload, hashlib.sha256).digest()):
        return None
    try:
        raw: dict[str, Any] = json.loads(payload)
        data = SessionData(
            user_id=None if raw["u"] is None else int(raw["u"]),
            user_ref=str(raw["h"]),
            lang=normalise_lang(str(raw["l"])),
            csrf=str(raw["c"]),
            issued=int(raw["t"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if (now if now is not None else time.time()) - data.issued > MAX_AGE:
        return None
    return data


def read_session(request: Request) -> SessionData:
    """The request's session, or a fresh anonymous one."""
    value = request.cookies.get(COOKIE)
    data = unsign(_secret(request), value) if value else None
    return data or SessionData()


def write_session(request: Request, response: Response, data: SessionData) -> None:
    """Set the signed cookie (HttpOnly, SameSite=Lax, Secure when served over https)."""
    response.set_cookie(
        COOKIE,
        sign(_secret(request), data),
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def principal_of(session: Session, data: SessionData) -> Principal | None:
    """The account the session refers to, if it still exists, is enabled and matches."""
    if data.user_id is None:
        return None
    row = session.get(UserAccount, data.user_id)
    if row is None or not accounts.is_active(row):  # disabled or expired
        return None
    if not hmac.compare_digest(accounts.session_ref(row), data.user_ref):
        return None
    return accounts.principal_of(row)


# ----------------------------------------------------------------------------- dependencies
def current_user(request: Request, session: SessionDep) -> PageUser:
    """The signed-in user; raises :class:`LoginRequiredError` (a redirect) when there is none."""
    data = read_session(request)
    principal = principal_of(session, data)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(target)
    request.state.principal = principal  # for the audit of the lists pages show
    city_name = _city_name(request, principal.city_code, data.lang)
    return PageUser(principal=principal, lang=data.lang, csrf=data.csrf, city_name=city_name)


UserDep = Annotated[PageUser, Depends(current_user)]


def _city_name(request: Request, code: str | None, lang: str) -> str:
    """The name of a user's city, from the reference data ("" if none or unknown)."""
    if not code:
        return ""
    from api.deps import get_reference

    cities = get_reference(request).cities
    hit = cities[cities["city_code"] == code]
    if hit.empty:
        return ""
    return str(hit["name" if lang == "zh" else "name_en"].iloc[0])


def optional_user(request: Request) -> PageUser | None:
    """The signed-in user, or None (for pages any visitor may see: errors, 403)."""
    from api.deps import runtime_of

    session: Session = runtime_of(request).session_factory()
    try:
        return current_user(request, session)
    except LoginRequiredError:
        return None
    finally:
        session.close()


def page_user(page: str) -> Any:
    """``Depends`` on a signed-in user whose role may open ``page`` (else a 403 page)."""
    if page not in PAGES:
        raise ValueError(f"page must be one of {sorted(PAGES)}, got {page!r}")

    def _dep(user: UserDep) -> PageUser:
        if not user.may_open(page):
            raise PageForbiddenError(page)
        return user

    return Depends(_dep)


def check_csrf(user: PageUser, token: str) -> None:
    """Refuse a form post whose CSRF token is not this session's."""
    if not hmac.compare_digest(user.csrf.encode(), (token or "").encode()):
        raise PageForbiddenError("csrf")
