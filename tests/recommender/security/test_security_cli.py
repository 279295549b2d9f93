"""``chainmatch keys rotate``, ``--expires-days``, ``users expire`` and ``chainmatch audit``."""

from __future__ import annotations

import json
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
    url = f"sqlite:///{tmp_path / 'sec.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("CHAINMATCH_DATABASE_URL", url)
    monkeypatch.setenv("CHAINMATCH_HOME", str(tmp_path))
    return url


def _audit(runner: CliRunner, *args: str) -> list[dict[str, object]]:
    got = runner.invoke(app, ["audit", "--json", *args])
    assert got.exit_code == 0, got.output
    return [json.loads(line) for line in got.stdout.splitlines() if line.strip()]


def test_rotate_prints_a_new_secret_retires_the_old_key_and_is_audited(db: str) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app, ["keys", "create", "--role", "analyst", "--label", "etl", "--expires-days", "90"]
    )
    assert created.exit_code == 0, created.output
    old = created.stdout.strip().splitlines()[0]
    rotated = runner.invoke(app, ["keys", "rotate", "1"])
    assert rotated.exit_code == 0, rotated.output
    new = rotated.stdout.strip().splitlines()[0]
    assert new.startswith("cm_")
    assert new != old
    assert "replaces key 1 (revoked now)" in rotated.stderr
    factory = make_session_factory(make_engine(db))
    with factory() as s:
        with pytest.raises(AuthError):
            security.authenticate(s, old)
        p = security.authenticate(s, new)
    assert (p.key_id, p.role, p.label) == (2, "analyst", "etl")
    listed = runner.invoke(app, ["keys", "list"]).stdout.strip().splitlines()
    assert listed[0].split("\t")[-2:] == ["expires_at", "replaced_by"]
    first = listed[1].split("\t")
    assert (first[0], first[-1]) == ("1", "2")
    assert first[-2] != "-"  # the 90-day expiry is listed
    again = runner.invoke(app, ["keys", "rotate", "1"])
    assert again.exit_code == 2
    assert "already replaced" in again.stderr
    entries = _audit(runner)
    assert [e["action"] for e in entries] == ["key.rotate", "key.create"]
    assert str(entries[0]["actor"]).startswith("cli:")
    assert entries[0]["detail"] == {"new_key": 2}
    assert old not in json.dumps(entries)
    assert new not in json.dumps(entries)


def test_rotate_with_grace_keeps_the_old_key_working(db: str) -> None:
    runner = CliRunner()
    old = runner.invoke(app, ["keys", "create", "--role", "organiser"]).stdout.split()[0]
    rotated = runner.invoke(app, ["keys", "rotate", "1", "--grace-hours", "24"])
    assert rotated.exit_code == 0, rotated.output
    assert "valid for 24 more hour(s)" in rotated.stderr
    with make_session_factory(make_engine(db))() as s:
        assert security.authenticate(s, old).key_id == 1


def test_users_expire_and_list(db: str) -> None:
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["users", "create", "temp1", "--role", "analyst", "--password", "long enough 1",
         "--expires-days", "7"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    listed = runner.invoke(app, ["users", "list"]).stdout.strip().splitlines()
    assert listed[1].split("\t")[-1] != "-"
    now = runner.invoke(app, ["users", "expire", "temp1", "--days", "0"])
    assert now.exit_code == 0, now.output
    from recommender.security import accounts

    with make_session_factory(make_engine(db))() as s, pytest.raises(AuthError):
        accounts.authenticate_user(s, username="temp1", password="long enough 1")
    never = runner.invoke(app, ["users", "expire", "temp1"])
    assert "expires: never" in never.stdout
    with make_session_factory(make_engine(db))() as s:
        assert accounts.authenticate_user(s, username="temp1", password="long enough 1")


def test_audit_filters_and_refuses_an_unknown_action(db: str) -> None:
    runner = CliRunner()
    runner.invoke(app, ["keys", "create", "--role", "admin"])
    assert [e["action"] for e in _audit(runner, "--action", "key.")] == ["key.create"]
    assert _audit(runner, "--action", "list.export") == []
    bad = runner.invoke(app, ["audit", "--action", "nonsense"])
    assert bad.exit_code == 2
    assert "action must be one of" in bad.stderr
    assert "Traceback" not in bad.output
