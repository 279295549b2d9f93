"""``chainmatch keys create|list|revoke`` on a temporary SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from recommender import security
from recommender.cli import app
from recommender.db import migrate
from recommender.db.engine import make_engine, make_session_factory
from recommender.errors import AuthError


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("CHAINMATCH_DATABASE_URL", url)
    return url


def test_create_list_revoke(db: str) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["keys", "create", "--role", "organiser", "--label", "会务组"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("cm_")
    factory = make_session_factory(make_engine(db))
    with factory() as s:
        principal = security.authenticate(s, secret)
    assert (principal.role, principal.city_code, principal.label) == ("organiser", None, "会务组")

    listed = runner.invoke(app, ["keys", "list"])
    rows = [line.split("\t") for line in listed.stdout.strip().splitlines()[1:]]
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        (str(principal.key_id), "organiser", "-", "会务组")
    ]
    assert secret not in listed.stdout

    revoked = runner.invoke(app, ["keys", "revoke", str(principal.key_id)])
    assert revoked.exit_code == 0
    with factory() as s, pytest.raises(AuthError):
        security.authenticate(s, secret)


def test_promotion_office_needs_a_known_city(db: str) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["keys", "create", "--role", "promotion_office"])
    assert missing.exit_code == 2
    assert "needs a city" in missing.stderr
    unknown = runner.invoke(app, ["keys", "revoke", "42"])
    assert unknown.exit_code == 2
    assert "42" in unknown.stderr
