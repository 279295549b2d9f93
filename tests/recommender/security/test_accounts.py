"""User accounts: argon2 hashes, sign-in, disable, new password, role/city checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from recommender.errors import AuthError, ConflictError, NotFoundError, ValidationError
from recommender.security import accounts


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    from features.reference import load_reference
    from recommender.db import migrate, repo
    from recommender.db.engine import make_engine, make_session_factory

    url = f"sqlite:///{tmp_path / 'a.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as s:
        repo.seed_reference(s, reference=load_reference())
        s.commit()
        yield s
    engine.dispose()


def test_a_password_is_stored_as_an_argon2id_hash_and_signs_in(session: Session) -> None:
    row = accounts.create_user(
        session,
        username="bb_zs",
        password="correct horse",
        role="promotion_office",
        city_code="340300",
        label="蚌埠市投资促进局",
    )
    assert row.password_hash.startswith("$argon2id$")
    assert "correct horse" not in row.password_hash
    got = accounts.authenticate_user(session, username="bb_zs", password="correct horse")
    assert got.id == row.id
    assert got.last_login_at is not None
    p = accounts.principal_of(got)
    assert (p.role, p.city_code, p.key_id, p.user_id, p.scoped) == (
        "promotion_office",
        "340300",
        None,
        row.id,
        True,
    )


@pytest.mark.parametrize(("username", "password"), [("bb_zs", "wrong pass"), ("nobody", "x" * 9)])
def test_a_wrong_password_or_unknown_user_is_refused_in_chinese(
    session: Session, username: str, password: str
) -> None:
    accounts.create_user(session, username="bb_zs", password="correct horse", role="analyst")
    with pytest.raises(AuthError, match="用户名或密码不正确"):
        accounts.authenticate_user(session, username=username, password=password)


def test_disable_and_a_new_password_end_old_sessions(session: Session) -> None:
    row = accounts.create_user(session, username="org", password="password-1", role="organiser")
    ref = accounts.session_ref(row)
    accounts.set_password(session, username="org", password="password-2")
    assert accounts.session_ref(row) != ref
    with pytest.raises(AuthError):
        accounts.authenticate_user(session, username="org", password="password-1")
    assert accounts.authenticate_user(session, username="org", password="password-2").id == row.id
    accounts.disable_user(session, username="org")
    with pytest.raises(AuthError):
        accounts.authenticate_user(session, username="org", password="password-2")
    accounts.enable_user(session, username="org")
    assert accounts.authenticate_user(session, username="org", password="password-2").id == row.id


def test_role_city_name_and_password_rules(session: Session) -> None:
    with pytest.raises(ValidationError, match="needs a city"):
        accounts.create_user(session, username="po", password="password-1", role="promotion_office")
    with pytest.raises(ValidationError, match="role must be one of"):
        accounts.create_user(session, username="po", password="password-1", role="mayor")
    with pytest.raises(ValidationError, match="密码应为 8"):
        accounts.create_user(session, username="po", password="short", role="analyst")
    with pytest.raises(ValidationError, match="用户名"):
        accounts.create_user(session, username="a b", password="password-1", role="analyst")
    accounts.create_user(session, username="蚌埠招商", password="password-1", role="analyst")
    with pytest.raises(ConflictError):
        accounts.create_user(session, username="蚌埠招商", password="password-2", role="admin")
    with pytest.raises(NotFoundError):
        accounts.disable_user(session, username="ghost")
    assert [u.username for u in accounts.list_users(session)] == ["蚌埠招商"]
