"""The audit log: who viewed or exported which list, who promoted or rolled back which model,
which sign-ins failed. Readable by admins only (``GET /v1/audit``, ``chainmatch audit``).

An entry names its actor as ``user:NAME`` (a person signed in to the pages), ``key:ID``
(a program with an API key) or ``cli:OSUSER`` (someone at the server's shell), the actor's
role, an action from :data:`ACTIONS`, the target (a list, a version, a user name) and the
client address. Entries are written in their own short transaction so that recording never
depends on, or undoes, the work it records. Secrets (keys, passwords) are never part of an
entry.

The API records the lists it serves through an :class:`AuditWriter`: the request hands its
entry over and a writer thread inserts what has gathered every quarter second in one
transaction, so an audited request costs no database connection of its own and many of
them at once never exhaust the pool. At most one interval of entries can be lost if the
process dies; :meth:`AuditWriter.flush` writes everything pending (reading the log does it
first, so an admin always sees every answer already given).
"""

from __future__ import annotations

import datetime as dt
import getpass
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from recommender.db.batches import BatchWriter
from recommender.db.models import AuditEntry, UserAccount, table_of, utcnow
from recommender.errors import ValidationError
from recommender.security import Principal

log = logging.getLogger(__name__)

# action -> what it means (the one vocabulary; the API and the CLI list it)
ACTIONS: Final[Mapping[str, str]] = {
    "list.view": "查看名单 (viewed a ranked list)",
    "list.export": "导出名单 (exported a ranked list)",
    "schedule.export": "导出对接会日程 (exported an event schedule)",
    "dashboard.export": "导出成效看板 (exported the dashboard)",
    "model.promote": "模型上线 (promoted a model)",
    "model.rollback": "模型回退 (rolled a model back)",
    "signin.failed": "登录失败 (failed sign-in)",
    "signin.locked": "登录已被限制 (sign-in refused: too many failures)",
    "key.create": "创建密钥 (issued an API key)",
    "key.revoke": "吊销密钥 (revoked an API key)",
    "key.rotate": "轮换密钥 (rotated an API key)",
    "audit.view": "查看审计日志 (read the audit log)",
    "backup.create": "备份 (made a backup)",
    "backup.restore": "恢复 (restored a backup)",
}
MAX_TARGET: Final = 512
MAX_ACTOR: Final = 128


def actor_of(principal: Principal | None) -> tuple[str, str]:
    """``(actor, role)`` of a caller: ``user:NAME``, ``key:ID`` or ``cli:OSUSER``."""
    if principal is None:
        return cli_actor(), "admin"
    if principal.user_id is not None:
        return f"user:{principal.user_id}", principal.role
    if principal.key_id is not None:
        return f"key:{principal.key_id}", principal.role
    return principal.label or "unknown", principal.role


def cli_actor() -> str:
    """The actor of a shell command: the operating-system user who ran it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli:unknown"


def add(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    target: str = "",
    detail: Mapping[str, Any] | None = None,
    client: str = "",
) -> AuditEntry:
    """Add one entry to ``session`` (flush only; the caller commits)."""
    entry = AuditEntry(
        **_values(
            actor=actor, role=role, action=action, target=target, detail=detail, client=client
        )
    )
    session.add(entry)
    session.flush()
    return entry


def _values(
    *,
    actor: str,
    role: str,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None,
    client: str,
) -> dict[str, Any]:
    """The column values of one entry, checked and cut to the columns' sizes."""
    if action not in ACTIONS:
        raise ValidationError(f"audit action must be one of {sorted(ACTIONS)}, got {action!r}")
    return {
        "at": utcnow(),
        "actor": actor[:MAX_ACTOR],
        "role": role[:32],
        "action": action,
        "target": target[:MAX_TARGET],
        "detail": dict(detail or {}),
        "client": client[:64],
    }


def record(
    factory: sessionmaker[Session],
    *,
    principal: Principal | None,
    action: str,
    target: str = "",
    detail: Mapping[str, Any] | None = None,
    client: str = "",
) -> None:
    """Write one entry in its own transaction (``principal`` None: the shell's user).

    A signed-in person is named by the account's user name (``user:NAME``).
    """
    actor, role = actor_of(principal)
    with factory() as session:
        if principal is not None and principal.user_id is not None:
            account = session.get(UserAccount, principal.user_id)
            actor = f"user:{account.username}" if account is not None else actor
        add(
            session,
            actor=actor,
            role=role,
            action=action,
            target=target,
            detail=detail,
            client=client,
        )
        session.commit()
    log.info("audit %s by %s: %s", action, actor, target)


def entries(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[AuditEntry]:
    """Entries, newest first, filtered by action (or prefix ``list.``), actor and time."""
    if not 1 <= limit <= 10_000:
        raise ValidationError(f"limit must be between 1 and 10000, got {limit}")
    stmt = select(AuditEntry)
    if action:
        if action.endswith("."):
            stmt = stmt.where(AuditEntry.action.startswith(action))
        elif action in ACTIONS:
            stmt = stmt.where(AuditEntry.action == action)
        else:
            raise ValidationError(
                f"action must be one of {sorted(ACTIONS)} or a prefix such as 'list.', "
                f"got {action!r}"
            )
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)
    return list(session.scalars(stmt))


def count_since(session: Session, *, action: str, target: str, since: dt.datetime) -> int:
    """How many ``action`` entries about ``target`` were written since ``since``."""
    stmt = select(func.count(AuditEntry.id)).where(
        AuditEntry.action == action, AuditEntry.target == target, AuditEntry.at >= since
    )
    return int(session.scalar(stmt) or 0)


class AuditWriter(BatchWriter):
    """A batching writer of audit entries, off the request path (thread-safe)."""

    def __init__(self, factory: sessionmaker[Session], *, interval: float = 0.25) -> None:
        super().__init__(factory, name="audit-log", interval=interval)

    def submit(
        self,
        *,
        principal: Principal | None,
        action: str,
        target: str = "",
        detail: Mapping[str, Any] | None = None,
        client: str = "",
    ) -> None:
        """Queue one entry (its time is now; it is written within ``interval``)."""
        actor, role = actor_of(principal)
        entry = _values(
            actor=actor, role=role, action=action, target=target, detail=detail, client=client
        )
        entry["user_id"] = principal.user_id if principal is not None else None
        self.enqueue([entry])

    def write(self, session: Session, rows: list[Mapping[str, Any]]) -> int:
        """Insert one batch of entries in one statement (actors of user accounts named by
        their user name)."""
        entries = [dict(r) for r in rows]
        names = _user_names(session, {r["user_id"] for r in entries} - {None})
        for r in entries:
            uid = r.pop("user_id")
            if uid in names:
                r["actor"] = f"user:{names[uid]}"[:MAX_ACTOR]
        session.execute(insert(table_of(AuditEntry)), entries)
        return len(entries)


def _user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(UserAccount.id, UserAccount.username).where(UserAccount.id.in_(ids))
    )
    return {int(i): str(n) for i, n in rows}
