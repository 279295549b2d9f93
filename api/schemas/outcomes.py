"""A batch of outcomes (funnel steps), validated all-or-nothing like outcomes.csv."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from api.schemas.common import Ident
from features.schema import QueryKind, Stage

_OUTCOME_EXAMPLE: JsonDict = {
    "query_kind": "investor",
    "query_id": "CB-01",
    "candidate_id": "91330200MA2H5WXK5J",
    "stage": "intention",
    "date": "2025-06-12",
    "event_id": "E-2025-05-BB",
    "amount_wan": None,
}


class OutcomeIn(BaseModel):
    """One funnel step of a (query, candidate) pair (a row of outcomes.csv)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_OUTCOME_EXAMPLE]})

    query_kind: QueryKind
    query_id: Ident = Field(description="uscc or park_id of the asking side")
    candidate_id: Ident = Field(description="uscc of the candidate")
    stage: Stage = Field(description="recommended→contacted→meeting→intention→signed→landed")
    date: dt.date
    event_id: Annotated[str, Field(max_length=64)] = ""
    amount_wan: Annotated[float, Field(ge=0, le=1e12)] | None = Field(
        default=None, description="签约/到资金额, 万元"
    )


class OutcomeBatch(BaseModel):
    """Outcomes to record; if any item is bad, none is written."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcomes": [
                        _OUTCOME_EXAMPLE,
                        {
                            **_OUTCOME_EXAMPLE,
                            "stage": "signed",
                            "date": "2025-09-30",
                            "amount_wan": 30000.0,
                        },
                    ]
                }
            ]
        },
    )

    outcomes: list[OutcomeIn] = Field(min_length=1, max_length=10_000)
