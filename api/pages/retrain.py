"""Retrain jobs started from the 分析 page, and the model registry as the page shows it.

A job is a ``retrain_jobs`` row run by :func:`recommender.training_jobs.run_retrain_job`
(train on the database's outcomes, promote only if better) in a background thread of the
API process; the page follows the row's status. One job at a time per database.
Promotion and rollback go through :mod:`recommender.model_admin` (the pointer the
ranking service follows) and are mirrored into ``model_versions``.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy.orm import Session, sessionmaker

from recommender import model_admin, training_jobs
from recommender.db import repo
from recommender.errors import ConflictError, NotFoundError
from recommender.settings import Settings

log = logging.getLogger(__name__)

_REPORT_NAME: Final = re.compile(r"^[A-Za-z0-9_.\-]+\.(html|png|json)$")
_start_lock = threading.Lock()


def start_job(settings: Settings, factory: sessionmaker[Session]) -> int:
    """Queue a retrain job and run it in a background thread; its id.

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
        job = repo.create_retrain_job(session, message="web page: promote if better")
        session.commit()
        job_id = int(job.id)
    threading.Thread(
        target=training_jobs.run_retrain_job,
        args=(settings, job_id),
        name=f"retrain-{job_id}",
        daemon=True,
    ).start()
    log.info("retrain job %d started from the web page", job_id)
    return job_id


def job_rows(session: Session, *, limit: int = 10) -> list[dict[str, Any]]:
    """The latest jobs, newest first."""
    return [
        {
            "id": j.id,
            "status": j.status,
            "created_at": j.created_at,
            "started_at": j.started_at,
            "finished_at": j.finished_at,
            "message": j.message,
            "version": j.version,
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
    """Numeric metrics flattened to ``a.b.c`` names, the primary (full-path) NDCG first, then
    other NDCG figures, at most ``limit``."""
    flat: list[tuple[str, float]] = []
    _flat("", metrics, flat)
    flat.sort(
        key=lambda kv: (
            0 if kv[0].startswith("full_path.") and "ndcg" in kv[0] else 1,
            0 if "ndcg" in kv[0].lower() else 1,
            kv[0],
        )
    )
    return flat[:limit]


def report_files(settings: Settings) -> list[str]:
    """Names of report files (HTML, PNG, JSON) directly under the reports directory."""
    root = Path(settings.reports_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_file() and _REPORT_NAME.match(p.name))


def versions(settings: Settings) -> list[VersionRow]:
    """Registered versions, newest first, with their metrics and report files."""
    files = report_files(settings)
    rows = []
    for info in reversed(model_admin.versions(settings)):
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
    """Make ``version`` production in the registry and in ``model_versions``."""
    model_admin.promote(settings, session, version)


def rollback(settings: Settings, session: Session) -> str:
    """Return production to the previous version; its id."""
    _, production = model_admin.rollback(settings, session)
    return production or ""
