"""Event planning: the plan request, and the schedule (meetings, agendas, report) it returns.

Slots are 0-based with their clock time (``time`` like ``09:00-09:20``); tables are 1-based.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from features.schema import ParticipantRole

AdCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="city adcode")]


class QuotaIn(BaseModel):
    """At least ``min_meetings`` meetings between firms of a Wanbei city and its partner city."""

    model_config = ConfigDict(extra="forbid")

    wanbei_city_code: AdCode
    partner_city_code: AdCode
    min_meetings: Annotated[int, Field(ge=0, le=100_000)]


class PlanIn(BaseModel):
    """How to plan; every field is optional."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "greedy": False,
                    "exclude_met_before": True,
                    "quotas": [
                        {
                            "wanbei_city_code": "340300",
                            "partner_city_code": "330200",
                            "min_meetings": 3,
                        }
                    ],
                }
            ]
        },
    )

    greedy: bool = Field(False, description="highest-value-first baseline instead of the optimiser")
    exclude_met_before: bool = Field(
        True, description="drop pairs that met before (else down-weight them)"
    )
    met_before_weight: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    quotas: Annotated[list[QuotaIn], Field(max_length=200)] = Field(default_factory=list)


class MeetingOut(BaseModel):
    """One planned meeting."""

    slot: int = Field(description="0-based time slot")
    time: str = Field(description="clock time of the slot, e.g. 09:00-09:20")
    table: int = Field(description="1-based table number")
    leading_uscc: str
    leading_name: str
    supporting_uscc: str
    supporting_name: str
    value: float = Field(description="adjusted calibrated success probability")


class AgendaItemOut(BaseModel):
    """One meeting on a firm's agenda."""

    slot: int
    time: str
    table: int
    partner_uscc: str
    partner_name: str


class AgendaOut(BaseModel):
    """A firm's meetings, in slot order."""

    uscc: str
    name: str
    role: ParticipantRole
    meetings: list[AgendaItemOut]


class UnmetMinimumOut(BaseModel):
    """A firm below its minimum number of meetings, and why."""

    uscc: str
    name: str
    wanted: int
    got: int
    reason: str


class QuotaOut(BaseModel):
    """A city quota: required and achieved meetings."""

    wanbei_city_code: str
    partner_city_code: str
    required: int
    achieved: int
    met: bool
    hard: bool


class ChangeOut(BaseModel):
    """What a re-plan did to one meeting (slots 0-based, -1 / table 0 = none)."""

    change: Literal["removed", "moved", "added"]
    leading_uscc: str
    supporting_uscc: str
    old_slot: int
    old_table: int
    new_slot: int
    new_table: int


class PlanReportOut(BaseModel):
    """How good the plan is: value against the LP upper bound, and what it could not do."""

    n_meetings: int
    n_dropped: int = Field(description="chosen pairs no slot could hold")
    value: float = Field(description="sum of the meetings' values")
    objective: float = Field(description="value minus penalties for unmet minimums and quotas")
    lp_bound: float | None = Field(description="upper bound on the objective; null for greedy")
    gap: float | None = Field(description="(lp_bound - objective) / |lp_bound|")
    solver: str
    schedule_method: str
    unmet_minimums: list[UnmetMinimumOut]
    quotas: list[QuotaOut]
    notes: list[str]


class ScheduleOut(BaseModel):
    """A stored plan of an event: meetings, per-firm agendas and the report."""

    event_id: str
    name: str
    version: int = Field(description="plan version (1, 2, ... one per plan or re-plan)")
    model_version: str = Field(description="model that valued the pairs")
    created_at: str
    start: str = Field(description="start of slot 0, YYYY-MM-DDTHH:MM")
    n_slots: int
    n_tables: int
    slot_minutes: int
    cancelled: list[str] = Field(description="firms cancelled so far")
    meetings: list[MeetingOut]
    agendas: list[AgendaOut]
    report: PlanReportOut
    changes: list[ChangeOut] | None = Field(
        None, description="for a re-plan: removed, moved and added meetings"
    )
