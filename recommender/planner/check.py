"""An independent check of a plan against the hard rules (for tests, imports and edits).

It recomputes everything from the plan's inputs with plain pandas, sharing no code with the
solver, so a plan edited by hand (or a bug in the planner) is caught.
"""

from __future__ import annotations

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
    firms = pd.concat(
        [
            m[["slot", "leading_uscc"]].set_axis(["slot", "uscc"], axis=1),
            m[["slot", "supporting_uscc"]].set_axis(["slot", "uscc"], axis=1),
        ]
    )
    for (s, u), n in firms.value_counts().items():  # type: ignore[misc]
        if n > 1:
            out.append(f"firm {u} has {n} meetings in slot {s}")
    for (s, t), n in m[["slot", "table"]].value_counts().items():  # type: ignore[misc]
        if n > 1:
            out.append(f"table {t} is used {n} times in slot {s}")
    for s, n in m["slot"].value_counts().items():
        if n > spec.n_tables:
            out.append(f"slot {s} holds {n} meetings, more than {spec.n_tables} tables")
    dup = m.duplicated(["leading_uscc", "supporting_uscc"])
    out += [f"pair {r.leading_uscc}/{r.supporting_uscc} meets twice" for r in m[dup].itertuples()]

    parts = plan.participants.assign(uscc=plan.participants["uscc"].astype(str))
    parts = parts[~parts["uscc"].isin(plan.cancelled)].set_index("uscc")
    role = parts["role"].astype(str).str.lower()
    for side, want in (("leading_uscc", "leading"), ("supporting_uscc", "supporting")):
        got = m[side].map(role)
        for u in m.loc[got != want, side]:
            out.append(f"firm {u} in {side} is not a remaining {want} participant")
    if "available_slots" in parts.columns:
        for r in m.itertuples():
            for u in (r.leading_uscc, r.supporting_uscc):
                if u in parts.index:
                    mask = parse_slots(parts.at[u, "available_slots"], spec.n_slots)
                    if not mask[int(r.slot)]:
                        out.append(f"firm {u} is not available in slot {r.slot}")
    count = firms["uscc"].value_counts()
    if "max_meetings" in parts.columns:
        cap = pd.to_numeric(parts["max_meetings"], errors="coerce").dropna()
        for u, n in count.items():
            if u in cap.index and n > cap[u]:
                out.append(f"firm {u} has {n} meetings, above its cap {int(cap[u])}")

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
