"""The plan's report: value against its LP bound, unmet minimums with reasons, quotas, timings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.planner.matching import degrees, quota_masks
from recommender.planner.model import BoolArray, Instance

__all__ = [
    "OrganiserWarning",
    "PlanReport",
    "QuotaStatus",
    "UnmetMinimum",
    "organiser_warnings",
    "per_firm",
    "quota_status",
    "unmet",
]


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
    def share_of_best(self) -> float:
        """How close to the bound, in [0, 1]: 1 - gap (1.0 = provably optimal; NaN unknown).

        Unlike ``bound_ratio`` this reads right when penalties make both numbers negative.
        """
        if not np.isfinite(self.gap):
            return float("nan")
        return float(min(1.0, max(0.0, 1.0 - self.gap)))

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


@dataclass(frozen=True)
class OrganiserWarning:
    """Something an organiser should look at before the event, in plain Chinese."""

    kind: str  # host_left_out | no_meeting | unmet_minimum | tables
    text: str
    firms: tuple[str, ...] = ()  # names
    details: tuple[str, ...] = ()  # one line per firm, when there is more to say


def _names(names: list[str], limit: int = 6) -> str:
    shown = "、".join(names[:limit])
    return shown + (f" 等 {len(names)} 家" if len(names) > limit else "")


def _why_none(pf: pd.DataFrame) -> str:
    """What would get more firms a meeting: the leading firms' time, or the room."""
    leading = pf[pf["role"] == "leading"]
    if len(leading) and int(leading["meetings"].sum()) >= int(leading["cap"].sum()):
        most = int(leading["cap"].max())
        return (
            f"{len(leading)} 家龙头企业的时间已经排满（每家最多 {most} 场）："
            "要让更多企业谈上，需要增加时段，或邀请更多龙头企业。"
        )
    return "请增加时段或桌数，或检查它们的候选对象和必见/不见设置。"


def organiser_warnings(
    report: PlanReport, *, n_tables: int, host_city_code: str = "", host_city_name: str = ""
) -> list[OrganiserWarning]:
    """What an organiser must see: host-city firms left out, firms with no meeting, unmet
    minimums, and more leading firms than tables (with how many tables would do)."""
    pf = report.per_firm
    out: list[OrganiserWarning] = []
    none = pf[pf["meetings"] == 0]
    host = none[none["city_code"] == host_city_code] if host_city_code else none.iloc[:0]
    if len(host):
        names = [str(n) for n in host["name"]]
        out.append(
            OrganiserWarning(
                "host_left_out",
                f"{host_city_name or '东道主城市'}本地企业没有排到任何会谈：{_names(names)}。"
                "东道主企业一般要优先安排。",
                tuple(names),
            )
        )
    others = none[~none["uscc"].isin(host["uscc"])]
    if len(others):
        names = [str(n) for n in others["name"]]
        out.append(
            OrganiserWarning(
                "no_meeting",
                f"{len(others)} 家企业没有排到任何会谈，来了会白跑一趟：{_names(names)}。"
                + _why_none(pf),
                tuple(names),
            )
        )
    if report.unmet_minimums:
        lines = tuple(
            f"{u.name}：要 {u.wanted} 场，排到 {u.got} 场"
            f"（{u.reason.replace(f'企业 {u.name} ', '')}）"
            for u in report.unmet_minimums
        )
        names = [u.name for u in report.unmet_minimums]
        out.append(
            OrganiserWarning(
                "unmet_minimum",
                f"{len(names)} 家企业没达到各自要求的最少会谈数：{_names(names)}。",
                tuple(names),
                lines,
            )
        )
    leaders = int((pf["role"] == "leading").sum())
    moving = report.leaders_one_table[1] - report.leaders_one_table[0]
    if leaders > n_tables:
        out.append(
            OrganiserWarning(
                "tables",
                f"龙头企业有 {leaders} 家，桌子只有 {n_tables} 张，{moving} 家龙头企业中途要换桌。"
                f"建议把桌数设为 {leaders} 张，让每家龙头企业全程坐一张桌。",
            )
        )
    return out
