"""``/v1/enterprises``: firms, shared reference data readable by every role."""

from __future__ import annotations

from api.crud import crud_router
from api.schemas.entities import EnterpriseCreate, EnterpriseOut, EnterpriseUpdate

router = crud_router(
    "enterprises",
    id_name="uscc",
    singular="enterprise",
    noun="firm",
    list_doc="List firms by 统一社会信用代码, paged, searchable by name and products.",
    create_schema=EnterpriseCreate,
    update_schema=EnterpriseUpdate,
    out_schema=EnterpriseOut,
)
