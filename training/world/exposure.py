"""Shown lists of the variant worlds: a recommendation rule that drifts over the window.

The occasions are those of the standard world (:mod:`training.world.schedule`): every past
event's leading firms see a list of its supporting participants; each month a third of the
parks (investor lists) and some Wanbei chain firms (customer lists) get a list. What differs
is *which* candidates a list holds and in what order: a rule scores candidates with weights
that move linearly from ``rule_early`` to ``rule_late`` over the window, adds a Gumbel draw
(temperature ``rule_tau``), and shows the top 20–50; ``position`` is the rank (1 = top).
Monthly lists score a sample of the eligible pool (300 at random plus up to 300 of the
query's chain), as a real office's shortlist would.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.reference import Reference
from training.world.events import EventPlan, month_starts
from training.world.model import NEVER, FloatArray, IntArray, PairModel
from training.world.schedule import (
    CUSTOMER_DAY,
    INVESTOR_DAY,
    LIST_SIZE,
    REPEAT_GAP_DAYS,
)
from training.world.texts import TextModel
from training.world.utility import base_terms

SAMPLE_RANDOM, SAMPLE_CHAIN = 300, 300


def rule_scores(
    model: PairModel,
    tm: TextModel,
    kind: str,
    q: IntArray,
    c: IntArray,
    *,
    day: npt.NDArray[np.datetime64],
) -> dict[str, FloatArray]:
    """The rule's score families (chain, place, size, prominence) for pairs."""
    t = base_terms(model, kind, q, c, day)
    z = (model.f_logrev - model.f_logrev.mean()) / max(float(model.f_logrev.std()), 1e-9)
    return {
        "chain": t["chain"] + 0.3 * t["io"],
        "place": np.exp(-t["dist_km"] / 250.0) + 0.5 * t["paired"] + 0.5 * tm.f_wanbei[c],
        "size": z[c],
        "prominence": 0.5 * z[c] + tm.f_listed[c] + 0.5 * tm.f_srdi[c] + tm.f_leading[c],
    }


def _mix(early: Mapping[str, float], late: Mapping[str, float], lam: float) -> dict[str, float]:
    keys = set(early) | set(late)
    return {k: (1 - lam) * early.get(k, 0.0) + lam * late.get(k, 0.0) for k in keys}


def _pick(
    model: PairModel,
    tm: TextModel,
    kind: str,
    q: IntArray,
    c: IntArray,
    *,
    day: np.datetime64,
    weights: Mapping[str, float],
    tau: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Top 20–50 of the scored (q, c) rows per query, with their rank."""
    keep = q != c
    q, c = q[keep], c[keep]
    pairs = pd.DataFrame({"q": q, "c": c}).drop_duplicates()
    q, c = pairs["q"].to_numpy(np.int64), pairs["c"].to_numpy(np.int64)
    if len(q) == 0:
        return pd.DataFrame({"q": q, "c": c, "position": np.zeros(0, np.int64)})
    days = np.full(len(q), day, "datetime64[D]")
    fam = rule_scores(model, tm, kind, q, c, day=days)
    score = np.zeros(len(q))
    for name, w in weights.items():
        score += w * fam[name]
    key = score + tau * rng.gumbel(size=len(q))
    frame = pd.DataFrame({"q": q, "c": c, "key": key})
    frame = frame.sort_values(["q", "key"], ascending=[True, False], kind="stable")
    uq = np.unique(q)
    k = dict(zip(uq, rng.integers(LIST_SIZE[0], LIST_SIZE[1] + 1, len(uq)), strict=True))
    rank = frame.groupby("q").cumcount().to_numpy() + 1
    frame = frame.assign(position=rank)
    frame = frame[rank <= frame["q"].map(k).to_numpy()]
    return frame[["q", "c", "position"]].reset_index(drop=True)


def _sample(
    qs: IntArray,
    q_chain: IntArray,
    pool: IntArray,
    pool_chain: IntArray,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Per query: SAMPLE_RANDOM pool firms plus up to SAMPLE_CHAIN of its chain."""
    if len(pool) <= SAMPLE_RANDOM + SAMPLE_CHAIN:
        return np.repeat(qs, len(pool)), np.tile(pool, len(qs))
    rand = pool[rng.integers(0, len(pool), (len(qs), SAMPLE_RANDOM))]
    order = np.argsort(pool_chain, kind="stable")
    sp, sc = pool[order], pool_chain[order]
    lo = np.searchsorted(sc, q_chain, "left")
    cnt = np.where(q_chain >= 0, np.searchsorted(sc, q_chain, "right") - lo, 0)
    u = rng.random((len(qs), SAMPLE_CHAIN))
    idx = np.minimum(lo[:, None] + (u * np.maximum(cnt, 1)[:, None]).astype(np.int64), len(sp) - 1)
    same = np.where(cnt[:, None] > 0, sp[idx], rand[:, :SAMPLE_CHAIN])
    cand = np.concatenate([rand, same], axis=1)
    return np.repeat(qs, cand.shape[1]), cand.ravel()


def drifting_pairs(
    reference: Reference,
    model: PairModel,
    tm: TextModel,
    enterprises: pd.DataFrame,
    plan: EventPlan,
    *,
    rng: np.random.Generator,
    start: date,
    end: date,
    early: Mapping[str, float],
    late: Mapping[str, float],
    tau: float,
) -> pd.DataFrame:
    """Every recommendation occasion up to ``end`` under the drifting rule, sorted by date.

    Returns
    -------
    DataFrame
        kind, q, c, date (datetime64[s]), event_id ('' for monthly lists), position.
    """
    span = max((end - start).days, 1)

    def lam(d: date) -> float:
        return float(np.clip((d - start).days / span, 0.0, 1.0))

    frames: list[pd.DataFrame] = []
    for e, row in plan.events.iterrows():
        if row["event_id"] == plan.upcoming:
            continue
        lead, sup = plan.leading[int(e)], plan.supporting[int(e)]  # type: ignore[call-overload]
        if len(lead) == 0 or len(sup) == 0:
            continue
        d = pd.Timestamp(row["date"]).date()
        qq, cc = np.repeat(lead, len(sup)), np.tile(sup, len(lead))
        w = _mix(early, late, lam(d))
        got = _pick(
            model, tm, "supplier", qq, cc, day=np.datetime64(d, "D"), weights=w, tau=tau, rng=rng
        )
        frames.append(
            got.assign(kind="supplier", date=np.datetime64(d, "D"), event_id=row["event_id"])
        )

    node_chain = pd.factorize(reference.chain_nodes["chain_id"].astype(str))[0]
    node_chain = np.append(node_chain, -1).astype(np.int64)
    f_chain = node_chain[model.f_node]
    role = reference.cities["role"].astype(str).to_numpy()
    prov = np.array([c[:2] for c in reference.cities["city_code"].astype(str)])
    is_lead = enterprises["is_leading"].to_numpy(bool)
    leaders = np.flatnonzero(is_lead)
    wb_sup = np.flatnonzero(~is_lead & (role[model.f_city] == "wanbei") & (f_chain >= 0))
    helping_side = np.flatnonzero(np.isin(prov[model.f_city], ["31", "32", "33"]))
    n_parks = len(model.park_ids)
    park_chain = np.full(n_parks, -1, np.int64)
    for j in range(n_parks):
        wanted = np.flatnonzero(model.p_need[j, :-1] < NEVER)
        if len(wanted):
            park_chain[j] = node_chain[rng.choice(wanted)]
    n_cust = int(np.clip(len(wb_sup) // 100, 5, 40))
    n_inv = max(1, -(-n_parks // 3))
    for m in month_starts(start, end):
        d_inv, d_cus = m + timedelta(days=INVESTOR_DAY - 1), m + timedelta(days=CUSTOMER_DAY - 1)
        if n_parks and d_inv <= end and len(helping_side):
            parks = np.sort(rng.choice(n_parks, min(n_inv, n_parks), replace=False))
            q, c = _sample(parks, park_chain[parks], helping_side, f_chain[helping_side], rng)
            w = _mix(early, late, lam(d_inv))
            got = _pick(
                model,
                tm,
                "investor",
                q,
                c,
                day=np.datetime64(d_inv, "D"),
                weights=w,
                tau=tau,
                rng=rng,
            )
            frames.append(got.assign(kind="investor", date=np.datetime64(d_inv, "D"), event_id=""))
        if len(wb_sup) and len(leaders) and d_cus <= end:
            qs = np.sort(rng.choice(wb_sup, min(n_cust, len(wb_sup)), replace=False))
            q, c = _sample(qs, f_chain[qs], leaders, f_chain[leaders], rng)
            w = _mix(early, late, lam(d_cus))
            got = _pick(
                model,
                tm,
                "customer",
                q,
                c,
                day=np.datetime64(d_cus, "D"),
                weights=w,
                tau=tau,
                rng=rng,
            )
            frames.append(got.assign(kind="customer", date=np.datetime64(d_cus, "D"), event_id=""))
    pairs = pd.concat(frames, ignore_index=True)
    pairs["date"] = pairs["date"].astype("datetime64[s]")
    pairs = pairs.sort_values(["date", "kind", "q", "c"], kind="stable").reset_index(drop=True)
    gap = pairs.groupby(["kind", "q", "c"], sort=False)["date"].diff().dt.days
    pairs = pairs[(gap.isna() | (gap >= REPEAT_GAP_DAYS)).to_numpy()]
    # positions of the list as logged (a repeat that was dropped leaves no gap)
    pairs = pairs.assign(
        position=pairs.groupby(["kind", "q", "date"])["position"].rank(method="first")
    )
    pairs["position"] = pairs["position"].astype(np.int64)
    cols = ["kind", "q", "c", "date", "event_id", "position"]
    return pd.DataFrame(pairs[cols].reset_index(drop=True))
