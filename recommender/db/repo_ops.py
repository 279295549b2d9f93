"""Repository functions for API keys, model versions, retrain jobs and the recommendation log."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from recommender.db._frames import frame_to_columns
from recommender.db.models import (
    ApiKey,
    ModelVersion,
    RecommendationLogEntry,
    RetrainJob,
    table_of,
    utcnow,
)
from recommender.errors import ConflictError, NotFoundError, ValidationError

KEY_PREFIX = "cm_"
# characters of the plaintext kept (in clear) to tell keys apart in listings
PREFIX_LEN = 10
MODEL_STATUSES = ("candidate", "production", "retired")
JOB_STATUSES = ("queued", "running", "succeeded", "failed")
_LOG_COLUMNS = (
    "shown_at",
    "api_key_id",
    "query_kind",
    "query_id",
    "candidate_id",
    "rank",
    "score",
    "model_version",
)


# ----------------------------------------------------------------------------- API keys
def hash_key(plaintext: str) -> str:
    """Hex sha256 of an API key's plaintext (what the database stores)."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_api_key(
    session: Session, *, role: str, city_code: str | None = None, label: str = ""
) -> tuple[ApiKey, str]:
    """Create a key; return the row and the plaintext, which is shown once and never stored."""
    if not role:
        raise ValidationError(f"role must be a non-empty string, got {role!r}")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(24)
    key = ApiKey(
        key_hash=hash_key(plaintext),
        prefix=plaintext[:PREFIX_LEN],
        label=label,
        role=role,
        city_code=city_code or None,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    return key, plaintext


def find_api_key(session: Session, *, plaintext: str) -> ApiKey | None:
    """The active (not revoked) key with this plaintext, or None."""
    if not plaintext.startswith(KEY_PREFIX):
        return None
    stmt = select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext), ApiKey.revoked_at.is_(None))
    return session.execute(stmt).scalar_one_or_none()


def list_api_keys(session: Session, *, include_revoked: bool = False) -> list[ApiKey]:
    """Keys ordered by id; revoked ones only if asked for."""
    stmt = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return list(session.execute(stmt).scalars())


def revoke_api_key(session: Session, *, key_id: int) -> ApiKey:
    """Mark a key revoked (idempotent); raises NotFoundError for an unknown id."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFoundError(f"API key id {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key


# ----------------------------------------------------------------------------- recommendation log
def log_recommendations(
    session: Session, *, rows: pd.DataFrame | Sequence[Mapping[str, Any]]
) -> int:
    """Append shown candidates to the log in one executemany; returns the number written.

    Each row needs query_kind, query_id, candidate_id, rank and score; shown_at (default
    now, UTC), api_key_id (default None) and model_version (default "") are optional.
    """
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if frame.empty:
        return 0
    frame = frame.copy()
    if "shown_at" not in frame.columns:
        frame["shown_at"] = utcnow()
    if "api_key_id" not in frame.columns:
        frame["api_key_id"] = None
    if "model_version" not in frame.columns:
        frame["model_version"] = ""
    table = table_of(RecommendationLogEntry)
    cols = frame_to_columns(frame, table, _LOG_COLUMNS, what="log_recommendations")
    records = [dict(zip(_LOG_COLUMNS, r, strict=True)) for r in zip(*cols.values(), strict=True)]
    session.execute(insert(table), records)  # Core executemany: no ORM bookkeeping
    return len(records)


# ----------------------------------------------------------------------------- model versions
def upsert_model_version(
    session: Session,
    *,
    version: str,
    kind: str,
    path: str = "",
    sha256: str = "",
    metrics: Mapping[str, Any] | None = None,
    status: str = "candidate",
) -> ModelVersion:
    """Register a model version or update its metadata; promoting goes through
    :func:`promote_model_version` so that only one version per kind is in production."""
    if status not in MODEL_STATUSES:
        raise ValidationError(f"status must be one of {MODEL_STATUSES}, got {status!r}")
    mv = session.get(ModelVersion, version)
    if mv is None:
        mv = ModelVersion(version=version, kind=kind, created_at=utcnow())
        session.add(mv)
    elif mv.kind != kind:
        raise ConflictError(f"model version {version!r} has kind {mv.kind!r}, got {kind!r}")
    mv.path = path
    mv.sha256 = sha256
    mv.metrics = dict(metrics or {})
    session.flush()
    if status == "production":
        return promote_model_version(session, version=version)
    mv.status = status
    session.flush()
    return mv


def promote_model_version(session: Session, *, version: str) -> ModelVersion:
    """Make ``version`` the production model of its kind; the previous one is retired."""
    mv = session.get(ModelVersion, version)
    if mv is None:
        raise NotFoundError(f"model version {version!r} not found")
    current = session.execute(
        select(ModelVersion).where(
            ModelVersion.kind == mv.kind,
            ModelVersion.status == "production",
            ModelVersion.version != version,
        )
    ).scalars()
    for old in current:
        old.status = "retired"
    mv.status = "production"
    session.flush()
    return mv


def list_model_versions(
    session: Session, *, kind: str | None = None, status: str | None = None
) -> list[ModelVersion]:
    """Model versions, newest first, optionally of one kind and/or status."""
    stmt = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.version)
    if kind is not None:
        stmt = stmt.where(ModelVersion.kind == kind)
    if status is not None:
        if status not in MODEL_STATUSES:
            raise ValidationError(f"status must be one of {MODEL_STATUSES}, got {status!r}")
        stmt = stmt.where(ModelVersion.status == status)
    return list(session.execute(stmt).scalars())


# ----------------------------------------------------------------------------- retrain jobs
def create_retrain_job(session: Session, *, message: str = "") -> RetrainJob:
    """A new job in state ``queued``."""
    job = RetrainJob(status="queued", message=message, created_at=utcnow())
    session.add(job)
    session.flush()
    return job


def get_retrain_job(session: Session, *, job_id: int) -> RetrainJob:
    """The job with this id; raises NotFoundError."""
    job = session.get(RetrainJob, job_id)
    if job is None:
        raise NotFoundError(f"retrain job {job_id} not found")
    return job


def list_retrain_jobs(session: Session, *, limit: int = 50) -> list[RetrainJob]:
    """The latest jobs, newest first."""
    stmt = select(RetrainJob).order_by(RetrainJob.id.desc()).limit(limit)
    return list(session.execute(stmt).scalars())


def update_retrain_job(
    session: Session,
    *,
    job_id: int,
    status: str | None = None,
    message: str | None = None,
    version: str | None = None,
) -> RetrainJob:
    """Move a job on; ``running`` stamps started_at, ``succeeded``/``failed`` finished_at."""
    job = get_retrain_job(session, job_id=job_id)
    if status is not None:
        if status not in JOB_STATUSES:
            raise ValidationError(f"status must be one of {JOB_STATUSES}, got {status!r}")
        job.status = status
        if status == "running" and job.started_at is None:
            job.started_at = utcnow()
        if status in ("succeeded", "failed"):
            job.finished_at = utcnow()
    if message is not None:
        job.message = message
    if version is not None:
        job.version = version
    session.flush()
    return job
