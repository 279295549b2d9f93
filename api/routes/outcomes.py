"""``/v1/outcomes``: record funnel steps in batches, all-or-nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import ReferenceDep, SessionDep
from api.deps import require_access as access
from api.schemas.common import ERRORS, INVALID, WriteCounts
from api.schemas.outcomes import OutcomeBatch
from recommender.records import service as records
from recommender.security import Principal

router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"], responses={**ERRORS, **INVALID})
Writer = Annotated[Principal, access("outcomes", "write")]


@router.post("")
def record_outcomes(
    session: SessionDep, key: Writer, reference: ReferenceDep, body: OutcomeBatch
) -> WriteCounts:
    """Record a batch of outcomes, validated like outcomes.csv; nothing is written if any is bad."""
    inserted, updated, unchanged = records.record_outcomes(
        session,
        rows=[o.model_dump() for o in body.outcomes],
        principal=key,
        reference=reference,
    )
    return WriteCounts(inserted=inserted, updated=updated, unchanged=unchanged)
