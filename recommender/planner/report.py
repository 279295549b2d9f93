"""The plan's report: value against its LP bound, unmet minimums with reasons, quotas, timings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.planner.matching import degrees, quota_masks
from recommender.planner.model import BoolArray, Instance

__all__ = ["PlanReport", "QuotaStatus", "UnmetMinimum", "per_firm", "quota_status", "unmet"]


@dataclass(frozen=True)
class UnmetMinimum:
    """A firm that got fewer meetings than its minimum, and why."""

    uscc: str
    name: str
    wanted: int
    got: int
    reason: str


@dataclass(frozen=True)
class QuotaStatus:
    """One city quota: required and achieved meetings; ``hard`` if it was a hard constraint."""

    wanbei_city_code: str
    partner_city_code: str
    required: int
    achieved: int
    hard: bool

    @property
    def met(self) -> bool:
        return self.achieved >= self.required


@dataclass
class PlanReport:
    """How good the plan is and what it could not do.

    Attributes
    ----------
    objective : penalised objective of the final schedule: total value minus the penalty
        per unmet minimum or quota unit (= ``value`` when all are met).
    value : total (adjusted) value of the scheduled meetings.
    matching_objective : objective of the chosen pairs before scheduling.
    lp_bound : LP relaxation optimum of the matching model over a region holding this plan
        (forced must pairs fixed and quotas hard only if the plan keeps them; see
        :func:`~recommender.planner.matching.plan_bound`); the objective cannot exceed it.
    gap : (lp_bound - objective) / |lp_bound|.
    n_meetings, n_dropped : meetings scheduled; chosen meetings no slot could hold.
    per_firm : one row per firm (uscc, name, role, min/max, cap, available slots, meetings).
    unmet_minimums, quotas : see the classes.
    must_unscheduled : must-must pairs not in the plan, with a reason.
    dropped : chosen pairs not scheduled, with a reason.
    solver, schedule_method : what ran. timings : seconds per step.
    leaders_one_table : leading firms that keep one table all session / leading firms.
    changes : for a re-plan, one row per removed, moved or added meeting.
    """

    event_id: str
    objective: float
    value: float
    matching_objective: float
    lp_bound: float
    gap: float
    n_meetings: int
    n_dropped: int
    per_firm: pd.DataFrame
    unmet_minimums: list[UnmetMinimum]
    quotas: list[QuotaStatus]
    must_unscheduled: pd.DataFrame
    dropped: pd.DataFrame
    solver: str
    schedule_method: str
    timings: dict[str, float]
    leaders_one_table: tuple[int, int]
    notes: list[str] = field(default_factory=list)
    changes: pd.DataFrame | None = None

    @property
    def bound_ratio(self) -> float:
        """objective / lp_bound (1.0 = provably optimal)."""
        return self.objective / self.lp_bound if self.lp_bound > 0 else float("nan")

    def summary(self) -> dict[str, object]:
        """Plain figures for logs, JSON and the summary sheet."""
        return {
            "event_id": self.event_id,
            "n_meetings": self.n_meetings,
            "value": round(self.value, 6),
            "objective": round(self.objective, 6),
            "lp_bound": round(self.lp_bound, 6),
            "gap": round(self.gap, 6),
            "bound_ratio": round(self.bound_ratio, 6),
            "n_dropped": self.n_dropped,
            "n_unmet_minimums": len(self.unmet_minimums),
            "quotas_met": sum(q.met for q in self.quotas),
            "quotas": len(self.quotas),
            "leaders_one_table": f"{self.leaders_one_table[0]}/{self.leaders_one_table[1]}",
            "solver": self.solver,
            "schedule_method": self.schedule_method,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


def per_firm(inst: Instance, scheduled: BoolArray) -> pd.DataFrame:
    """One row per firm with its limits and the meetings it got."""
    got = degrees(inst, scheduled)
    return pd.DataFrame(
        {
            "uscc": inst.uscc,
            "name": inst.name,
            "role": np.where(inst.is_leading, "leading", "supporting"),
            "city_code": inst.city,
            "min_meetings": inst.min_m,
            "max_meetings": inst.max_m,
            "cap": inst.cap,
            "available_slots": inst.avail.sum(axis=1),
            "candidates": np.bincount(inst.lead, minlength=inst.n_firms)
            + np.bincount(inst.supp, minlength=inst.n_firms),
            "meetings": got,
        }
    )


def unmet(inst: Instance, scheduled: BoolArray, dropped: BoolArray) -> list[UnmetMinimum]:
    """Firms below their minimum, each with the most specific reason that applies."""
    got = degrees(inst, scheduled)
    cand = np.bincount(inst.lead, minlength=inst.n_firms) + np.bincount(
        inst.supp, minlength=inst.n_firms
    )
    lost = degrees(inst, dropped)
    out = []
    for f in np.flatnonzero(got < inst.min_m):
        name, want = str(inst.name[f]), int(inst.min_m[f])
        n_av = int(inst.avail[f].sum())
        if n_av < want:
            reason = f"企业 {name} 只在 {n_av} 个时段有空"
        elif inst.max_m[f] < want:
            reason = f"企业 {name} 的会谈上限为 {inst.max_m[f]}，低于最低要求 {want}"
        elif cand[f] < want:
            reason = (
                f"企业 {name} 只有 {cand[f]} 个可约见的对象（其余被拒绝、已见过或没有共同空闲时段）"
            )
        elif lost[f] > 0:
            reason = f"企业 {name} 有 {lost[f]} 场会谈找不到双方都有空且有空桌的时段"
        else:
            reason = f"企业 {name} 的候选对象会谈名额已满或会场容量不足"
        out.append(UnmetMinimum(str(inst.uscc[f]), name, want, int(got[f]), reason))
    return out


def quota_status(inst: Instance, scheduled: BoolArray, hard: bool) -> list[QuotaStatus]:
    """Achieved meetings per city quota."""
    return [
        QuotaStatus(
            q.wanbei_city_code, q.partner_city_code, q.min_meetings, int(m[scheduled].sum()), hard
        )
        for q, m in zip(inst.settings.quotas, quota_masks(inst), strict=True)
    ]


def must_status(inst: Instance, scheduled: BoolArray, dropped: BoolArray) -> pd.DataFrame:
    """Must-must pairs missing from the plan (excluded ones included), with a reason."""
    rows = [
        (
            inst.uscc[inst.lead[e]],
            inst.uscc[inst.supp[e]],
            "排程时没有可用时段" if dropped[e] else "一方会谈名额或会场容量不足",
        )
        for e in np.flatnonzero(inst.must & ~scheduled)
    ]
    ex = inst.excluded[inst.excluded["must"]]
    rows += list(zip(ex["leading_uscc"], ex["supporting_uscc"], ex["reason"], strict=True))
    return pd.DataFrame(rows, columns=["leading_uscc", "supporting_uscc", "reason"])
