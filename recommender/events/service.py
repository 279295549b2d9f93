"""Event planning from the database: load an event, value its pairs with the production
model, plan it, store the plan; read it back; re-plan after a cancellation.

A plan version is stored twice, by design: its meetings as rows of the ``meetings`` table
(``plan_version`` 1, 2, ...; the database refuses double bookings) and the whole plan
(spec, settings, participants, valued pairs, report) as a JSON file of a
:class:`~recommender.events.store.PlanStore`. The meetings rows are the truth for who meets
whom, when and where; the file gives names, values, the report and what a re-plan needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy.orm import Session

from features.schema import STAGE_GRADE
from recommender.db import repo
from recommender.errors import ModelError, NotFoundError, ValidationError
from recommender.events.store import PlanMeta, PlanStore
from recommender.planner import EventSpec, Plan, PlanSettings, greedy_plan, plan_event, replan
from recommender.ranking.service import RankingService
from recommender.settings import Settings

__all__ = [
    "PairValueFn",
    "StoredPlan",
    "cancel_participant",
    "event_inputs",
    "load_schedule",
    "met_before",
    "model_pair_values",
    "plan_event_from_db",
    "plans_dir",
    "preference_pairs",
]

log = logging.getLogger(__name__)

# (leading uscc, supporting uscc, as of) -> value of each pair (>= 0)
PairValueFn = Callable[[npt.NDArray[np.object_], npt.NDArray[np.object_], pd.Timestamp], np.ndarray]
DAY_START = time(9, 0)
MEETING_GRADE = STAGE_GRADE["meeting"]


@dataclass(frozen=True)
class StoredPlan:
    """A plan as stored: the plan, its version number and how it was made."""

    plan: Plan
    version: int
    model_version: str
    created_at: str
    path: Path


def plans_dir(settings: Settings) -> Path:
    """Where plan files live: ``$CHAINMATCH_HOME/plans``."""
    return settings.home / "plans"


def model_pair_values(ranking: RankingService) -> tuple[PairValueFn, str]:
    """The production model's calibrated success probability as a pair-value function.

    Returns the function and the model version it uses. Supporting firms are scored as
    ``supplier`` candidates of the leading firm, with features as of the event date.
    """
    model = ranking.models.current()
    if model.calibrator is None:
        raise ModelError(
            f"model {model.version} has no calibrator; event planning needs calibrated success "
            "probabilities (train with the pipeline, which calibrates)"
        )
    known = set(ranking.ctx.firms["uscc"].astype(str))

    def value(
        leading: npt.NDArray[np.object_], supporting: npt.NDArray[np.object_], as_of: pd.Timestamp
    ) -> np.ndarray:
        missing = sorted((set(leading) | set(supporting)) - known)
        if missing:
            raise ValidationError(
                f"{len(missing)} participant(s) are unknown to the ranking service, e.g. "
                f"{missing[:3]}; expected firms imported before the service was built "
                "(refresh the ranking service after imports)"
            )
        _, p, _ = ranking.pair_scores("supplier", leading, supporting, as_of=as_of)
        assert p is not None  # the model has a calibrator (checked above)
        return p

    return value, model.version


def event_inputs(session: Session, *, event_id: str) -> tuple[EventSpec, pd.DataFrame]:
    """The event's session spec and its participants (with names and cities) from the database.

    Slots start at 09:00 on the event date; ``n_tables`` defaults to the number of leading
    firms and ``slot_minutes`` to 20. Raises :class:`NotFoundError` for an unknown event and
    :class:`ValidationError` for an event without ``n_slots`` or without participants.
    """
    events = repo.load_frame(session, kind="events", where={"event_id": event_id})
    if events.empty:
        raise NotFoundError(f"event {event_id!r} not found")
    ev = events.iloc[0]
    parts = repo.load_frame(session, kind="participants", where={"event_id": event_id})
    if parts.empty:
        raise ValidationError(f"event {event_id} has no registered participants; expected >= 2")
    if pd.isna(ev["n_slots"]):
        raise ValidationError(f"event {event_id} has no n_slots; set the number of time slots")
    n_slots = int(ev["n_slots"])
    n_leading = int((parts["role"] == "leading").sum())
    spec = EventSpec(
        event_id=event_id,
        n_slots=n_slots,
        n_tables=int(ev["n_tables"]) if pd.notna(ev["n_tables"]) else max(n_leading, 1),
        slot_minutes=int(ev["slot_minutes"]) if pd.notna(ev["slot_minutes"]) else 20,
        start=datetime.combine(pd.Timestamp(ev["date"]).date(), DAY_START),
        name=str(ev["name"]),
        venue=str(ev["venue"]) if pd.notna(ev["venue"]) else "",
    )
    uscc = parts["uscc"].astype(str)
    firms = repo.load_frame(session, kind="enterprises", where={"uscc": uscc.tolist()})
    firms = firms.set_index(firms["uscc"].astype(str))
    participants = pd.DataFrame(
        {
            "uscc": uscc.to_numpy(dtype=object),
            "role": parts["role"].astype(str).to_numpy(dtype=object),
            "name": uscc.map(firms["name"]).fillna(uscc).astype(str).to_numpy(dtype=object),
            "city_code": uscc.map(firms["city_code"]).fillna("").astype(str).to_numpy(dtype=object),
            "min_meetings": parts["min_meetings"].fillna(0).astype("int64").to_numpy(),
            "max_meetings": parts["max_meetings"].fillna(n_slots).astype("int64").to_numpy(),
            "available_slots": parts["available_slots"]
            .fillna("")
            .astype(str)
            .to_numpy(dtype=object),
            "official": "",  # the accompanying 招商 official; not stored yet
            "must_meet": parts["must_meet"].fillna("").astype(str).to_numpy(dtype=object),
            "no_meet": parts["no_meet"].fillna("").astype(str).to_numpy(dtype=object),
        }
    )
    return spec, participants


PREF_COLUMNS = ("pref_leading", "pref_supporting")
_PAIR = ["leading_uscc", "supporting_uscc"]


def preference_pairs(participants: pd.DataFrame) -> pd.DataFrame:
    """Both sides' stored preferences as pairs: leading_uscc, supporting_uscc, pref_leading,
    pref_supporting ("must", "no", or NA where that side listed nothing).

    A participant's ``must_meet``/``no_meet`` (;-joined USCCs) give its side's preference
    for each listed counterpart; a counterpart in both lists counts as "no". Only pairs
    that some side listed are returned; counterparts of the same role are left out.
    """
    role = dict(zip(participants["uscc"], participants["role"], strict=True))
    sides: list[pd.DataFrame] = []
    for side, other, pref_col in (
        ("leading", "supporting", "pref_leading"),
        ("supporting", "leading", "pref_supporting"),
    ):
        own = participants[participants["role"] == side].reset_index(drop=True)
        long: list[pd.DataFrame] = []
        for column, pref in (("no_meet", "no"), ("must_meet", "must")):  # "no" first: it wins
            if column not in own.columns:
                continue
            listed = own[column].fillna("").astype(str).str.split(";").explode().str.strip()
            firm = own["uscc"].reindex(listed.index)
            long.append(pd.DataFrame({"firm": firm, "counterpart": listed, pref_col: pref}))
        if not long:
            continue
        frame = pd.concat(long, ignore_index=True)
        frame = frame[frame["counterpart"].map(role).eq(other)]
        frame = frame.drop_duplicates(["firm", "counterpart"], keep="first")
        names = {"firm": f"{side}_uscc", "counterpart": f"{other}_uscc"}
        sides.append(frame.rename(columns=names)[[*_PAIR, pref_col]].reset_index(drop=True))
    if not sides:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (*_PAIR, *PREF_COLUMNS)})
    out = sides[0]
    for more in sides[1:]:
        out = out.merge(more, on=_PAIR, how="outer")
    for c in PREF_COLUMNS:
        if c not in out.columns:
            out[c] = pd.NA
    return out[[*_PAIR, *PREF_COLUMNS]].astype(object).reset_index(drop=True)


def met_before(
    session: Session,
    *,
    leading: npt.NDArray[np.object_],
    supporting: npt.NDArray[np.object_],
    before: pd.Timestamp,
) -> npt.NDArray[np.bool_]:
    """Whether each pair has an outcome at meeting or beyond, either way round, before a date."""
    firms = sorted(set(leading) | set(supporting))
    out = repo.load_frame(session, kind="outcomes", where={"query_id": firms})
    grade = out["stage"].map(STAGE_GRADE).fillna(0)
    out = out[(grade >= MEETING_GRADE) & (pd.to_datetime(out["date"]) < before)]
    seen = set(zip(out["query_id"].astype(str), out["candidate_id"].astype(str), strict=True))
    seen |= {(b, a) for a, b in seen}
    return np.array([(a, b) in seen for a, b in zip(leading, supporting, strict=True)], dtype=bool)


def candidate_pairs(
    session: Session,
    *,
    spec: EventSpec,
    participants: pd.DataFrame,
    values: PairValueFn,
    preferences: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every leading × supporting pair with its value, ``met_before`` and both sides'
    preferences.

    Preferences come from the participants' ``must_meet``/``no_meet`` lists (see
    :func:`preference_pairs`); a pair in ``preferences`` overrides them where it gives a
    value. A side that said nothing about a pair is "meet".
    """
    lead = participants.loc[participants["role"] == "leading", "uscc"].to_numpy(dtype=object)
    supp = participants.loc[participants["role"] == "supporting", "uscc"].to_numpy(dtype=object)
    li = np.repeat(lead, len(supp))
    si = np.tile(supp, len(lead))
    as_of = pd.Timestamp(spec.start.date())
    pairs = pd.DataFrame(
        {
            "leading_uscc": li,
            "supporting_uscc": si,
            "value": values(li, si, as_of) if len(li) else np.zeros(0),
            "met_before": met_before(session, leading=li, supporting=si, before=as_of),
        }
    )
    prefs = preference_pairs(participants).set_index(_PAIR)
    if preferences is not None and len(preferences):
        cols = [c for c in PREF_COLUMNS if c in preferences.columns]
        given = preferences[[*_PAIR, *cols]].set_index(_PAIR)
        if given.index.has_duplicates:
            raise ValidationError(
                "preferences must list each (leading_uscc, supporting_uscc) pair once, got "
                f"{given.index[given.index.duplicated()][:3].tolist()}"
            )
        prefs = given.astype(object).combine_first(prefs)
    pairs = pairs.merge(prefs.reset_index(), on=_PAIR, how="left", validate="many_to_one")
    for c in PREF_COLUMNS:
        pairs[c] = pairs[c].astype(object).where(pairs[c].notna(), "meet")
    return pairs


def _next_version(session: Session, store: PlanStore, event_id: str) -> int:
    stored = repo.load_meetings(session, event_id=event_id)
    in_db = int(stored["plan_version"].max()) if len(stored) else 0
    on_disk = max(store.versions(event_id), default=0)
    return max(in_db, on_disk) + 1


def _store(
    session: Session, store: PlanStore, plan: Plan, *, model_version: str, greedy: bool
) -> StoredPlan:
    event_id = plan.spec.event_id
    meta = PlanMeta(
        version=_next_version(session, store, event_id),
        model_version=model_version,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        greedy=greedy,
    )
    path = store.save(plan, meta)
    rows = plan.meetings.rename(columns={"table": "table_no"})[
        ["slot", "table_no", "leading_uscc", "supporting_uscc", "value"]
    ]
    try:
        repo.save_meetings(
            session, event_id=event_id, meetings_frame=rows, plan_version=meta.version
        )
        session.commit()
    except BaseException:
        session.rollback()
        store.remove(event_id, meta.version)
        raise
    log.info("event %s: stored plan version %d (%d meetings)", event_id, meta.version, len(rows))
    return StoredPlan(plan, meta.version, model_version, meta.created_at, path)


def plan_event_from_db(
    session: Session,
    *,
    event_id: str,
    ranking: RankingService | PairValueFn,
    plans: Path,
    settings: PlanSettings | None = None,
    greedy: bool = False,
    preferences: pd.DataFrame | None = None,
    keep_cancelled: bool = True,
) -> StoredPlan:
    """Plan a stored event and store the plan as its next version.

    Parameters
    ----------
    session : database session (committed here: meetings and plan file form one unit).
    event_id : the event.
    ranking : the ranking service (its production model's calibrated probabilities value
        the pairs) or any function ``(leading, supporting, as_of) -> values``.
    plans : folder of plan files (:func:`plans_dir`).
    settings : planner settings (quotas, met-before handling).
    greedy : use the highest-value-first baseline instead of the optimiser.
    preferences : optional pairs' preferences (leading_uscc, supporting_uscc,
        pref_leading, pref_supporting) that override the participants' stored
        ``must_meet``/``no_meet`` lists for the pairs they name.
    keep_cancelled : leave out firms cancelled in the latest stored plan.

    Returns
    -------
    StoredPlan
        The plan (report with objective, LP bound, gap, unmet minimums) and its version.
    """
    store = PlanStore(plans)
    spec, participants = event_inputs(session, event_id=event_id)
    cancelled: tuple[str, ...] = ()
    if keep_cancelled and store.versions(event_id):
        try:
            cancelled = _latest(session, store, event_id).plan.cancelled
        except NotFoundError:  # the latest version's file is gone: nothing to carry over
            cancelled = ()
        participants = participants[~participants["uscc"].isin(cancelled)].reset_index(drop=True)
    if isinstance(ranking, RankingService):
        values, model_version = model_pair_values(ranking)
    else:
        values, model_version = ranking, "custom"
    pairs = candidate_pairs(
        session, spec=spec, participants=participants, values=values, preferences=preferences
    )
    run = greedy_plan if greedy else plan_event
    plan = run(spec, participants, pairs, settings or PlanSettings())
    if cancelled:
        plan.cancelled = cancelled
        plan.report.notes.append(f"沿用此前的取消：{len(cancelled)} 家企业不参与排程")
    return _store(session, store, plan, model_version=model_version, greedy=greedy)


def _latest(session: Session, store: PlanStore, event_id: str) -> StoredPlan:
    stored = repo.load_meetings(session, event_id=event_id)
    in_db = int(stored["plan_version"].max()) if len(stored) else 0
    versions = sorted({in_db, *store.versions(event_id)} - {0}, reverse=True)
    if not versions:
        raise NotFoundError(f"event {event_id!r} has no stored plan; plan it first")
    for version in versions:
        plan, meta = store.load(event_id, version)
        rows = (
            stored
            if version == in_db
            else repo.load_meetings(session, event_id=event_id, plan_version=version)
        )
        # a version is stored when its rows are committed; a file without them is what a
        # process killed between writing the file and committing left behind: skip it
        if len(rows) == len(plan.meetings) or version == versions[-1]:
            break
        log.warning(
            "event %s: plan file %d has %d meetings, the database %d (an interrupted "
            "plan); serving an earlier version",
            event_id, version, len(plan.meetings), len(rows),
        )  # fmt: skip
    plan.meetings = _meetings_from_rows(plan, rows)
    return StoredPlan(
        plan, version, meta.model_version, meta.created_at, store.path(event_id, version)
    )


def _meetings_from_rows(plan: Plan, rows: pd.DataFrame) -> pd.DataFrame:
    """The plan's meetings frame rebuilt from the database rows (the truth)."""
    names = dict(zip(plan.participants["uscc"], plan.participants["name"], strict=True))
    must = {
        (a, b): bool(m)
        for a, b, m in zip(
            plan.meetings["leading_uscc"], plan.meetings["supporting_uscc"], plan.meetings["must"],
            strict=True,
        )
    }  # fmt: skip
    out = pd.DataFrame(
        {
            "slot": rows["slot"].astype("int64"),
            "time": [plan.spec.slot_label(int(s)) for s in rows["slot"]],
            "table": rows["table_no"].astype("int64"),
            "leading_uscc": rows["leading_uscc"].astype(object),
            "leading_name": rows["leading_uscc"].map(names).astype(object),
            "supporting_uscc": rows["supporting_uscc"].astype(object),
            "supporting_name": rows["supporting_uscc"].map(names).astype(object),
            "value": rows["value"].astype("float64"),
            "must": [
                must.get((a, b), False)
                for a, b in zip(rows["leading_uscc"], rows["supporting_uscc"], strict=True)
            ],
        },
        columns=plan.meetings.columns,
    )
    return out.sort_values(["slot", "table"], kind="stable").reset_index(drop=True)


def load_schedule(session: Session, *, event_id: str, plans: Path) -> StoredPlan:
    """The event's latest stored plan (meetings as in the database); 404 if never planned."""
    if repo.load_frame(session, kind="events", where={"event_id": event_id}).empty:
        raise NotFoundError(f"event {event_id!r} not found")
    return _latest(session, PlanStore(plans), event_id)


def cancel_participant(
    session: Session, *, event_id: str, uscc: str, plans: Path, allow_moves: bool = False
) -> StoredPlan:
    """Remove a firm from the latest plan, keep every other meeting where it is, fill the
    freed capacity, and store the result as the next version.

    The pair values come from the stored plan, so no model is needed. The new plan's
    ``report.changes`` lists what was removed, moved and added.
    """
    store = PlanStore(plans)
    current = load_schedule(session, event_id=event_id, plans=plans)
    new = replan(current.plan, uscc, allow_moves=allow_moves)
    return _store(session, store, new, model_version=current.model_version, greedy=False)
