"""The list / get / create / patch routes every record resource shares, made by one factory."""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations,
# and those below name the factory's arguments (the kind, the id's name), which only exist
# in its scope, so they must be evaluated when each endpoint is defined.

from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, status
from pydantic import BaseModel

from api.deps import CityFilter, Limit, Offset, ReferenceDep, Search, SessionDep
from api.deps import require_access as access
from api.schemas.common import CONFLICT, ERRORS, INVALID, NOT_FOUND, Page
from recommender.ingest.cities import city_codes
from recommender.records import service as records
from recommender.security import Principal

CreateT = TypeVar("CreateT", bound=BaseModel)
UpdateT = TypeVar("UpdateT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)


def crud_router(
    kind: str,
    *,
    id_name: str,
    singular: str,
    noun: str,
    article: str = "a",
    list_doc: str,
    create_schema: type[CreateT],
    update_schema: type[UpdateT],
    out_schema: type[OutT],
) -> APIRouter:
    """A router at ``/v1/{kind}`` with the four record routes of one resource.

    Parameters
    ----------
    kind : str
        The resource: path segment, OpenAPI tag and :mod:`recommender.records.service` kind
        (``"enterprises"``).
    id_name : str
        Name of the id in the record paths (``"uscc"`` gives ``/v1/enterprises/{uscc}``).
    singular : str
        Names the route functions (``list_{kind}``, ``get_{singular}``, ``create_{singular}``,
        ``update_{singular}``), from which FastAPI derives summaries and operation ids.
    noun, article : str
        What one record is called in the route descriptions ("a firm", "an event").
    list_doc : str
        Description of the list route.
    create_schema, update_schema, out_schema : type of BaseModel
        The body of a create, the body of a patch and the answer for one record.

    Returns
    -------
    APIRouter
        Further routes of the resource can be added to it.
    """
    router = APIRouter(prefix=f"/v1/{kind}", tags=[kind], responses={**ERRORS, **INVALID})
    Reader = Annotated[Principal, access(kind, "read")]
    Writer = Annotated[Principal, access(kind, "write")]
    # the endpoint parameter stays ``record_id``; the alias names it in the path and the schema
    RecordId = Annotated[
        str, Path(alias=id_name, min_length=1, max_length=64, description="record id")
    ]
    one = f"/{{{id_name}}}"
    page: type[Page[OutT]] = Page[out_schema]  # type: ignore[valid-type]

    def list_records(
        *,
        reference: ReferenceDep,
        session: SessionDep,
        key: Reader,
        offset: Offset = 0,
        limit: Limit = 50,
        q: Search = None,
        city: CityFilter = None,
    ) -> Page[OutT]:
        items, total = records.list_records(
            session, kind=kind, principal=key, offset=offset, limit=limit, search=q,
            city_code=city_codes([city], reference.cities)[0] if city else None,
        )  # fmt: skip
        return page(
            items=[out_schema.model_validate(i) for i in items],
            total=total,
            offset=offset,
            limit=limit,
        )

    def get_record(session: SessionDep, key: Reader, record_id: RecordId) -> OutT:
        row = records.get_record(session, kind=kind, key=record_id, principal=key)
        return out_schema.model_validate(row)

    def create_record(
        session: SessionDep, key: Writer, reference: ReferenceDep, body: CreateT
    ) -> OutT:
        row = records.create_record(
            session, kind=kind, data=body.model_dump(), principal=key, reference=reference
        )
        return out_schema.model_validate(row)

    def update_record(
        session: SessionDep,
        key: Writer,
        reference: ReferenceDep,
        record_id: RecordId,
        body: UpdateT,
    ) -> OutT:
        row = records.update_record(
            session,
            kind=kind,
            key=record_id,
            changes=body.model_dump(exclude_unset=True),
            principal=key,
            reference=reference,
        )
        return out_schema.model_validate(row)

    # The annotations above name type variables; FastAPI needs the concrete schemas.
    create_record.__annotations__["body"] = create_schema
    update_record.__annotations__["body"] = update_schema
    router.get(
        "",
        response_model=page,
        name=f"list_{kind}",
        description=list_doc,
    )(list_records)
    router.get(
        one,
        response_model=out_schema,
        responses=NOT_FOUND,
        name=f"get_{singular}",
        description=f"One {noun}.",
    )(get_record)
    router.post(
        "",
        response_model=out_schema,
        status_code=status.HTTP_201_CREATED,
        responses=CONFLICT,
        name=f"create_{singular}",
        description=f"Register {article} {noun} (validated like a row of {kind}.csv).",
    )(create_record)
    router.patch(
        one,
        response_model=out_schema,
        responses=NOT_FOUND,
        name=f"update_{singular}",
        description=f"Change some fields of {article} {noun}.",
    )(update_record)
    return router
