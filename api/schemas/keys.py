"""API keys: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import UtcDatetime

RoleName = Literal["promotion_office", "organiser", "analyst", "admin"]


class KeyCreate(BaseModel):
    """A key to issue; promotion offices need a city (adcode), other roles none."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"role": "promotion_office", "city": "340300", "label": "蚌埠市投资促进局"}
            ]
        },
    )

    role: RoleName
    city: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        default=None,
        description="city: adcode or name (340300, 蚌埠, 闵行区); promotion_office only",
    )
    label: Annotated[str, Field(max_length=128)] = ""
    expires_days: Annotated[float, Field(gt=0, le=3650)] | None = Field(
        default=None, description="valid for this many days (default: until revoked)"
    )


class KeyRotate(BaseModel):
    """How to rotate a key: how long the old one keeps working, when the new one expires."""

    model_config = ConfigDict(extra="forbid")

    grace_hours: Annotated[float, Field(ge=0, le=24 * 90)] = Field(
        default=0, description="the old key keeps working this long (0: revoked at once)"
    )
    expires_days: Annotated[float, Field(gt=0, le=3650)] | None = Field(
        default=None, description="the new key is valid for this many days (default: no expiry)"
    )


class KeyOut(BaseModel):
    """A stored key (never its secret)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "prefix": "cm_7Hq2",
                    "role": "promotion_office",
                    "city_code": "340300",
                    "label": "蚌埠市投资促进局",
                    "created_at": "2025-05-01T08:00:00Z",
                    "revoked_at": None,
                }
            ]
        }
    )

    id: int
    prefix: str
    role: str
    city_code: str | None
    label: str
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None
    expires_at: UtcDatetime | None = None
    replaced_by: int | None = Field(default=None, description="the key that replaced it")


class KeyCreated(KeyOut):
    """A new key with its secret: shown this once, store it now."""

    key: str = Field(description="the plaintext key; only its hash is stored")
