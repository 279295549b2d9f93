"""分析: upload outcomes (row errors shown), retrain and follow it, model versions with
their metrics and reports, promote or roll back."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.deps import ReferenceDep, SessionDep
from api.pages import retrain
from api.pages.render import query_string, render
from api.pages.session import PageUser, check_csrf, page_user
from recommender import records
from recommender.errors import ChainmatchError, ImportValidationError
from recommender.settings import Settings

router = APIRouter(prefix="/analysis", include_in_schema=False)
User = Annotated[PageUser, page_user("analysis")]
Csrf = Annotated[str, Form(max_length=64)]


def _page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    *,
    notice: str = "",
    error: str = "",
    row_errors: list[dict[str, object]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    jobs = retrain.job_rows(session)
    busy = any(j["status"] in ("queued", "running") for j in jobs)
    reports = retrain.report_files(settings)
    html = [r for r in reports if r.endswith(".html")]
    return render(
        request,
        "analysis.html",
        user=user,
        page="analysis",
        jobs=jobs,
        busy=busy,
        versions=retrain.versions(settings),
        reports=reports,
        latest_report=html[-1] if html else "",
        notice=notice,
        error=error,
        row_errors=row_errors or [],
        status_code=status_code,
    )


@router.get("")
def analysis(
    request: Request, session: SessionDep, user: User, notice: str = "", error: str = ""
) -> HTMLResponse:
    """Outcome upload, retrain jobs and model versions."""
    return _page(request, session, user, notice=notice[:200], error=error[:500])


def _back(**params: Any) -> RedirectResponse:
    qs = query_string(params)
    return RedirectResponse(f"/analysis?{qs}" if qs else "/analysis", status_code=303)


@router.post("/outcomes", response_model=None)
def upload_outcomes(
    *,
    request: Request,
    session: SessionDep,
    reference: ReferenceDep,
    user: User,
    csrf: Csrf,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Import an outcomes file like ``chainmatch import outcomes``; every bad row is shown."""
    check_csrf(user, csrf)
    name = Path(file.filename or "outcomes.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return _page(
            request,
            session,
            user,
            error=f"file must be .csv or .xlsx, got {name!r}",
            status_code=422,
        )
    try:
        with tempfile.TemporaryDirectory(prefix="chainmatch-page-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            with path.open("wb") as out:
                shutil.copyfileobj(file.file, out)
            result = records.import_upload(
                session, kind="outcomes", path=path, source=name, reference=reference
            )
    except ImportValidationError as exc:
        session.rollback()
        return _page(
            request,
            session,
            user,
            error=exc.message or name,
            row_errors=[vars(e) for e in exc.errors],
            status_code=422,
        )
    return _back(
        notice=f"{name}: {result['rows']} rows, +{result['inserted']} "
        f"~{result['updated']} ={result['unchanged']}"
    )


@router.post("/retrain")
def start_retrain(
    request: Request,
    user: User,
    csrf: Csrf,
) -> RedirectResponse:
    """Retrain in the background (promoted only if better); the page follows its progress."""
    check_csrf(user, csrf)
    state = request.app.state
    try:
        job = retrain.start_job(state.settings, state.session_factory)
    except ChainmatchError as exc:
        return _back(error=str(exc))
    return _back(notice=f"job {job}")


@router.post("/promote")
def promote(
    request: Request,
    session: SessionDep,
    user: User,
    csrf: Csrf,
    version: Annotated[str, Form(max_length=64)],
) -> RedirectResponse:
    """Make a version the production model."""
    check_csrf(user, csrf)
    try:
        retrain.promote(request.app.state.settings, session, version)
    except ChainmatchError as exc:
        return _back(error=str(exc))
    return _back(notice=f"{version} → production")


@router.post("/rollback")
def rollback(request: Request, session: SessionDep, user: User, csrf: Csrf) -> RedirectResponse:
    """Return production to the previously promoted version."""
    check_csrf(user, csrf)
    try:
        version = retrain.rollback(request.app.state.settings, session)
    except ChainmatchError as exc:
        return _back(error=str(exc))
    return _back(notice=f"rollback → {version}")


@router.get("/reports/{name:path}", response_model=None)
def report(request: Request, user: User, name: str) -> FileResponse:
    """A training report (HTML with its plots, PNG or JSON) from the reports directory."""
    path = retrain.report_path(request.app.state.settings, name)
    return FileResponse(path)
