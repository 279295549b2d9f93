"""Planning a stored event with the production model: valued pairs, stored versions,
schedule read-back, Excel export and re-planning after a cancellation (small world)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from features.pairs import pair_features
from features.reference import load_reference
from features.schema import SCHEMAS, conform
from recommender.db import repo
from recommender.db.engine import make_engine, make_session_factory
from recommender.errors import NotFoundError
from recommender.events import service as es
from recommender.planner import PlanSettings, violations, write_excel
from recommender.ranking.factory import ServiceHolder
from recommender.ranking.rules import load_rules
from recommender.ranking.service import RankingService
from training.registry import ModelRegistry

if TYPE_CHECKING:
    from tests.conftest import SmallWorld

pytestmark = pytest.mark.slow


@dataclass
class Env:
    factory: sessionmaker[Session]
    service: RankingService
    plans: Path
    event_id: str


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, small_world: SmallWorld) -> Iterator[Env]:
    home = tmp_path_factory.mktemp("events_service")
    engine = make_engine(small_world.install(home))
    factory = make_session_factory(engine)
    holder = ServiceHolder(
        factory, load_reference(), ModelRegistry(home / "models"), load_rules(None)
    )
    yield Env(factory, holder.get(), home / "plans", small_world.upcoming_event)
    engine.dispose()


def _plan(env: Env, **kwargs: object) -> es.StoredPlan:
    with env.factory() as s:
        return es.plan_event_from_db(
            s,
            event_id=env.event_id,
            ranking=kwargs.pop("ranking", env.service),  # type: ignore[arg-type]
            plans=env.plans,
            **kwargs,  # type: ignore[arg-type]
        )


def _keys(frame: pd.DataFrame, table: str = "table") -> set[tuple[int, int, str, str]]:
    return {
        (int(s), int(t), str(a), str(b))
        for s, t, a, b in zip(
            frame["slot"], frame[table], frame["leading_uscc"], frame["supporting_uscc"],
            strict=True,
        )
    }  # fmt: skip


def test_plan_is_valid_stored_and_uses_the_model(env: Env, small_world: SmallWorld) -> None:
    stored = _plan(env)
    plan = stored.plan
    assert violations(plan) == []
    assert plan.report.n_meetings == len(plan.meetings) > 0
    assert stored.model_version == small_world.model_version
    # 3 leading x 60 supporting registered firms in the world's upcoming event
    parts = plan.participants
    n_lead = int((parts["role"] == "leading").sum())
    assert len(plan.pairs) == n_lead * (len(parts) - n_lead)
    assert plan.spec.start.strftime("%H:%M") == "09:00"
    with env.factory() as s:
        rows = repo.load_meetings(s, event_id=env.event_id, plan_version=stored.version)
    assert _keys(rows, "table_no") == _keys(plan.meetings)
    assert stored.path.is_file()
    # values are the production model's calibrated probabilities, as of the event date
    model = env.service.models.current()
    sample = plan.pairs.head(12)
    X = pair_features(
        env.service.ctx,
        kind="supplier",
        query_ids=sample["leading_uscc"].to_numpy(dtype=object),
        candidate_ids=sample["supporting_uscc"].to_numpy(dtype=object),
        as_of=pd.Timestamp(plan.spec.start.date()),
    )
    assert model.calibrator is not None
    expected = model.calibrator.transform(model.booster.predict(X[list(model.feature_names)]))
    np.testing.assert_allclose(sample["value"].to_numpy(), expected, rtol=1e-9)
    assert plan.pairs["value"].between(0.0, 1.0).all()


def test_pairs_that_met_before_are_marked_and_not_scheduled(env: Env) -> None:
    plan = _plan(env).plan
    met = plan.pairs[plan.pairs["met_before"].astype(bool)]
    assert len(met) > 0  # the world has earlier events between these firms
    m = plan.meetings
    scheduled = set(zip(m["leading_uscc"], m["supporting_uscc"], strict=True))
    assert not scheduled & set(zip(met["leading_uscc"], met["supporting_uscc"], strict=True))


def test_met_before_counts_meetings_before_the_date_either_way_round(env: Env) -> None:
    lead, supp = "91310101WE4B1RDY1A", "91340300MQT4P5DNWA"  # not in the world: no history
    with env.factory() as s:
        firms = repo.load_frame(s, kind="enterprises").head(2)
        a, b = firms["uscc"].astype(str).tolist()
        outcomes = pd.DataFrame(
            {
                "query_kind": ["supplier", "customer"],
                "query_id": [a, b],
                "candidate_id": [b, a],
                "stage": ["meeting", "signed"],
                "date": pd.to_datetime(["2025-03-01", "2025-09-01"]),
            }
        )
        repo.upsert_frame(s, kind="outcomes", frame=conform(outcomes, SCHEMAS["outcomes"]))
        got = es.met_before(
            s,
            leading=np.array([a, b, lead], dtype=object),
            supporting=np.array([b, a, supp], dtype=object),
            before=pd.Timestamp("2025-06-01"),
        )
        early = es.met_before(
            s,
            leading=np.array([a], dtype=object),
            supporting=np.array([b], dtype=object),
            before=pd.Timestamp("2025-03-01"),  # the meeting day itself is not "before"
        )
        s.rollback()
    assert got.tolist() == [True, True, False]
    assert early.tolist() == [False]


def test_a_custom_value_function_decides_the_pairs(env: Env) -> None:
    with env.factory() as s:
        _, parts = es.event_inputs(s, event_id=env.event_id)
    lead = str(parts.loc[parts["role"] == "leading", "uscc"].iloc[0])
    free = parts[(parts["role"] == "supporting") & (parts["available_slots"] == "")]
    favourite = str(free["uscc"].iloc[-1])

    def values(li: np.ndarray, si: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
        return np.where((li == lead) & (si == favourite), 1.0, 0.01)

    stored = _plan(env, ranking=values, settings=PlanSettings(exclude_met_before=False))
    m = stored.plan.meetings
    assert stored.model_version == "custom"
    assert ((m["leading_uscc"] == lead) & (m["supporting_uscc"] == favourite)).sum() == 1
    assert violations(stored.plan) == []


def test_greedy_is_never_better_than_the_optimiser(env: Env) -> None:
    best = _plan(env).plan.report
    greedy = _plan(env, greedy=True).plan.report
    assert np.isnan(greedy.lp_bound)
    assert greedy.objective <= best.lp_bound + 1e-6
    assert best.objective == pytest.approx(best.lp_bound, abs=1e-6)  # bipartite LP is integral


def test_schedule_reads_back_the_latest_version(env: Env) -> None:
    stored = _plan(env)
    with env.factory() as s:
        loaded = es.load_schedule(s, event_id=env.event_id, plans=env.plans)
    assert loaded.version == stored.version
    assert _keys(loaded.plan.meetings) == _keys(stored.plan.meetings)
    assert loaded.plan.meetings["leading_name"].tolist() == (
        stored.plan.meetings["leading_name"].tolist()
    )
    a, b = loaded.plan.report, stored.plan.report
    assert (a.objective, a.lp_bound, a.gap, a.n_meetings) == (
        b.objective,
        b.lp_bound,
        b.gap,
        b.n_meetings,
    )
    assert a.unmet_minimums == b.unmet_minimums
    pd.testing.assert_frame_equal(a.per_firm, b.per_firm, check_dtype=False)
    assert loaded.plan.spec == stored.plan.spec


def test_excel_has_summary_all_meetings_a_sheet_per_slot_and_per_firm(
    env: Env, tmp_path: Path
) -> None:
    plan = _plan(env).plan
    wb = load_workbook(write_excel(plan, tmp_path / "s.xlsx"), read_only=True)
    firms = set(plan.meetings["leading_uscc"]) | set(plan.meetings["supporting_uscc"])
    slots = [f"时段{k + 1}" for k in range(plan.spec.n_slots)]
    assert wb.sheetnames[: 2 + len(slots)] == ["汇总", "全部会谈", *slots]
    assert len(wb.sheetnames) == 2 + len(slots) + len(firms)
    rows = list(wb["全部会谈"].iter_rows(values_only=True))
    assert len(rows) == 1 + len(plan.meetings)


def test_cancel_removes_the_firm_and_keeps_everyone_else_in_place(env: Env) -> None:
    before = _plan(env)
    m = before.plan.meetings
    busiest = m["supporting_uscc"].value_counts()
    gone = str(busiest.index[0])
    with env.factory() as s:
        after = es.cancel_participant(s, event_id=env.event_id, uscc=gone, plans=env.plans)
        stored = repo.load_meetings(s, event_id=env.event_id)
    assert after.version == before.version + 1
    assert int(stored["plan_version"].iloc[0]) == after.version
    assert gone not in set(stored["supporting_uscc"])
    kept = m[m["supporting_uscc"] != gone]
    assert _keys(kept) <= _keys(stored, "table_no")  # same slot, same table
    changes = after.plan.report.changes
    assert changes is not None
    removed = changes[changes["change"] == "removed"]
    assert len(removed) == busiest.iloc[0]
    assert set(removed["supporting_uscc"]) == {gone}
    assert (changes["change"] != "moved").all()
    assert violations(after.plan) == []
    assert after.plan.cancelled == (gone,)
    # a fresh plan keeps the cancellation
    again = _plan(env).plan
    assert gone not in set(again.meetings["supporting_uscc"])
    assert gone not in set(again.pairs["supporting_uscc"])
    with env.factory() as s, pytest.raises(NotFoundError, match="not a remaining participant"):
        es.cancel_participant(s, event_id=env.event_id, uscc=gone, plans=env.plans)


def test_unknown_event_and_unplanned_event_are_not_found(env: Env) -> None:
    with env.factory() as s:
        with pytest.raises(NotFoundError, match="event 'NO-SUCH' not found"):
            es.plan_event_from_db(s, event_id="NO-SUCH", ranking=env.service, plans=env.plans)
        other = repo.load_frame(s, kind="events")["event_id"].iloc[0]
        with pytest.raises(NotFoundError, match="has no stored plan"):
            es.load_schedule(s, event_id=str(other), plans=env.plans)


def test_stored_preferences_forbid_no_pairs_and_schedule_mutual_must_pairs(
    small_world: SmallWorld, tmp_path: Path
) -> None:
    engine = make_engine(small_world.install(tmp_path))
    factory = make_session_factory(engine)
    event_id = small_world.upcoming_event
    try:
        with factory() as s:
            parts = repo.load_frame(s, kind="participants", where={"event_id": event_id})
            free = parts[
                (parts["available_slots"] == "") & (parts["must_meet"] == "")
                & (parts["no_meet"] == "")
            ]  # fmt: skip
            lead = free.loc[free["role"] == "leading", "uscc"].astype(str).tolist()
            supp = free.loc[free["role"] == "supporting", "uscc"].astype(str).tolist()
            a, c = lead[0], lead[1]
            b, d = supp[0], supp[1]
            # a refuses b (the pair the values favour); c and d both insist (worth nothing)
            changes = {a: ("", b), c: (d, ""), d: (c, "")}
            edited = parts[parts["uscc"].isin(list(changes))].copy()
            edited["must_meet"] = edited["uscc"].map(lambda u: changes[u][0])
            edited["no_meet"] = edited["uscc"].map(lambda u: changes[u][1])
            assert repo.upsert_frame(s, kind="participants", frame=edited).updated == 3
            s.commit()

        def values(li: np.ndarray, si: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
            return np.where((li == a) & (si == b), 1.0, np.where((li == c) & (si == d), 0.0, 0.1))

        with factory() as s:
            plan = es.plan_event_from_db(
                s, event_id=event_id, ranking=values, plans=tmp_path / "plans",
                settings=PlanSettings(exclude_met_before=False),
            ).plan  # fmt: skip
    finally:
        engine.dispose()
    pairs = plan.pairs.set_index(["leading_uscc", "supporting_uscc"])
    assert tuple(pairs.loc[(a, b), ["pref_leading", "pref_supporting"]]) == ("no", "meet")
    assert tuple(pairs.loc[(c, d), ["pref_leading", "pref_supporting"]]) == ("must", "must")
    assert set(pairs["pref_leading"]) | set(pairs["pref_supporting"]) <= {"must", "meet", "no"}
    m = plan.meetings
    met = dict(zip(zip(m["leading_uscc"], m["supporting_uscc"], strict=True), m["must"],
                   strict=True))  # fmt: skip
    assert (a, b) not in met
    assert bool(met[(c, d)])  # scheduled although it is worth nothing
    # the world's own refusals at this event are never scheduled either
    refused = pairs[(pairs["pref_leading"] == "no") | (pairs["pref_supporting"] == "no")]
    assert len(refused) > 1  # (a, b) and the world's own
    assert not set(met) & set(refused.index)
    assert violations(plan) == []
