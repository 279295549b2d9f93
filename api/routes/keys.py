"""``/v1/keys``: issue, list and revoke API keys (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import ReferenceDep, SessionDep
from api.deps import require_access as access
from api.schemas.common import ERRORS, INVALID, NOT_FOUND
from api.schemas.keys import KeyCreate, KeyCreated, KeyOut, KeyRotate
from recommender import security
from recommender.ingest.cities import city_codes
from recommender.security import Principal

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses={**ERRORS, **INVALID})
Admin = Annotated[Principal, access("keys", "write")]
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="key id")]


@router.get("")
def list_keys(session: SessionDep, key: Admin) -> list[KeyOut]:
    """Every key, revoked ones included; never a secret."""
    return [KeyOut.model_validate(r, from_attributes=True) for r in security.list_keys(session)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_key(
    session: SessionDep, reference: ReferenceDep, key: Admin, body: KeyCreate
) -> KeyCreated:
    """Issue a key; the answer holds its secret, shown this once."""
    city = city_codes([body.city], reference.cities)[0] if body.city else None
    row, plaintext = security.create_key(
        session,
        role=body.role,
        city_code=city,
        label=body.label,
        expires_at=security.expiry(body.expires_days),
    )
    out = KeyOut.model_validate(row, from_attributes=True)
    return KeyCreated(**out.model_dump(), key=plaintext)


@router.post("/{key_id}/revoke", responses=NOT_FOUND)
def revoke_key(session: SessionDep, key: Admin, key_id: KeyId) -> KeyOut:
    """Revoke a key; requests with it get 401 from now on."""
    return KeyOut.model_validate(security.revoke_key(session, key_id=key_id), from_attributes=True)


@router.post("/{key_id}/rotate", responses=NOT_FOUND, status_code=status.HTTP_201_CREATED)
def rotate_key(
    session: SessionDep, key: Admin, key_id: KeyId, body: KeyRotate | None = None
) -> KeyCreated:
    """Issue a successor (same role, city, label; its secret shown this once) and retire
    the old key now or after ``grace_hours``."""
    import datetime as dt

    body = body or KeyRotate()
    row, plaintext = security.rotate_key(
        session,
        key_id=key_id,
        grace=dt.timedelta(hours=body.grace_hours),
        expires_at=security.expiry(body.expires_days),
    )
    out = KeyOut.model_validate(row, from_attributes=True)
    return KeyCreated(**out.model_dump(), key=plaintext)
