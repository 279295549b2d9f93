"""``/v1/models``: the model registry as storage holds it (retrain and promote come later)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import SessionDep
from api.deps import require_access as access
from api.schemas.common import ERRORS, INVALID
from api.schemas.models import ModelVersionOut
from recommender.db import repo
from recommender.security import Principal

router = APIRouter(prefix="/v1/models", tags=["models"], responses={**ERRORS, **INVALID})
Reader = Annotated[Principal, access("models", "read")]
KindFilter = Annotated[
    Literal["supplier", "investor", "customer"] | None, Query(description="query kind")
]


@router.get("")
def list_models(session: SessionDep, key: Reader, kind: KindFilter = None) -> list[ModelVersionOut]:
    """Trained model versions, newest first, with status and metrics."""
    rows = repo.list_model_versions(session, kind=kind)
    return [ModelVersionOut.model_validate(r, from_attributes=True) for r in rows]
