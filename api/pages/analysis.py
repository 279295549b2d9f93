"""分析: upload outcomes (row errors shown), retrain and follow it, model versions with
their metrics and reports, promote or roll back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.deps import ReferenceDep, RuntimeDep, SessionDep, SettingsDep, runtime_of
from api.pages import retrain
from api.pages.messages import domain_zh
from api.pages.progress import check_outcome_file
from api.pages.render import query_string, render
from api.pages.session import PageUser, check_csrf, page_user
from api.uploads import saved_upload
from recommender.errors import ChainmatchError, ImportValidationError
from recommender.models import admin as model_admin
from recommender.models.training import start_retrain as start_retrain_job
from recommender.records import service as records

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
    runtime = runtime_of(request)
    jobs = retrain.job_rows(session)
    busy = any(j["status"] in ("queued", "running") for j in jobs)
    reports = model_admin.report_names(runtime.settings)
    html = [r for r in reports if r.endswith(".html")]
    versions = retrain.versions(runtime)
    target = retrain.rollback_target(runtime.registry)
    return render(
        request,
        "analysis.html",
        user=user,
        page="analysis",
        jobs=jobs,
        busy=busy,
        versions=versions,
        production=next((v for v in versions if v.production), None),
        rollback_to=target,
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
            error=f"请上传 CSV 或 Excel（.xlsx）文件，收到的是 “{name}”。",
            status_code=422,
        )
    try:
        with saved_upload(file, suffix=suffix) as path:
            problems = check_outcome_file(session, path)
            if problems:
                return _page(
                    request,
                    session,
                    user,
                    error=f"{name} 未导入：有 {len(problems)} 处不可能的记录（将来的日期，"
                    "或同一天对同一对企业既签约又拒绝）。整份文件都没有写入，请改正后重新上传。",
                    row_errors=problems,
                    status_code=422,
                )
            result = records.import_upload(
                session, kind="outcomes", path=path, source=name, reference=reference
            )
    except ImportValidationError as exc:
        session.rollback()
        return _page(
            request,
            session,
            user,
            error=f"{name} " + domain_zh(exc),
            row_errors=[vars(e) for e in exc.errors],
            status_code=422,
        )
    return _back(
        notice=f"{name} 已导入：共 {result['rows']} 行，新增 {result['inserted']} 条，"
        f"更新 {result['updated']} 条，{result['unchanged']} 条与已有记录相同。"
    )


@router.post("/retrain")
def start_retrain(runtime: RuntimeDep, user: User, csrf: Csrf) -> RedirectResponse:
    """Retrain in the background (promoted only if better); the page follows its progress."""
    check_csrf(user, csrf)
    try:
        job = start_retrain_job(runtime, requested_by=f"web page ({user.principal.label})")
    except ChainmatchError as exc:
        return _back(error=domain_zh(exc))
    return _back(notice=f"已开始第 {job} 号训练任务；新模型只有在守门检查通过时才会自动上线。")


@router.post("/promote")
def promote(
    *,
    runtime: RuntimeDep,
    session: SessionDep,
    user: User,
    csrf: Csrf,
    version: Annotated[str, Form(max_length=64)],
    override: Annotated[str, Form(max_length=1)] = "",
) -> RedirectResponse:
    """Make a version the production model; one the guard rejected only when confirmed."""
    check_csrf(user, csrf)
    row = next((v for v in retrain.versions(runtime) if v.version == version), None)
    if row is None:
        return _back(error="没有这个模型版本，可能已被删除。")
    if row.guard.ok is False and override != "1":
        return _back(error=f"没有上线：{row.guard.text}。如确需上线，请在确认框里明确确认。")
    try:
        model_admin.promote(runtime.registry, session, version)
    except ChainmatchError as exc:
        return _back(error=domain_zh(exc))
    return _back(notice=f"已上线模型 {row.created_at} 版，之后的名单都按它排序。")


@router.post("/rollback")
def rollback(runtime: RuntimeDep, session: SessionDep, user: User, csrf: Csrf) -> RedirectResponse:
    """Return production to the previously promoted version."""
    check_csrf(user, csrf)
    try:
        _, version = model_admin.rollback(runtime.registry, session)
    except ChainmatchError as exc:
        return _back(error=domain_zh(exc))
    return _back(notice=f"已回滚：生产模型换回 {version}。")


@router.get("/reports/{name:path}", response_model=None)
def report(settings: SettingsDep, user: User, name: str) -> FileResponse:
    """A training report (HTML with its plots, PNG or JSON) from the reports directory."""
    path = model_admin.find_report(settings, name)
    return FileResponse(path)
