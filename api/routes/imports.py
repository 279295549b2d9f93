"""``/v1/imports/{kind}``: upload a CSV or XLSX file, validated all-or-nothing."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile

from api.deps import ReferenceDep, SessionDep
from api.deps import require_access as access
from api.schemas.common import ERRORS, INVALID
from api.schemas.imports import ImportKind, ImportResult
from api.uploads import saved_upload
from recommender.errors import ValidationError
from recommender.records import service as records
from recommender.security import Principal

router = APIRouter(prefix="/v1/imports", tags=["imports"], responses={**ERRORS, **INVALID})
Importer = Annotated[Principal, access("imports", "write")]
SUFFIXES = (".csv", ".xlsx")


@router.post("/{kind}")
def import_file(
    *,
    session: SessionDep,
    key: Importer,
    reference: ReferenceDep,
    kind: Annotated[ImportKind, Path(description="what the file holds")],
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GBK) or XLSX")],
    dry_run: Annotated[bool, Query(description="validate only, write nothing")] = False,
) -> ImportResult:
    """Import a file like ``chainmatch import``: every bad row is reported, nothing written."""
    name = FilePath(file.filename or "upload.csv").name
    suffix = FilePath(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(f"file must be .csv or .xlsx, got {name!r}")
    with saved_upload(file, suffix=suffix) as path:
        result = records.import_upload(
            session, kind=kind, path=path, source=name, reference=reference, dry_run=dry_run
        )
    return ImportResult.model_validate(result)
