"""``/v1/projects``: the project ledger (台账), city-scoped; stage updates; ledger upload."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from api.deps import (
    Limit,
    LogDep,
    Offset,
    PathId,
    RankingHolderDep,
    ReferenceDep,
    Search,
    SessionDep,
)
from api.deps import require_access as access
from api.schemas.common import ERRORS, INVALID, NOT_FOUND
from api.schemas.imports import ImportResult
from api.schemas.projects import (
    ChainTargetsOut,
    ProjectOut,
    ProjectPage,
    ProjectStageName,
    StageUpdate,
)
from api.uploads import saved_upload
from recommender.errors import ValidationError
from recommender.projects import service
from recommender.ranking import lists as ranked_lists
from recommender.security import Principal

router = APIRouter(prefix="/v1/projects", tags=["projects"], responses={**ERRORS, **INVALID})
Reader = Annotated[Principal, access("projects", "read")]
Writer = Annotated[Principal, access("projects", "write")]
City = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="Wanbei city adcode")]
Ranker = Annotated[Principal, access("rank", "read")]


@router.get("/chain-targets/{park_id}", responses=NOT_FOUND)
def chain_targets(  # noqa: PLR0917 - FastAPI passes query parameters by name
    session: SessionDep,
    ranking: RankingHolderDep,
    log: LogDep,
    key: Ranker,
    park_id: PathId,
    anchor: Annotated[
        str | None, Query(pattern=r"^[0-9A-Z]{18}$", description="anchor USCC")
    ] = None,
    k: Annotated[int, Query(ge=1, le=200, description="list length")] = 20,
) -> ChainTargetsOut:
    """以商招商: 沪苏浙 suppliers/customers of the park's firms (or of one anchor), explained."""
    got = service.chain_targets_for(
        session, principal=key, ranker=ranking.get, park_id=park_id, anchor=anchor, k=k
    )
    ranked_lists.log_chain_targets(log, key, got)
    return ChainTargetsOut.model_validate(asdict(got))


@router.get("")
def list_projects(  # noqa: PLR0917 - FastAPI passes query parameters by name
    session: SessionDep,
    key: Reader,
    reference: ReferenceDep,
    offset: Offset = 0,
    limit: Limit = 50,
    city: City = None,
    stage: Annotated[ProjectStageName | None, Query(description="current stage")] = None,
    search: Search = None,
) -> ProjectPage:
    """Projects, latest stage change first; an office sees its own city's."""
    rows, total = service.list_projects(
        session, principal=key, cities=reference.cities, offset=offset, limit=limit,
        city_code=city, stage=stage, search=search,
    )  # fmt: skip
    items = [ProjectOut.model_validate(r) for r in rows]
    return ProjectPage(items=items, total=total, offset=offset, limit=limit)


@router.get("/{project_id}", responses=NOT_FOUND)
def get_project(
    session: SessionDep, key: Reader, reference: ReferenceDep, project_id: PathId
) -> ProjectOut:
    """One project with its dated stage history."""
    row = service.get_project(
        session, principal=key, cities=reference.cities, project_id=project_id
    )
    return ProjectOut.model_validate(row)


@router.post("/{project_id}/stage", responses=NOT_FOUND)
def update_stage(
    session: SessionDep, key: Writer, reference: ReferenceDep, project_id: PathId, body: StageUpdate
) -> ProjectOut:
    """Move a project to a stage; 签约/投产 also record the pair's outcome."""
    row = service.update_stage(
        session, principal=key, cities=reference.cities, project_id=project_id,
        stage=body.stage, date=body.date, agreed_investment_yi=body.agreed_investment_yi,
    )  # fmt: skip
    return ProjectOut.model_validate(row)


@router.post("/import")
def import_ledger(
    *,
    session: SessionDep,
    key: Writer,
    reference: ReferenceDep,
    file: Annotated[UploadFile, File(description="the ledger, CSV (UTF-8 or GBK) or XLSX")],
    dry_run: Annotated[bool, Query(description="validate only, write nothing")] = False,
) -> ImportResult:
    """Import a ledger like ``chainmatch import projects``; an office only its own city's rows."""
    name = FilePath(file.filename or "ledger.csv").name
    suffix = FilePath(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationError(f"file must be .csv or .xlsx, got {name!r}")
    with saved_upload(file, suffix=suffix) as path:
        result = service.import_ledger(
            session, principal=key, path=path, source=name, reference=reference, dry_run=dry_run
        )
    return ImportResult.model_validate(result)
