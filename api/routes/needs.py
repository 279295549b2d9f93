"""``/v1/needs``: what leading firms and parks seek, scoped by the owner's city."""

from __future__ import annotations

from api.crud import crud_router
from api.schemas.entities import NeedCreate, NeedOut, NeedUpdate

router = crud_router(
    "needs",
    id_name="need_id",
    singular="need",
    noun="need",
    list_doc="List needs, paged, searchable by description.",
    create_schema=NeedCreate,
    update_schema=NeedUpdate,
    out_schema=NeedOut,
)
