"""Which candidates were shown to which query, and when (the recommendations of the past).

What was shown is what a rough rule would pick — about 60 % from the query's chain and 40 %
at random from the eligible pool — so every list mixes good and mediocre candidates and a
ranking model has something to learn. A (kind, query, candidate) pair is shown again only
after its 180-day horizon has passed, so outcome rows of one occasion never overlap another.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.reference import Reference
from training.world.events import EventPlan, month_starts
from training.world.model import NEVER, PairModel

LIST_SIZE = (20, 50)
SAME_CHAIN_SHARE = 0.6
REPEAT_GAP_DAYS = 181
INVESTOR_DAY, CUSTOMER_DAY = 8, 18  # day of month the promotion offices send their lists


def _lists(
    q: npt.NDArray[np.int64],
    q_chain: npt.NDArray[np.int64],
    pool: npt.NDArray[np.int64],
    pool_chain: npt.NDArray[np.int64],
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rule-picked lists for queries ``q``: (query, candidate) pairs, deduplicated.

    ``q_chain``/``pool_chain`` are chain indexes (-1 none). A query whose chain has no pool
    firm draws its whole list at random.
    """
    if len(pool) == 0 or len(q) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(pool_chain, kind="stable")
    sp, sc = pool[order], pool_chain[order]
    n_ch = int(max(sc.max(), q_chain.max(), 0)) + 1
    lo = np.searchsorted(sc, np.arange(n_ch), "left")
    cnt = np.searchsorted(sc, np.arange(n_ch), "right") - lo
    k = rng.integers(LIST_SIZE[0], LIST_SIZE[1] + 1, len(q))
    qq = np.repeat(np.arange(len(q)), k)
    ch = q_chain[qq]
    c_cnt = np.where(ch >= 0, cnt[np.maximum(ch, 0)], 0)
    same = (rng.random(len(qq)) < SAME_CHAIN_SHARE) & (c_cnt > 0)
    u = rng.random(len(qq))
    cand = pool[(u * len(pool)).astype(np.int64)]
    idx = lo[np.maximum(ch, 0)] + (u * np.maximum(c_cnt, 1)).astype(np.int64)
    cand = np.where(same, sp[np.minimum(idx, len(sp) - 1)], cand)
    pairs = pd.DataFrame({"q": q[qq], "c": cand}).drop_duplicates()
    pairs = pairs[pairs["q"] != pairs["c"]]
    return pairs["q"].to_numpy(np.int64), pairs["c"].to_numpy(np.int64)


def shown_pairs(
    reference: Reference,
    model: PairModel,
    enterprises: pd.DataFrame,
    plan: EventPlan,
    rng: np.random.Generator,
    *,
    start: date,
    end: date,
) -> pd.DataFrame:
    """Every recommendation occasion up to ``end``, sorted by date.

    Returns
    -------
    DataFrame
        kind, q (query row: firm or park), c (candidate firm row), date (datetime64[D]),
        event_id ('' for monthly lists).
    """
    frames: list[pd.DataFrame] = []
    # supplier queries at past events: each leading firm sees 20-50 of the supporting firms
    for e, row in plan.events.iterrows():
        if row["event_id"] == plan.upcoming:
            continue
        lead, sup = plan.leading[int(e)], plan.supporting[int(e)]  # type: ignore[call-overload]
        if len(lead) == 0 or len(sup) == 0:
            continue
        k = np.minimum(rng.integers(LIST_SIZE[0], LIST_SIZE[1] + 1, len(lead)), len(sup))
        keys = rng.random((len(lead), len(sup))).argsort(axis=1)
        take = np.arange(len(sup))[None, :] < k[:, None]
        li, si = np.nonzero(take)
        frames.append(
            pd.DataFrame(
                {
                    "kind": "supplier",
                    "q": lead[li],
                    "c": sup[keys[li, si]],
                    "date": np.datetime64(row["date"], "D"),
                    "event_id": row["event_id"],
                }
            )
        )

    node_chain = pd.factorize(reference.chain_nodes["chain_id"].astype(str))[0]
    node_chain = np.append(node_chain, -1).astype(np.int64)
    f_chain = node_chain[model.f_node]
    role = reference.cities["role"].astype(str).to_numpy()
    prov = np.array([c[:2] for c in reference.cities["city_code"].astype(str)])
    f_role = role[model.f_city]
    is_lead = enterprises["is_leading"].to_numpy(bool)
    leaders = np.flatnonzero(is_lead)
    wb_sup = np.flatnonzero(~is_lead & (f_role == "wanbei") & (f_chain >= 0))
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
        if n_parks and d_inv <= end:
            parks = np.sort(rng.choice(n_parks, min(n_inv, n_parks), replace=False))
            q, c = _lists(parks, park_chain[parks], helping_side, f_chain[helping_side], rng)
            frames.append(
                pd.DataFrame(
                    {
                        "kind": "investor",
                        "q": q,
                        "c": c,
                        "date": np.datetime64(d_inv, "D"),
                        "event_id": "",
                    }
                )
            )
        if len(wb_sup) and len(leaders) and d_cus <= end:
            qs = np.sort(rng.choice(wb_sup, min(n_cust, len(wb_sup)), replace=False))
            q, c = _lists(qs, f_chain[qs], leaders, f_chain[leaders], rng)
            frames.append(
                pd.DataFrame(
                    {
                        "kind": "customer",
                        "q": q,
                        "c": c,
                        "date": np.datetime64(d_cus, "D"),
                        "event_id": "",
                    }
                )
            )
    pairs = pd.concat(frames, ignore_index=True)
    pairs["date"] = pairs["date"].astype("datetime64[s]")
    pairs = pairs.sort_values(["date", "kind", "q", "c"], kind="stable").reset_index(drop=True)
    return _drop_repeats(pairs)


def _drop_repeats(pairs: pd.DataFrame) -> pd.DataFrame:
    """Drop an occasion shown less than REPEAT_GAP_DAYS after the pair's previous occasion.

    The kept occasions of a pair are then at least that far apart too (the previous kept
    occasion is never later than the previous one).
    """
    gap = pairs.groupby(["kind", "q", "c"], sort=False)["date"].diff().dt.days
    keep = gap.isna() | (gap >= REPEAT_GAP_DAYS)
    return pd.DataFrame(pairs[keep.to_numpy()].reset_index(drop=True))
