"""Retrain jobs started from the 分析 page, and the model registry as the page shows it.

A job is a ``retrain_jobs`` row plus a ``chainmatch train`` child process (the lead's
command) whose output goes to ``$CHAINMATCH_HOME/logs/retrain-<id>.log``; a thread waits for
it and records the result. One job at a time per database. Promotion and rollback go
through :class:`training.registry.ModelRegistry` (the pointer the ranking service follows)
and are mirrored into ``model_versions`` when that table knows the version.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy.orm import Session, sessionmaker

from recommender.db import repo
from recommender.errors import ConflictError, NotFoundError
from recommender.settings import Settings
from training.registry import ModelRegistry

log = logging.getLogger(__name__)

LOG_TAIL: Final = 4000  # characters of a job's log the page shows
_REPORT_NAME = re.compile(r"^[A-Za-z0-9_.\-]+\.(html|png|json)$")
_start_lock = threading.Lock()


def log_path(settings: Settings, job_id: int) -> Path:
    """Where a job's output goes."""
    return Path(settings.home) / "logs" / f"retrain-{job_id}.log"


def train_command(promote_if_better: bool) -> list[str]:
    """The child process: ``chainmatch train`` with this interpreter."""
    cmd = [sys.executable, "-c", "from recommender.cli import main; main()", "train"]
    return [*cmd, "--promote-if-better"] if promote_if_better else cmd


def start_job(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    promote_if_better: bool,
    on_done: Callable[[], None] | None = None,
) -> int:
    """Queue a job and start its process in the background; its id.

    Raises :class:`ConflictError` while another job is queued or running.
    """
    with _start_lock, factory() as session:
        busy = [
            j
            for j in repo.list_retrain_jobs(session, limit=20)
            if j.status in ("queued", "running")
        ]
        if busy:
            raise ConflictError(f"retrain job {busy[0].id} is still {busy[0].status}; wait for it")
        job = repo.create_retrain_job(
            session, message="promote if better" if promote_if_better else "train only"
        )
        session.commit()
        job_id = int(job.id)
    thread = threading.Thread(
        target=_run,
        args=(settings, factory, job_id, train_command(promote_if_better), on_done),
        name=f"retrain-{job_id}",
        daemon=True,
    )
    thread.start()
    return job_id


def _run(
    settings: Settings,
    factory: sessionmaker[Session],
    job_id: int,
    cmd: list[str],
    on_done: Callable[[], None] | None,
) -> None:
    path = log_path(settings, job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CHAINMATCH_HOME": str(Path(settings.home).resolve()),
        "CHAINMATCH_DATABASE_URL": settings.effective_database_url,
    }
    before = {i.version for i in ModelRegistry(settings.models_dir).list()}
    with factory() as session:
        repo.update_retrain_job(session, job_id=job_id, status="running")
        session.commit()
    try:
        with path.open("wb") as out:
            code = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, check=False
            ).returncode
    except OSError as exc:
        path.write_text(f"could not start {cmd[0]}: {exc}\n", encoding="utf-8")
        code = -1
    new = sorted({i.version for i in ModelRegistry(settings.models_dir).list()} - before)
    last = _tail(path, 400).strip().splitlines()
    message = last[-1] if last else ""
    with factory() as session:
        repo.update_retrain_job(
            session,
            job_id=job_id,
            status="succeeded" if code == 0 else "failed",
            message=message if code == 0 else f"exit {code}: {message}",
            version=new[-1] if new else "",
        )
        session.commit()
    log.info("retrain job %d finished with exit code %d", job_id, code)
    if on_done is not None and code == 0:
        on_done()


def _tail(path: Path, n: int) -> str:
    if not path.exists():
        return ""
    data = path.read_bytes()[-n:]
    return data.decode("utf-8", errors="replace")


def job_rows(session: Session, settings: Settings, *, limit: int = 10) -> list[dict[str, Any]]:
    """The latest jobs with the tail of their logs."""
    return [
        {
            "id": j.id,
            "status": j.status,
            "created_at": j.created_at,
            "started_at": j.started_at,
            "finished_at": j.finished_at,
            "message": j.message,
            "version": j.version,
            "log": _tail(log_path(settings, int(j.id)), LOG_TAIL),
        }
        for j in repo.list_retrain_jobs(session, limit=limit)
    ]


# ----------------------------------------------------------------------------- models
@dataclass(frozen=True)
class VersionRow:
    """One model version as the page lists it."""

    version: str
    created_at: str
    production: bool
    kinds: str
    metrics: list[tuple[str, float]]
    reports: list[str]


def _flat(prefix: str, value: Any, out: list[tuple[str, float]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out.append((prefix, float(value)))


def headline_metrics(metrics: dict[str, Any], *, limit: int = 12) -> list[tuple[str, float]]:
    """Numeric metrics flattened to ``a.b.c`` names, NDCG first, at most ``limit``."""
    flat: list[tuple[str, float]] = []
    _flat("", metrics, flat)
    flat.sort(key=lambda kv: (0 if "ndcg" in kv[0].lower() else 1, kv[0]))
    return flat[:limit]


def report_files(settings: Settings) -> list[str]:
    """Names of report files (HTML, PNG, JSON) directly under the reports directory."""
    root = Path(settings.reports_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_file() and _REPORT_NAME.match(p.name))


def versions(settings: Settings) -> list[VersionRow]:
    """Registered versions, newest first, with their metrics and report files."""
    registry = ModelRegistry(settings.models_dir)
    files = report_files(settings)
    rows = []
    for info in reversed(registry.list()):
        own = [f for f in files if info.version in f]
        local = sorted(p.name for p in info.path.glob("*.html")) if info.path.is_dir() else []
        rows.append(
            VersionRow(
                version=info.version,
                created_at=info.created_at.strftime("%Y-%m-%d %H:%M"),
                production=info.production,
                kinds=", ".join(info.metadata.kinds),
                metrics=headline_metrics(dict(info.metadata.metrics)),
                reports=own + [f"{info.version}/{n}" for n in local],
            )
        )
    return rows


def report_path(settings: Settings, name: str) -> Path:
    """A report file by name (``file`` in reports/, or ``version/file`` in a model dir)."""
    head, _, tail = name.partition("/")
    if tail:
        base, fname = Path(settings.models_dir) / head, tail
        if not re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{6}", head):
            raise NotFoundError(f"no report {name!r}")
    else:
        base, fname = Path(settings.reports_dir), head
    if not _REPORT_NAME.match(fname):
        raise NotFoundError(f"no report {name!r}; expected a .html, .png or .json file name")
    path = (base / fname).resolve()
    if path.parent != base.resolve() or not path.is_file():
        raise NotFoundError(f"no report {name!r}")
    return path


def promote(settings: Settings, session: Session, version: str) -> None:
    """Make ``version`` production in the registry (and in model_versions if listed)."""
    ModelRegistry(settings.models_dir).promote(version)
    _mirror(session, version)


def rollback(settings: Settings, session: Session) -> str:
    """Return production to the previous version; its id."""
    version = ModelRegistry(settings.models_dir).rollback()
    _mirror(session, version)
    return version


def _mirror(session: Session, version: str) -> None:
    try:
        repo.promote_model_version(session, version=version)
        session.commit()
    except NotFoundError:
        session.rollback()
