"""Shapes shared by every resource: pages, errors, write counts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_PAGE = 500
T = TypeVar("T")


def _utc(value: dt.datetime) -> dt.datetime:
    # the database stores naive UTC; answers carry the offset (RFC 3339)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]

# identifiers in paths and bodies: no surrounding blanks, bounded length
Ident = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=2000)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
CityRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
    Field(description="city: Chinese name (蚌埠市 / 蚌埠 / 闵行区) or 6-digit adcode"),
]
Uscc = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, pattern=r"^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}$"
    ),
    Field(description="统一社会信用代码, 18 characters, GB 32100-2015 check digit"),
]


class RowErrorOut(BaseModel):
    """One problem in one row of an import or a batch."""

    line: int | None = Field(
        description="1-based line of the file (a batch: item index + 2, as if it were a CSV "
        "with a header); null for a problem that is not in a row"
    )
    column: str
    expected: str
    got: str


class ErrorBody(BaseModel):
    """Every error response: what was wrong; for imports and batches every bad row."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "outcomes: 1 problem(s) in outcomes",
                    "errors": [
                        {
                            "line": 2,
                            "column": "stage",
                            "expected": "one of recommended/contacted/meeting/intention/"
                            "signed/landed/declined",
                            "got": "洽谈中",
                        }
                    ],
                }
            ]
        }
    )

    detail: str
    errors: list[RowErrorOut] | None = None


class WriteCounts(BaseModel):
    """What an upsert did."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"inserted": 12, "updated": 1, "unchanged": 0}]}
    )

    inserted: int
    updated: int
    unchanged: int


ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "请求体无法解析 (not JSON / not multipart)"},
    401: {"model": ErrorBody, "description": "缺少、未知或已吊销的 API key"},
    403: {"model": ErrorBody, "description": "该 key 的角色或城市无权访问"},
}
NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "记录不存在"}
}
CONFLICT: dict[int | str, dict[str, object]] = {
    409: {"model": ErrorBody, "description": "记录已存在"}
}
INVALID: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorBody, "description": "数据不合法: 每个有问题的行"}
}


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, at most ``limit``, of ``total``."""

    items: list[T]
    total: int = Field(description="how many match, over all pages")
    offset: int
    limit: int
