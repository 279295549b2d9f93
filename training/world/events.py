"""Monthly "龙头企业+配套企业" 对接会 (matchmaking events) and their registered firms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.reference import Reference
from training.world.model import PairModel

N_LEADING = (6, 20)
N_SUPPORTING = (20, 80)
THEME_SHARE = 0.8  # supporting firms from the theme chain; the rest from anywhere
P_MUST = 0.04  # a participant insists on meeting one counterpart (必须对接)
P_NO = 0.04  # a participant refuses one counterpart (拒绝对接)
P_MUTUAL = 0.5  # a leading firm's "must" is returned by the supporting firm


@dataclass(frozen=True)
class EventPlan:
    """Events and participants in the import layout, plus arrays the schedule reads.

    Attributes
    ----------
    events : event_id, name, date, city, venue, n_slots, slot_minutes, n_tables, theme_chains.
    participants : event_id, uscc, role, min_meetings, max_meetings, available_slots
        (and must_meet, no_meet once :func:`add_preferences` has drawn them).
    leading, supporting : per event, firm rows of its leading / supporting participants.
    upcoming : event_id of the one event after the data end (no outcomes).
    """

    events: pd.DataFrame
    participants: pd.DataFrame
    leading: list[npt.NDArray[np.int64]]
    supporting: list[npt.NDArray[np.int64]]
    upcoming: str


def month_starts(start: date, end: date) -> list[date]:
    """First day of every month from ``start``'s month to ``end``'s month."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def gumbel_top(
    weights: npt.NDArray[np.float64], k: int, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """``k`` distinct positions drawn with probability proportional to ``weights``."""
    ok = np.flatnonzero(weights > 0)
    k = min(k, len(ok))
    if k == 0:
        return np.zeros(0, np.int64)
    keys = np.log(weights[ok]) + rng.gumbel(size=len(ok))
    return np.sort(ok[np.argpartition(-keys, k - 1)[:k]]).astype(np.int64)


def plan_events(
    reference: Reference,
    model: PairModel,
    enterprises: pd.DataFrame,
    rng: np.random.Generator,
    *,
    start: date,
    end: date,
) -> EventPlan:
    """One event a month from ``start`` to ``end`` plus one upcoming event after ``end``.

    Hosts alternate over the Wanbei cities, each time in the Wanbei city itself or in its
    paired helping city; the theme chain cycles over the chains in a random order. Leading
    participants are leading firms of the theme chain (host and paired cities preferred);
    supporting participants are mostly non-leading firms of the theme chain (Wanbei and host
    cities preferred) and some firms from anywhere.
    """
    cities = reference.cities
    cname = cities["name"].astype(str).to_numpy()
    cshort = cities["short_name"].astype(str).to_numpy()
    role = cities["role"].astype(str).to_numpy()
    wanbei = np.flatnonzero(role == "wanbei")
    chains = reference.chains["chain_id"].astype(str).to_numpy()
    chain_label = reference.chains["name"].astype(str).to_numpy()
    node_chain = np.array([*reference.chain_nodes["chain_id"].astype(str), ""])
    firm_chain = node_chain[model.f_node]
    is_lead = enterprises["is_leading"].to_numpy(bool)
    firm_wanbei = role[model.f_city] == "wanbei"

    months = month_starts(start, end)
    n_ev = len(months) + 1
    theme_order = rng.permutation(len(chains))
    host_order = rng.permutation(wanbei)
    offsets = rng.integers(4, 26, len(months))
    days = [m + timedelta(days=int(d)) for m, d in zip(months, offsets, strict=True)]
    days.append(end + timedelta(days=int(rng.integers(10, 29))))

    rows: list[dict[str, object]] = []
    part: list[pd.DataFrame] = []
    leading: list[npt.NDArray[np.int64]] = []
    supporting: list[npt.NDArray[np.int64]] = []
    for e in range(n_ev):
        w = int(host_order[e % len(host_order)])
        partner = int(model.c_partner[w])
        host = partner if (partner >= 0 and rng.random() < 0.5) else w
        ch = int(theme_order[e % len(chains)])
        in_chain = firm_chain == chains[ch]
        near = (model.f_city == w) | (model.f_city == partner) | (model.f_city == host)

        lw = (is_lead & in_chain) * (1.0 + 2.0 * near)
        lead = gumbel_top(lw, int(rng.integers(N_LEADING[0], N_LEADING[1] + 1)), rng)
        n_sup = int(rng.integers(N_SUPPORTING[0], N_SUPPORTING[1] + 1))
        sw = (~is_lead & in_chain) * (1.0 + 2.0 * firm_wanbei + 1.0 * near)
        sup = gumbel_top(sw, round(THEME_SHARE * n_sup), rng)
        other = np.ones(len(is_lead))
        other[is_lead] = 0.0
        other[sup] = 0.0
        sup = np.union1d(sup, gumbel_top(other, n_sup - len(sup), rng))
        leading.append(lead)
        supporting.append(sup)

        eid = f"EV{days[e]:%Y%m}-{e + 1:03d}"
        n_slots = int(rng.integers(8, 13))
        rows.append(
            {
                "event_id": eid,
                "name": f"{cshort[host]}·{chain_label[ch]}“龙头企业+配套企业”对接会"
                f"（{days[e].year}年{days[e].month}月）",
                "date": f"{days[e]:%Y-%m-%d}",
                "city": cname[host],
                "venue": f"{cshort[host]}国际会展中心",
                "n_slots": n_slots,
                "slot_minutes": int(rng.choice([20, 25, 30])),
                "n_tables": max(1, len(lead) + int(rng.integers(0, 5))),
                "theme_chains": chains[ch],
            }
        )
        part.append(_participants(eid, lead, sup, enterprises, rng, n_slots=n_slots))
    events = pd.DataFrame(rows)
    participants = pd.concat(part, ignore_index=True)
    return EventPlan(events, participants, leading, supporting, str(events["event_id"].iloc[-1]))


def _participants(
    eid: str,
    lead: npt.NDArray[np.int64],
    sup: npt.NDArray[np.int64],
    enterprises: pd.DataFrame,
    rng: np.random.Generator,
    *,
    n_slots: int,
) -> pd.DataFrame:
    """Registered firms of one event; a fifth of them are available only for a window."""
    firms = np.concatenate([lead, sup])
    n = len(firms)
    is_l = np.arange(n) < len(lead)
    min_m = np.where(is_l, rng.integers(3, 6, n), rng.integers(1, 3, n))
    max_m = np.where(is_l, rng.integers(6, n_slots + 1, n), rng.integers(2, 6, n))
    max_m = np.maximum(max_m, min_m)
    a = rng.integers(0, n_slots // 2, n)
    b = np.minimum(a + rng.integers(n_slots // 2, n_slots, n), n_slots - 1)
    windowed = rng.random(n) < 0.2
    slots = [
        ";".join(str(s) for s in range(lo, hi + 1)) if wnd else ""
        for lo, hi, wnd in zip(a, b, windowed, strict=True)
    ]
    return pd.DataFrame(
        {
            "event_id": eid,
            "uscc": enterprises["uscc"].astype(str).to_numpy()[firms],
            "role": np.where(is_l, "leading", "supporting"),
            "min_meetings": min_m,
            "max_meetings": max_m,
            "available_slots": slots,
        }
    )


def add_preferences(participants: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A copy of ``participants`` with ``must_meet`` and ``no_meet`` drawn for a few firms.

    Each participant, independently, insists on meeting one random counterpart of the other
    role at its event with probability ``P_MUST``, or refuses one with probability ``P_NO``;
    a leading firm's "must" is returned by the supporting firm with probability
    ``P_MUTUAL`` (unless that firm refuses it), so the demo has mutual "must" pairs.
    Every draw comes from ``rng``, in event order, so the result is deterministic for it.
    """
    out = participants.reset_index(drop=True).copy()
    must: dict[int, list[str]] = {}
    no: dict[int, list[str]] = {}
    uscc = out["uscc"].astype(str).to_numpy()
    for _, group in out.groupby("event_id", sort=False):
        rows = group.index.to_numpy()
        is_l = (group["role"] == "leading").to_numpy()
        lead, sup = rows[is_l], rows[~is_l]
        if len(lead) == 0 or len(sup) == 0:
            continue
        u = rng.random(len(rows))
        pick = rng.random(len(rows))
        mutual = rng.random(len(rows)) < P_MUTUAL
        for k, r in enumerate(rows.tolist()):
            others = sup if is_l[k] else lead
            other = int(others[int(pick[k] * len(others))])
            if u[k] < P_MUST:
                must.setdefault(r, []).append(uscc[other])
                if is_l[k] and mutual[k]:
                    must.setdefault(other, []).append(uscc[r])
            elif u[k] < P_MUST + P_NO:
                no.setdefault(r, []).append(uscc[other])
    for r, refused in no.items():  # a refusal stands; a "must" of the same firm goes
        if r in must:
            must[r] = [m for m in must[r] if m not in refused]
    out["must_meet"] = [";".join(dict.fromkeys(must.get(r, []))) for r in range(len(out))]
    out["no_meet"] = [";".join(dict.fromkeys(no.get(r, []))) for r in range(len(out))]
    return out
