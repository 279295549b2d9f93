"""Inputs of the event planner and their validation into one array-based instance.

The planner takes an :class:`EventSpec`, a participants frame, a pairs frame and
:class:`PlanSettings`; :func:`build_instance` checks them (every problem is named, with what
was expected and what came) and turns them into an :class:`Instance` of numpy arrays that
the matching and scheduling steps share.

Participants frame columns
    ``uscc``, ``role`` ('leading' | 'supporting'), ``name`` (optional, default = uscc),
    ``city_code`` (optional, default ''), ``min_meetings`` (optional, default 0),
    ``max_meetings`` (optional, default = n_slots), ``available_slots`` (optional: a
    set/list/array of 0-based slot indexes, a ';'-joined string, or missing/empty = all
    slots), ``official`` (optional, the accompanying 招商 official).
Pairs frame columns
    ``leading_uscc``, ``supporting_uscc``, ``value`` (calibrated success probability, >= 0),
    ``pref_leading`` / ``pref_supporting`` (optional: 'must' | 'meet' | 'no' | None),
    ``met_before`` (optional bool).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from recommender.errors import ValidationError

__all__ = [
    "PREFERENCES",
    "CityQuota",
    "EventSpec",
    "Instance",
    "PlanSettings",
    "build_instance",
    "parse_slots",
]

PREFERENCES = ("must", "meet", "no")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EventSpec:
    """One matchmaking session: its slots and tables.

    Parameters
    ----------
    event_id : event id.
    n_slots : number of time slots (>= 1).
    n_tables : number of tables (>= 1); a slot holds at most this many meetings.
    slot_minutes : length of a slot in minutes (>= 1).
    start : start of slot 0; slot ``s`` starts ``s * slot_minutes`` later.
    name, venue : shown on exports.
    """

    event_id: str
    n_slots: int
    n_tables: int
    slot_minutes: int = 20
    start: datetime = field(default_factory=lambda: datetime(2025, 1, 1, 9, 0))
    name: str = ""
    venue: str = ""

    def __post_init__(self) -> None:
        for attr in ("n_slots", "n_tables", "slot_minutes"):
            value = getattr(self, attr)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValidationError(f"EventSpec.{attr} must be an integer >= 1, got {value!r}")

    def starting_at(self, hhmm: str) -> EventSpec:
        """The same session starting at ``hhmm`` ("HH:MM") on its day ("" = unchanged)."""
        if not hhmm:
            return self
        from dataclasses import replace

        hour, minute = (int(x) for x in hhmm.split(":"))
        return replace(self, start=self.start.replace(hour=hour, minute=minute, second=0))

    @property
    def capacity(self) -> int:
        """Most meetings the session can hold (slots x tables)."""
        return self.n_slots * self.n_tables

    def slot_label(self, slot: int) -> str:
        """``'09:00-09:20'`` for a 0-based slot index."""
        begin = self.start + timedelta(minutes=slot * self.slot_minutes)
        end = begin + timedelta(minutes=self.slot_minutes)
        return f"{begin:%H:%M}-{end:%H:%M}"


@dataclass(frozen=True)
class CityQuota:
    """At least ``min_meetings`` meetings between firms of two cities (either role)."""

    wanbei_city_code: str
    partner_city_code: str
    min_meetings: int

    def __post_init__(self) -> None:
        if self.min_meetings < 0:
            raise ValidationError(f"CityQuota.min_meetings must be >= 0, got {self.min_meetings}")


@dataclass(frozen=True)
class PlanSettings:
    """How pair values are adjusted and which soft rules apply.

    Parameters
    ----------
    exclude_met_before : drop pairs that met before (default); if False their value is
        multiplied by ``met_before_weight``.
    met_before_weight : factor in [0, 1] for pairs that met before when not excluded.
    one_sided_must_weight : factor (>= 1) for a pair that one side marked "must".
    quotas : city quotas; hard where feasible, else soft and reported.
    time_limit : seconds allowed to the MILP solver.
    mip_rel_gap : relative gap at which the MILP solver may stop.
    start_time : "HH:MM" when the first slot starts on the event's day ("" = as the spec
        says); the organiser's choice, kept with the plan.
    """

    exclude_met_before: bool = True
    met_before_weight: float = 0.5
    one_sided_must_weight: float = 1.5
    quotas: tuple[CityQuota, ...] = ()
    time_limit: float = 60.0
    mip_rel_gap: float = 1e-4
    start_time: str = ""

    def __post_init__(self) -> None:
        if self.start_time and not _HHMM.fullmatch(self.start_time):
            raise ValidationError(
                f"开始时间应为 08:30 这样的时刻 (start_time must be HH:MM), got {self.start_time!r}"
            )
        if not 0.0 <= self.met_before_weight <= 1.0:
            raise ValidationError(
                f"met_before_weight must be in [0, 1], got {self.met_before_weight}"
            )
        if self.one_sided_must_weight < 1.0:
            raise ValidationError(
                f"one_sided_must_weight must be >= 1, got {self.one_sided_must_weight}"
            )


@dataclass
class Instance:
    """The validated problem as arrays; firms are rows 0..F-1, candidate pairs edges 0..m-1.

    Attributes
    ----------
    uscc, name, role, city : per firm (role True = leading).
    min_m, cap : minimum wanted and effective cap = min(max_meetings, available slots).
    max_m : the stated maximum.
    avail : F x S availability mask.
    lead, supp : firm row of each edge's leading and supporting firm.
    value : adjusted pair value (objective weight), raw : the given value.
    must : both sides said "must".
    allowed : m x S mask of slots where both firms are free.
    excluded : pairs left out before optimisation, with a reason per pair.
    """

    spec: EventSpec
    settings: PlanSettings
    uscc: npt.NDArray[np.object_]
    name: npt.NDArray[np.object_]
    is_leading: BoolArray
    city: npt.NDArray[np.object_]
    min_m: IntArray
    max_m: IntArray
    cap: IntArray
    avail: BoolArray
    lead: IntArray
    supp: IntArray
    value: FloatArray
    raw: FloatArray
    must: BoolArray
    allowed: BoolArray
    excluded: pd.DataFrame
    index: dict[str, int] = field(default_factory=dict)

    @property
    def n_firms(self) -> int:
        return len(self.uscc)

    @property
    def n_edges(self) -> int:
        return len(self.lead)

    @property
    def unrestricted(self) -> bool:
        """Every firm is available in every slot."""
        return bool(self.avail.all())


def parse_slots(raw: Any, n_slots: int, *, who: str = "") -> BoolArray:
    """Turn one ``available_slots`` cell into a mask over ``n_slots`` slots.

    Missing, NaN, None or empty means every slot. Accepts an iterable of ints or a
    ';'/','-joined string of ints.
    """
    mask = np.zeros(n_slots, dtype=bool)
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        mask[:] = True
        return mask
    items: Iterable[Any]
    if isinstance(raw, str):
        parts = [p.strip() for p in raw.replace(",", ";").split(";")]
        items = [p for p in parts if p]
        if not items:
            mask[:] = True
            return mask
    elif isinstance(raw, Iterable):
        items = list(raw)
        if not items:
            mask[:] = True
            return mask
    else:
        raise ValidationError(
            f"{who}available_slots must be a set/list of slot indexes or a ';'-joined string, "
            f"got {raw!r}"
        )
    for item in items:
        try:
            s = int(item)
        except (TypeError, ValueError):
            raise ValidationError(
                f"{who}available_slots must hold integers, got {item!r}"
            ) from None
        if not 0 <= s < n_slots:
            raise ValidationError(f"{who}available slot must be in 0..{n_slots - 1}, got {s}")
        mask[s] = True
    return mask


def _pref(series: pd.Series | None, n: int, column: str) -> npt.NDArray[np.object_]:
    if series is None:
        return np.full(n, "", dtype=object)
    out = series.astype(object).where(series.notna(), "").astype(str).str.strip().str.lower()
    bad = sorted(set(out) - {"", "none", *PREFERENCES})
    if bad:
        raise ValidationError(
            f"pairs.{column} must be one of {list(PREFERENCES)} or empty, got {bad[:5]}"
        )
    return np.asarray(out.replace("none", ""), dtype=object)


def _int_column(frame: pd.DataFrame, column: str, default: int) -> IntArray:
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=np.int64)
    col = pd.to_numeric(frame[column], errors="coerce")
    bad = frame.loc[col.isna() & frame[column].notna(), column]
    if len(bad):
        raise ValidationError(f"participants.{column} must be integers, got {bad.head(5).tolist()}")
    out = col.fillna(default).to_numpy(dtype=np.int64)
    if (out < 0).any():
        raise ValidationError(f"participants.{column} must be >= 0, got {out.min()}")
    return out


def _require_columns(participants: pd.DataFrame, pairs: pd.DataFrame) -> None:
    for frame, label, needed in (
        (participants, "participants", ["uscc", "role"]),
        (pairs, "pairs", ["leading_uscc", "supporting_uscc", "value"]),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValidationError(
                f"{label} frame lacks columns {missing}; expected at least {needed}, "
                f"got {list(frame.columns)}"
            )


def _pair_ends(
    q: pd.DataFrame, index: dict[str, int], is_leading: BoolArray, uscc: npt.NDArray[np.object_]
) -> tuple[IntArray, IntArray]:
    """Participant rows of each pair's leading and supporting firm; raise if a pair names
    an unknown firm, joins two firms of one role, or repeats."""
    li = q["leading_uscc"].astype(str).map(index)
    si = q["supporting_uscc"].astype(str).map(index)
    unknown = q.loc[li.isna() | si.isna(), ["leading_uscc", "supporting_uscc"]]
    if len(unknown):
        raise ValidationError(
            f"pairs must name registered participants, got {len(unknown)} unknown, e.g. "
            f"{unknown.head(3).to_numpy().tolist()}"
        )
    lead = np.asarray(li.to_numpy(), dtype=np.int64)
    supp = np.asarray(si.to_numpy(), dtype=np.int64)
    wrong = ~is_leading[lead] | is_leading[supp]
    if wrong.any():
        k = int(np.flatnonzero(wrong)[0])
        raise ValidationError(
            "pairs must join a leading firm (leading_uscc) with a supporting firm "
            f"(supporting_uscc), got {uscc[lead[k]]} / {uscc[supp[k]]} in row {k}"
        )
    key = pd.Series(lead * len(uscc) + supp)
    if key.duplicated().any():
        k = int(np.flatnonzero(key.duplicated().to_numpy())[0])
        raise ValidationError(
            f"pairs must list each pair once, got {uscc[lead[k]]} / {uscc[supp[k]]} twice"
        )
    return lead, supp


def build_instance(
    spec: EventSpec, participants: pd.DataFrame, pairs: pd.DataFrame, settings: PlanSettings
) -> Instance:
    """Validate the inputs and build the array instance (the caller's frames are not changed).

    Raises
    ------
    ValidationError
        A required column is missing, a role or preference is unknown, a firm is listed
        twice, a pair names an unknown firm or a firm in the wrong role, or a value is
        negative.
    """
    _require_columns(participants, pairs)
    p = participants.reset_index(drop=True)
    uscc = p["uscc"].astype(str).to_numpy(dtype=object)
    dup = pd.Series(uscc)[pd.Series(uscc).duplicated()].unique().tolist()
    if dup:
        raise ValidationError(f"participants must list each firm once, got duplicates {dup[:5]}")
    role = p["role"].astype(str).str.strip().str.lower()
    bad_roles = sorted(set(role) - {"leading", "supporting"})
    if bad_roles:
        raise ValidationError(f"participants.role must be leading or supporting, got {bad_roles}")
    S = spec.n_slots
    avail_col = p["available_slots"] if "available_slots" in p.columns else None
    avail = np.ones((len(p), S), dtype=bool)
    if avail_col is not None:
        for k, raw in enumerate(avail_col.tolist()):
            avail[k] = parse_slots(raw, S, who=f"participant {uscc[k]}: ")
    min_m = _int_column(p, "min_meetings", 0)
    max_m = _int_column(p, "max_meetings", S)
    cap = np.minimum(max_m, avail.sum(axis=1)).astype(np.int64)
    names = p["name"].astype(str).to_numpy(dtype=object) if "name" in p.columns else uscc.copy()
    city = (
        p["city_code"].fillna("").astype(str).to_numpy(dtype=object)
        if "city_code" in p.columns
        else np.full(len(p), "", dtype=object)
    )
    index = {u: k for k, u in enumerate(uscc)}
    is_leading = (role == "leading").to_numpy()

    q = pairs.reset_index(drop=True)
    lead, supp = _pair_ends(q, index, is_leading, uscc)
    raw = pd.to_numeric(q["value"], errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(raw).any() or (raw < 0).any():
        raise ValidationError(
            f"pairs.value must be numbers >= 0, got {raw[np.isnan(raw) | (raw < 0)][:5].tolist()}"
        )
    pl = _pref(q.get("pref_leading"), len(q), "pref_leading")
    ps = _pref(q.get("pref_supporting"), len(q), "pref_supporting")
    met = (
        q["met_before"].fillna(False).astype(bool).to_numpy()
        if "met_before" in q.columns
        else np.zeros(len(q), dtype=bool)
    )
    allowed = avail[lead] & avail[supp]
    value = raw.copy()
    n_must = (pl == "must").astype(int) + (ps == "must").astype(int)
    value[n_must == 1] *= settings.one_sided_must_weight
    if not settings.exclude_met_before:
        value[met] *= settings.met_before_weight
    reasons = np.full(len(q), "", dtype=object)
    reasons[~allowed.any(axis=1)] = "双方没有共同空闲时段"
    if settings.exclude_met_before:
        reasons[met] = "此前已会谈过"
    reasons[(cap[lead] == 0) | (cap[supp] == 0)] = "一方会谈上限为 0"
    reasons[(pl == "no") | (ps == "no")] = "一方拒绝会谈"
    keep = reasons == ""
    excluded = pd.DataFrame(
        {
            "leading_uscc": uscc[lead[~keep]],
            "supporting_uscc": uscc[supp[~keep]],
            "must": n_must[~keep] == 2,
            "reason": reasons[~keep],
        }
    )
    return Instance(
        spec=spec,
        settings=settings,
        uscc=uscc,
        name=names,
        is_leading=is_leading,
        city=city,
        min_m=min_m,
        max_m=max_m,
        cap=cap,
        avail=avail,
        lead=lead[keep],
        supp=supp[keep],
        value=value[keep],
        raw=raw[keep],
        must=(n_must == 2)[keep],
        allowed=allowed[keep],
        excluded=excluded,
        index=index,
    )
