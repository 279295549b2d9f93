"""Backup and restore round trips: every table, the models and the reports come back exactly;
damaged, foreign or mismatched backups are refused before anything changes."""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, MetaData, delete, select, text
from typer.testing import CliRunner

from recommender import security
from recommender.db import backup
from recommender.db.backup import BackupError
from recommender.security import accounts, audit
from recommender.settings import Settings, get_settings

BENGBU, NINGBO = "340300", "330200"


def _uscc(city: str, serial: int) -> str:
    from features.uscc import uscc_check_digit

    body = f"91{city}MA{serial:07d}"
    return body + uscc_check_digit(body)


@pytest.fixture
def installed(db_url: str, tmp_path: Path) -> Iterator[tuple[Settings, Engine]]:
    """A migrated, seeded installation with models and reports under its home."""
    from features.reference import load_reference
    from features.schema import SCHEMAS, conform
    from recommender.db import migrate, repo
    from recommender.db.engine import make_engine, make_session_factory

    home = tmp_path / "home"
    settings = get_settings(home=home, database_url=db_url)
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        repo.seed_reference(s, reference=load_reference())
        firms = pd.DataFrame(
            {
                "uscc": [_uscc(BENGBU, 1), _uscc(NINGBO, 2)],
                "name": ["蚌埠测试传感有限公司", "=宁波测试 (a formula-like name)"],
                "city_code": [BENGBU, NINGBO],
                "industry_code": ["3973", "3670"],
                "products": ["MEMS 传感器", "汽车电子"],
                "is_leading": [False, True],
            }
        )
        repo.upsert_frame(s, kind="enterprises", frame=conform(firms, SCHEMAS["enterprises"]))
        parks = pd.DataFrame(
            {"park_id": ["P-1"], "name": ["蚌埠测试园区"], "city_code": [BENGBU],
             "leading_industries": ["智能传感器"]}
        )  # fmt: skip
        repo.upsert_frame(s, kind="parks", frame=conform(parks, SCHEMAS["parks"]))
        s.commit()
        security.create_key(s, role="analyst", label="etl")
        accounts.create_user(s, username="bb1", password="long password 1", role="admin")
        audit.add(s, actor="key:1", role="analyst", action="list.export", target="/x",
                  detail={"query_ids": ["a", "b"]})  # fmt: skip
        s.commit()
    (home / "models" / "v20261201").mkdir(parents=True)
    (home / "models" / "v20261201" / "model.txt").write_text("tree\n" * 100, encoding="utf-8")
    (home / "models" / "PRODUCTION").write_text("v20261201\n", encoding="utf-8")
    (home / "reports").mkdir()
    (home / "reports" / "v20261201.html").write_text("<h1>报告</h1>", encoding="utf-8")
    try:
        yield settings, engine
    finally:
        engine.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as sorted tuples of text (JSON columns included)."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            name: sorted(tuple(map(repr, row)) for row in conn.execute(select(t)))
            for name, t in sorted(meta.tables.items())
        }


def files(home: Path) -> dict[str, str]:
    return {
        p.relative_to(home).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for sub in ("models", "reports")
        for p in sorted((home / sub).rglob("*"))
        if p.is_file()
    }


def _mutate(settings: Settings, engine: Engine) -> None:
    """What happens after a backup: rows added, changed and deleted, a model replaced."""
    from recommender.db.models import AuditEntry, Enterprise

    with engine.begin() as conn:
        conn.execute(delete(AuditEntry))
        conn.execute(text("UPDATE enterprises SET name = 'changed' WHERE city_code = '340300'"))
        conn.execute(delete(Enterprise).where(Enterprise.city_code == NINGBO))
    home = Path(settings.home)
    (home / "models" / "v20261201" / "model.txt").write_text("broken", encoding="utf-8")
    (home / "models" / "v20261202").mkdir()
    (home / "models" / "v20261202" / "model.txt").write_text("newer", encoding="utf-8")


def test_a_round_trip_restores_every_table_and_every_file(
    installed: tuple[Settings, Engine], tmp_path: Path
) -> None:
    settings, engine = installed
    before, before_files = snapshot(engine), files(Path(settings.home))
    assert len(before["cities"]) > 50  # the reference data is there to compare
    assert len(before["enterprises"]) == 2
    assert before["alembic_version"] == [("'0006'",)]
    info = backup.create_backup(settings, tmp_path / "b" / "cm.tar.gz")
    assert info.tables["enterprises"] == 2
    assert info.tables["audit_log"] == 1
    assert set(info.files) - {"chainmatch.db", "database.dump"} == {
        f"home/{name}" for name in before_files
    }
    assert not (tmp_path / "b" / "cm.tar.gz.partial").exists()

    _mutate(settings, engine)
    assert snapshot(engine) != before
    engine.dispose()  # the restore must work with the app's connections closed or open
    backup.restore_backup(settings, tmp_path / "b" / "cm.tar.gz")
    after = snapshot(engine)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name
    assert files(Path(settings.home)) == before_files  # v20261202 is gone, model.txt is back
    assert (Path(settings.home) / "DATA_VERSION").exists()  # serving processes rebuild


def test_a_damaged_backup_is_refused_and_nothing_changes(
    installed: tuple[Settings, Engine], tmp_path: Path
) -> None:
    settings, engine = installed
    good = backup.create_backup(settings, tmp_path / "cm.tar.gz").path
    # rewrite the archive with one model file altered but the manifest unchanged
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(good, "r:gz") as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            assert data is not None
            payload = data.read()
            if member.name.endswith("model.txt"):
                payload = b"tampered"
                member.size = len(payload)
            dst.addfile(member, io.BytesIO(payload))
    _mutate(settings, engine)
    changed, changed_files = snapshot(engine), files(Path(settings.home))
    with pytest.raises(BackupError, match=r"model\.txt is missing or damaged"):
        backup.restore_backup(settings, bad)
    assert snapshot(engine) == changed
    assert files(Path(settings.home)) == changed_files
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar at all")
    with pytest.raises(BackupError, match="not a chainmatch backup"):
        backup.restore_backup(settings, tmp_path / "junk.tar.gz")
    with pytest.raises(BackupError, match="no backup file"):
        backup.restore_backup(settings, tmp_path / "missing.tar.gz")


def test_a_backup_of_another_backend_is_refused(
    installed: tuple[Settings, Engine], tmp_path: Path
) -> None:
    settings, _ = installed
    made = backup.create_backup(settings, tmp_path / "cm.tar.gz")
    other = (
        f"sqlite:///{tmp_path / 'other.db'}"
        if made.backend == "postgresql"
        else "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    with pytest.raises(BackupError, match=f"is a {made.backend} backup"):
        backup.restore_backup(get_settings(home=tmp_path, database_url=other), made.path)


def test_the_commands_back_up_and_restore_and_are_audited(
    installed: tuple[Settings, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recommender.cli import app

    settings, engine = installed
    monkeypatch.setenv("CHAINMATCH_HOME", str(settings.home))
    monkeypatch.setenv("CHAINMATCH_DATABASE_URL", settings.effective_database_url)
    runner = CliRunner()
    out = tmp_path / "cli.tar.gz"
    made = runner.invoke(app, ["backup", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert "rows in" in made.stdout
    before = snapshot(engine)["enterprises"]
    _mutate(settings, engine)
    refused = runner.invoke(app, ["restore", str(out)], input="n\n")
    assert refused.exit_code != 0  # asked, answered no: nothing replaced
    assert snapshot(engine)["enterprises"] != before
    done = runner.invoke(app, ["restore", str(out), "--yes"])
    assert done.exit_code == 0, done.output
    assert snapshot(engine)["enterprises"] == before
    with engine.connect() as conn:
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_log ORDER BY id"))]
    # the backup's own entry came after the copy; the restore is recorded in the restored data
    assert actions == ["list.export", "backup.restore"]
    bad = runner.invoke(app, ["restore", str(tmp_path / "nope.tar.gz"), "--yes"])
    assert bad.exit_code == 2
    assert "恢复失败" in bad.stderr
    assert "Traceback" not in bad.output


def test_pg_urls_name_their_schema() -> None:
    target, schema = backup._pg_target(
        "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dcm_x"
    )
    assert (target, schema) == ("postgresql://postgres@127.0.0.1:5432/test", "cm_x")
    assert backup._pg_target("postgresql+psycopg://u:pw@h/db")[1] is None
