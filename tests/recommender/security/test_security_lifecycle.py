"""Key and account expiry, revocation and rotation; sign-in rate limits; secrets never logged."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from recommender import security
from recommender.db.models import ApiKey, utcnow
from recommender.errors import AuthError, TooManyAttemptsError, ValidationError
from recommender.security import accounts, audit

PASSWORD = "correct horse battery"


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A migrated database (SQLite, and PostgreSQL when it runs) with the reference cities."""
    from features.reference import load_reference
    from recommender.db import migrate, repo
    from recommender.db.engine import make_engine, make_session_factory

    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        repo.seed_reference(s, reference=load_reference())
        s.commit()
        yield s
    engine.dispose()


def _age_failures(session: Session, minutes: int) -> None:
    """Move every audit entry ``minutes`` into the past (the window is 15 minutes)."""
    for e in audit.entries(session, limit=1000):
        e.at -= dt.timedelta(minutes=minutes)
    session.commit()


# ----------------------------------------------------------------------------- API keys
def test_an_expired_key_is_refused_and_says_so(session: Session) -> None:
    row, plaintext = security.create_key(
        session, role="analyst", expires_at=utcnow() + dt.timedelta(hours=1)
    )
    assert security.authenticate(session, plaintext).key_id == row.id
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    with pytest.raises(AuthError, match=r"expired at .* UTC; ask an admin"):
        security.authenticate(session, plaintext)


def test_a_revoked_key_is_refused(session: Session) -> None:
    row, plaintext = security.create_key(session, role="organiser")
    security.revoke_key(session, key_id=row.id)
    with pytest.raises(AuthError, match="unknown or revoked"):
        security.authenticate(session, plaintext)


def test_rotation_without_grace_revokes_the_old_key_at_once(session: Session) -> None:
    old, old_plain = security.create_key(
        session, role="promotion_office", city_code="340300", label="蚌埠"
    )
    new, new_plain = security.rotate_key(session, key_id=old.id)
    assert new_plain != old_plain
    assert (new.role, new.city_code, new.label) == ("promotion_office", "340300", "蚌埠")
    assert session.get(ApiKey, old.id).replaced_by == new.id  # type: ignore[union-attr]
    with pytest.raises(AuthError):
        security.authenticate(session, old_plain)
    assert security.authenticate(session, new_plain).key_id == new.id
    with pytest.raises(ValidationError, match="already replaced"):
        security.rotate_key(session, key_id=old.id)


def test_rotation_with_grace_keeps_the_old_key_until_the_grace_ends(session: Session) -> None:
    old, old_plain = security.create_key(session, role="analyst")
    _new, _ = security.rotate_key(session, key_id=old.id, grace=dt.timedelta(hours=2))
    assert security.authenticate(session, old_plain).key_id == old.id  # still valid
    stored = session.get(ApiKey, old.id)
    assert stored is not None
    assert stored.expires_at is not None
    left = stored.expires_at - utcnow()
    assert dt.timedelta(hours=1, minutes=59) < left <= dt.timedelta(hours=2)
    stored.expires_at = utcnow() - dt.timedelta(seconds=1)  # the grace is over
    session.commit()
    with pytest.raises(AuthError, match="expired"):
        security.authenticate(session, old_plain)


def test_expiry_in_days_must_be_positive() -> None:
    assert security.expiry(None) is None
    got = security.expiry(30)
    assert got is not None
    assert abs((got - utcnow()) - dt.timedelta(days=30)) < dt.timedelta(seconds=5)
    with pytest.raises(ValidationError, match="days > 0, got 0"):
        security.expiry(0)


# ----------------------------------------------------------------------------- accounts
def test_an_expired_account_cannot_sign_in(session: Session) -> None:
    accounts.create_user(
        session,
        username="temp_analyst",
        password=PASSWORD,
        role="analyst",
        expires_at=utcnow() + dt.timedelta(days=1),
    )
    assert accounts.authenticate_user(session, username="temp_analyst", password=PASSWORD)
    accounts.set_expiry(
        session, username="temp_analyst", expires_at=utcnow() - dt.timedelta(minutes=1)
    )
    with pytest.raises(AuthError, match=accounts.BAD_SIGNIN):
        accounts.authenticate_user(session, username="temp_analyst", password=PASSWORD)
    row = accounts.find_user(session, "temp_analyst")
    assert row is not None
    assert not accounts.is_active(row)


def test_failed_sign_ins_are_audited_then_limited_even_with_the_right_password(
    session: Session,
) -> None:
    accounts.create_user(session, username="bb_zs", password=PASSWORD, role="analyst")
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(AuthError) as info:
            accounts.authenticate_user(
                session, username="bb_zs", password="wrong one!", client="10.0.0.9"
            )
        assert not isinstance(info.value, TooManyAttemptsError)
    failed = audit.entries(session, action="signin.failed")
    assert len(failed) == accounts.MAX_FAILURES
    assert {(e.target, e.client) for e in failed} == {("bb_zs", "10.0.0.9")}
    with pytest.raises(TooManyAttemptsError, match="登录失败次数过多"):
        accounts.authenticate_user(session, username="bb_zs", password=PASSWORD)
    assert [e.action for e in audit.entries(session, limit=1)] == ["signin.locked"]
    _age_failures(session, minutes=16)  # the window has passed
    assert accounts.authenticate_user(session, username="bb_zs", password=PASSWORD)


def test_one_client_guessing_many_user_names_is_limited(session: Session) -> None:
    accounts.create_user(session, username="victim", password=PASSWORD, role="analyst")
    for i in range(accounts.MAX_CLIENT_FAILURES):
        with pytest.raises(AuthError):
            accounts.authenticate_user(
                session, username=f"guess{i}", password="nope nope", client="203.0.113.5"
            )
    with pytest.raises(TooManyAttemptsError):
        accounts.authenticate_user(
            session, username="victim", password=PASSWORD, client="203.0.113.5"
        )
    # another client is not affected
    assert accounts.authenticate_user(
        session, username="victim", password=PASSWORD, client="198.51.100.1"
    )


# ----------------------------------------------------------------------------- no secret in logs
def test_secrets_never_reach_the_log(session: Session, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    row, plaintext = security.create_key(session, role="admin", label="ops")
    security.authenticate(session, plaintext)
    _, rotated = security.rotate_key(session, key_id=row.id, grace=dt.timedelta(minutes=5))
    accounts.create_user(session, username="ops_person", password=PASSWORD, role="admin")
    with pytest.raises(AuthError):
        accounts.authenticate_user(session, username="ops_person", password="guessed-Secret-1")
    accounts.set_password(session, username="ops_person", password="another secret 2")
    with pytest.raises(AuthError):
        security.authenticate(session, plaintext[:-2] + "xx")
    text = caplog.text
    assert "issued API key" in text
    assert "failed sign-in for user 'ops_person'" in text
    for secret in (plaintext, rotated, PASSWORD, "guessed-Secret-1", "another secret 2"):
        assert secret not in text
    hashes = [r.key_hash for r in security.list_keys(session)]
    assert hashes
    assert not any(h in text for h in hashes)
    assert "$argon2" not in text


def test_secrets_are_not_in_the_audit_log(session: Session, tmp_path: Path) -> None:
    accounts.create_user(session, username="u1", password=PASSWORD, role="analyst")
    with pytest.raises(AuthError):
        accounts.authenticate_user(session, username="u1", password="my-guess-123")
    dumped = repr([(e.target, e.detail, e.actor) for e in audit.entries(session)])
    assert "u1" in dumped
    assert "my-guess-123" not in dumped
    assert PASSWORD not in dumped
