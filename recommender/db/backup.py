"""Backups of an installation: the database, the models and the reports, in one file.

``chainmatch backup --out FILE`` writes a gzipped tar holding

- ``manifest.json``: format, time, database backend, migration revision, rows per table,
  every file with its sha256;
- the database: ``chainmatch.db`` made with SQLite's online backup API (consistent while the
  API keeps serving), or ``database.dump`` from ``pg_dump --format=custom`` for PostgreSQL;
- ``home/models/`` and ``home/reports/`` from ``CHAINMATCH_HOME`` (model texts, metadata,
  the production pointer, evaluation reports).

``chainmatch restore FILE`` checks every sha256 first, then puts the database back (SQLite:
the online backup API again, into the live file; PostgreSQL: ``pg_restore --clean``), swaps
the models and reports directories in whole, upgrades the schema if the backup is older
than the code and touches the data stamp so running API processes rebuild their ranking
data. A backup from a newer code version, of another backend, or damaged, is refused before
anything is changed. The session-signing key is not backed up (people sign in again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.engine import URL, make_url

from recommender.db import datastamp, migrate
from recommender.db.models import utcnow
from recommender.errors import ChainmatchError, ValidationError
from recommender.settings import Settings

log = logging.getLogger(__name__)

FORMAT: Final = 1
MANIFEST: Final = "manifest.json"
SQLITE_FILE: Final = "chainmatch.db"
PG_FILE: Final = "database.dump"
HOME_DIRS: Final = ("models", "reports")


class BackupError(ChainmatchError):
    """A backup could not be made, or a backup file cannot be restored."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds (its manifest)."""

    path: Path
    backend: str
    revision: str | None
    created_at: str
    tables: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)  # name in the archive -> sha256

    @property
    def rows(self) -> int:
        """Rows over every table."""
        return sum(self.tables.values())


# ----------------------------------------------------------------------------- helpers
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the database (alembic's version table included)."""
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        return {n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one())
                for n in names}  # fmt: skip


def _backend(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ValidationError(f"database URL must be sqlite:// or postgresql://, got {backend!r}")
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError(f"an in-memory SQLite database cannot be backed up ({url!r})")
    return Path(database)


def _pg_target(url: str) -> tuple[str, str | None]:
    """The libpq URL of a SQLAlchemy PostgreSQL URL and its schema (from search_path)."""
    parsed: URL = make_url(url)
    options = str(parsed.query.get("options", ""))
    schema = None
    for part in options.split():
        if part.startswith("-csearch_path="):
            schema = part.split("=", 1)[1].split(",")[0].strip('"') or None
    plain = parsed.set(drivername="postgresql").difference_update_query(["options"])
    return plain.render_as_string(hide_password=False), schema


def _run(cmd: list[str], *, what: str) -> None:
    tool = cmd[0]
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is needed for a PostgreSQL {what} and was not found on PATH; "
            "install postgresql-client (apt-get install postgresql-client)"
        )
    # the URL may hold a password: it goes to the tool as an argument, never to the log
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({what}): {done.stderr.strip()[-500:]}")


# ----------------------------------------------------------------------------- backup
def create_backup(settings: Settings, out: Path, *, engine: Engine | None = None) -> BackupInfo:
    """Write a backup of the database and of ``models/`` and ``reports/`` to ``out``."""
    from recommender.db.engine import make_engine

    url = settings.effective_database_url
    backend = _backend(url)
    out = Path(out)
    if out.exists() and out.is_dir():
        raise ValidationError(f"--out must be a file name, got the directory {out}")
    own = engine is None
    engine = engine or make_engine(url)
    try:
        with tempfile.TemporaryDirectory(prefix="chainmatch-backup-") as tmp:
            staging = Path(tmp)
            if backend == "sqlite":
                db_name = SQLITE_FILE
                _sqlite_copy(_sqlite_path(url), staging / db_name)
            else:
                db_name = PG_FILE
                _pg_dump(url, staging / db_name)
            tables = table_counts(engine)  # after the copy: what it holds, or fewer
            files = {db_name: _sha256(staging / db_name)}
            home = Path(settings.home)
            for sub in HOME_DIRS:
                for path in sorted((home / sub).rglob("*")) if (home / sub).is_dir() else []:
                    if path.is_file() and not path.is_symlink():
                        files[f"home/{path.relative_to(home).as_posix()}"] = _sha256(path)
            manifest = {
                "format": FORMAT,
                "created_at": utcnow().isoformat(timespec="seconds") + "Z",
                "backend": backend,
                "revision": migrate.current(url),
                "tables": tables,
                "files": files,
            }
            out.parent.mkdir(parents=True, exist_ok=True)
            partial = out.with_name(out.name + ".partial")
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
                entry = tarfile.TarInfo(MANIFEST)
                entry.size = len(data)
                entry.mtime = int(dt.datetime.now(dt.UTC).timestamp())
                tar.addfile(entry, io.BytesIO(data))
                tar.add(staging / db_name, arcname=db_name)
                for name in files:
                    if name.startswith("home/"):
                        tar.add(home / name.removeprefix("home/"), arcname=name)
            os.replace(partial, out)  # a crash never leaves a half-written FILE
    finally:
        if own:
            engine.dispose()
    info = _info(out, manifest)
    log.info(
        "backup %s: %s database (revision %s), %d rows in %d tables, %d files",
        out,
        backend,
        info.revision,
        info.rows,
        len(info.tables),
        len(files) - 1,
    )
    return info


def _sqlite_copy(src: Path, dst: Path) -> None:
    """Copy a live SQLite database with its online backup API (consistent, WAL included)."""
    if not src.exists():
        raise BackupError(f"the database file {src} does not exist")
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _pg_dump(url: str, dst: Path) -> None:
    target, schema = _pg_target(url)
    cmd = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dst}"]
    if schema:
        cmd.append(f"--schema={schema}")
    _run([*cmd, f"--dbname={target}"], what="backup")


def _info(path: Path, manifest: Mapping[str, Any]) -> BackupInfo:
    return BackupInfo(
        path=path,
        backend=str(manifest["backend"]),
        revision=manifest.get("revision"),
        created_at=str(manifest["created_at"]),
        tables={str(k): int(v) for k, v in manifest["tables"].items()},
        files={str(k): str(v) for k, v in manifest["files"].items()},
    )


# ----------------------------------------------------------------------------- restore
def read_backup(path: Path) -> BackupInfo:
    """The manifest of a backup file (:class:`BackupError` if it is not one)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise BackupError(f"{path} holds no {MANIFEST}; expected a chainmatch backup")
            manifest = json.loads(member.read().decode("utf-8"))
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a chainmatch backup ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path}: backup format {manifest.get('format')!r} is not supported; expected {FORMAT}"
        )
    return _info(path, manifest)


def restore_backup(settings: Settings, path: Path) -> BackupInfo:
    """Put the database, models and reports of a backup back; everything is checked first."""
    info = read_backup(path)
    url = settings.effective_database_url
    backend = _backend(url)
    if info.backend != backend:
        raise BackupError(
            f"{path} is a {info.backend} backup; the configured database is {backend} "
            f"(CHAINMATCH_DATABASE_URL)"
        )
    _check_revision(info)
    home = Path(settings.home)
    with tempfile.TemporaryDirectory(prefix="chainmatch-restore-", dir=_tmp_dir(home)) as tmp:
        staging = Path(tmp)
        _extract(path, staging, info)
        if backend == "sqlite":
            _sqlite_restore(staging / SQLITE_FILE, _sqlite_path(url))
        else:
            _pg_restore(url, staging / PG_FILE)
        for sub in HOME_DIRS:
            _swap_dir(staging / "home" / sub, home / sub)
    migrate.upgrade(url)  # a backup from older code gets the newer schema
    datastamp.touch(home)
    log.info("restored %s: %d rows in %d tables", path, info.rows, len(info.tables))
    return info


def _tmp_dir(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    return home  # same file system as models/: the swap is a rename


def _check_revision(info: BackupInfo) -> None:
    if info.revision is None:
        return
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    known = {r.revision for r in script.walk_revisions()}
    if info.revision not in known:
        raise BackupError(
            f"{info.path} was made by a newer chainmatch (schema revision {info.revision}, "
            f"this code knows up to {migrate.head()}); restore it with that version"
        )


def _extract(path: Path, staging: Path, info: BackupInfo) -> None:
    """Extract into ``staging`` (names checked: no absolute path, no ``..``, files only) and
    verify every sha256 against the manifest."""
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name
            if name == MANIFEST:
                continue
            if name not in info.files or not member.isfile():
                raise BackupError(f"{path}: unexpected entry {name!r}; the file was altered")
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None  # a regular file
            with target.open("wb") as f:
                shutil.copyfileobj(source, f)
    for name, digest in info.files.items():
        target = staging / name
        if not target.is_file() or _sha256(target) != digest:
            raise BackupError(f"{path}: {name} is missing or damaged (sha256 differs)")


def _sqlite_restore(src: Path, dst: Path) -> None:
    """Copy the backup into the live database file with the online backup API."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(src)
    target = sqlite3.connect(dst, timeout=30)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _pg_restore(url: str, dump: Path) -> None:
    target, schema = _pg_target(url)
    cmd = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
           "--single-transaction", "--exit-on-error"]  # fmt: skip
    if schema:
        cmd.append(f"--schema={schema}")
    _run([*cmd, f"--dbname={target}", str(dump)], what="restore")


def _swap_dir(new: Path, live: Path) -> None:
    """Replace ``live`` by ``new`` (an empty directory if the backup had none) by renames."""
    if not new.exists():
        new.mkdir(parents=True)
    old = live.with_name(f".{live.name}.before-restore")
    if old.exists():
        shutil.rmtree(old)
    if live.exists():
        os.replace(live, old)
    os.replace(new, live)
    if old.exists():
        shutil.rmtree(old)
