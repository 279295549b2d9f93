"""``/v1/parks``: parks, scoped to a promotion office's city."""

from __future__ import annotations

from api.crud import crud_router
from api.schemas.entities import ParkCreate, ParkOut, ParkUpdate

router = crud_router(
    "parks",
    id_name="park_id",
    singular="park",
    noun="park",
    list_doc="List parks, paged, searchable by name and 主导产业.",
    create_schema=ParkCreate,
    update_schema=ParkUpdate,
    out_schema=ParkOut,
)
