"""An independent check of a plan against the hard rules (for tests, imports and edits).

It recomputes everything from the plan's inputs with plain pandas, sharing no code with the
solver, so a plan edited by hand (or a bug in the planner) is caught.
"""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd

from recommender.planner.model import parse_slots
from recommender.planner.plan import Plan

__all__ = ["violations"]


def violations(plan: Plan) -> list[str]:
    """Every broken hard rule of ``plan``, as readable sentences (empty = valid).

    Checked: slots and tables in range; no firm twice in a slot; no table twice in a slot;
    at most ``n_tables`` meetings per slot; both firms available; each meeting a listed
    pair of a remaining leading and supporting firm, not refused by either side and not
    met before when those are excluded; no pair twice; caps.
    """
    spec, m = plan.spec, plan.meetings
    out: list[str] = []
    bad_slot = m[(m["slot"] < 0) | (m["slot"] >= spec.n_slots)]
    out += [
        f"meeting {r.leading_uscc}/{r.supporting_uscc}: slot {r.slot} out of range"
        for r in bad_slot.itertuples()
    ]
    bad_table = m[(m["table"] < 1) | (m["table"] > spec.n_tables)]
    out += [
        f"meeting {r.leading_uscc}/{r.supporting_uscc}: table {r.table} out of range"
        for r in bad_table.itertuples()
    ]
    recs: list[tuple[int, int, str, str]] = list(
        zip(
            m["slot"].astype(int).tolist(),
            m["table"].astype(int).tolist(),
            m["leading_uscc"].astype(str).tolist(),
            m["supporting_uscc"].astype(str).tolist(),
            strict=True,
        )
    )
    firm_slot: Counter[tuple[str, int]] = Counter()
    table_slot: Counter[tuple[int, int]] = Counter()
    per_slot: Counter[int] = Counter()
    per_firm: Counter[str] = Counter()
    for s, t, a, b in recs:
        firm_slot.update([(a, s), (b, s)])
        table_slot[(t, s)] += 1
        per_slot[s] += 1
        per_firm.update([a, b])
    out += [f"firm {u} has {n} meetings in slot {s}" for (u, s), n in firm_slot.items() if n > 1]
    out += [f"table {t} is used {n} times in slot {s}" for (t, s), n in table_slot.items() if n > 1]
    out += [
        f"slot {s} holds {n} meetings, more than {spec.n_tables} tables"
        for s, n in per_slot.items()
        if n > spec.n_tables
    ]
    dup = m.duplicated(["leading_uscc", "supporting_uscc"])
    out += [f"pair {r.leading_uscc}/{r.supporting_uscc} meets twice" for r in m[dup].itertuples()]

    p = plan.participants
    gone = set(plan.cancelled)
    info: dict[str, tuple[str, object, object]] = {
        str(u): (str(role).strip().lower(), av, cap)
        for u, role, av, cap in zip(
            p["uscc"].tolist(),
            p["role"].tolist(),
            p["available_slots"].tolist() if "available_slots" in p else [None] * len(p),
            pd.to_numeric(p["max_meetings"]).astype(float).tolist()
            if "max_meetings" in p
            else [None] * len(p),
            strict=True,
        )
        if str(u) not in gone
    }
    for s, _, a, b in recs:
        for u, want in ((a, "leading"), (b, "supporting")):
            if u not in info or info[u][0] != want:
                out.append(f"firm {u} is not a remaining {want} participant")
                continue
            if not parse_slots(info[u][1], spec.n_slots)[s]:
                out.append(f"firm {u} is not available in slot {s}")
    for u, n in per_firm.items():
        cap = info[u][2] if u in info else None
        if isinstance(cap, int | float) and not math.isnan(cap) and n > cap:
            out.append(f"firm {u} has {n} meetings, above its cap {cap}")

    pairs = plan.pairs.assign(
        leading_uscc=plan.pairs["leading_uscc"].astype(str),
        supporting_uscc=plan.pairs["supporting_uscc"].astype(str),
    ).set_index(["leading_uscc", "supporting_uscc"])
    keys = list(zip(m["leading_uscc"], m["supporting_uscc"], strict=True))
    for k in keys:
        if k not in pairs.index:
            out.append(f"pair {k[0]}/{k[1]} is not a candidate pair")
            continue
        row = pairs.loc[k]
        prefs = {str(row.get(c, "")).strip().lower() for c in ("pref_leading", "pref_supporting")}
        if "no" in prefs:
            out.append(f"pair {k[0]}/{k[1]} was refused by one side")
        met = row.get("met_before", False)
        if plan.settings.exclude_met_before and pd.notna(met) and bool(met):
            out.append(f"pair {k[0]}/{k[1]} met before and such pairs are excluded")
    return out
