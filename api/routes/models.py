"""``/v1/models``: versions, background retrain with a status endpoint, promote, rollback."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import HTMLResponse, Response

from api.deps import PathId, RuntimeDep, SessionDep, SettingsDep
from api.deps import require_access as access
from api.schemas.common import ERRORS, INVALID, NOT_FOUND
from api.schemas.models import ModelVersionOut, PromotionOut, RetrainJobOut
from features.schema import QueryKind
from recommender.db import repo
from recommender.models import admin as model_admin
from recommender.models.training import start_retrain
from recommender.security import Principal

router = APIRouter(prefix="/v1/models", tags=["models"], responses={**ERRORS, **INVALID})
Reader = Annotated[Principal, access("models", "read")]
Writer = Annotated[Principal, access("models", "write")]
KindFilter = Annotated[Literal[QueryKind, "all"] | None, Query(description="query kind")]


def _job_out(job: object) -> RetrainJobOut:
    return RetrainJobOut.model_validate(job, from_attributes=True)


@router.get("")
def list_models(session: SessionDep, key: Reader, kind: KindFilter = None) -> list[ModelVersionOut]:
    """Trained model versions, newest first, with status and metrics."""
    rows = repo.list_model_versions(session, kind=kind)
    return [ModelVersionOut.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/retrain",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: ERRORS.get(409, {"description": "a retrain job is still running"})},
)
def retrain(session: SessionDep, runtime: RuntimeDep, key: Writer) -> RetrainJobOut:
    """Start a retrain in the background (promotes only if better); poll its status.
    One job at a time: 409 while another is queued or running."""
    job_id = start_retrain(runtime, requested_by=f"key {key.key_id}")
    return _job_out(repo.get_retrain_job(session, job_id=job_id))


@router.get("/jobs/{job_id}", responses=NOT_FOUND)
def job_status(
    session: SessionDep,
    key: Reader,
    job_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="a retrain job id")],
) -> RetrainJobOut:
    """One retrain job's status, message and resulting version."""
    return _job_out(repo.get_retrain_job(session, job_id=job_id))


@router.get("/jobs")
def list_jobs(session: SessionDep, key: Reader) -> list[RetrainJobOut]:
    """The latest retrain jobs, newest first."""
    return [_job_out(j) for j in repo.list_retrain_jobs(session, limit=50)]


@router.post("/{version}/promote", responses=NOT_FOUND)
def promote(session: SessionDep, runtime: RuntimeDep, key: Writer, version: PathId) -> PromotionOut:
    """Make VERSION the production model (the service picks it up on the next request)."""
    previous, production = model_admin.promote(runtime.registry, session, version)
    return PromotionOut(production=production, previous=previous)


@router.post(
    "/rollback", responses={409: ERRORS.get(409, {"description": "nothing to roll back to"})}
)
def rollback(session: SessionDep, runtime: RuntimeDep, key: Writer) -> PromotionOut:
    """Return to the previous production model."""
    previous, production = model_admin.rollback(runtime.registry, session)
    return PromotionOut(production=production, previous=previous)


@router.get(
    "/{version}/report",
    response_class=Response,
    responses={**NOT_FOUND, 200: {"content": {"text/html": {}}, "description": "HTML report"}},
)
def report(settings: SettingsDep, key: Reader, version: PathId) -> HTMLResponse:
    """The evaluation report written when VERSION was trained (HTML with plots)."""
    path = model_admin.version_report(settings, version)
    return HTMLResponse(path.read_text(encoding="utf-8"))
