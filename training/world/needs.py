"""Needs (需求) of leading firms (their upstream chain nodes) and of every Wanbei park."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from features.reference import Reference
from features.schema import split_multi

_FIRM_TEMPLATES = (
    "寻求{node}配套供应商，主要采购{kw}，就近配套优先",
    "现有{kw}采购需求，希望对接{node}领域优质配套企业",
    "扩产配套：需要{node}（{kw}）稳定供应，欢迎皖北企业洽谈",
)
_PARK_TEMPLATES = (
    "{park}重点招引{node}项目（{kw}），提供标准化厂房",
    "{park}围绕{chain}产业链补链，招引{node}企业落地",
)


def _random_dates(start: date, end: date, n: int, rng: np.random.Generator) -> np.ndarray:
    span = max((end - start).days, 1)
    return np.datetime64(start, "D") + rng.integers(0, span, n).astype("timedelta64[D]")


def generate_needs(
    reference: Reference,
    enterprises: pd.DataFrame,
    parks: pd.DataFrame,
    rng: np.random.Generator,
    *,
    start: date,
    end: date,
) -> pd.DataFrame:
    """Needs in the import layout: need_id, owner_kind, owner_id, description, chain_nodes,
    industry_code, created.

    Each leading firm states one to three needs, each for a chain node directly upstream of
    its own node; every park states one need per chain node it wants (its ``chain_nodes``,
    else nodes of its 主导产业 divisions, else two random nodes). Dates fall in the first
    three quarters of the window, so most needs are visible before most recommendations.
    """
    nodes = reference.chain_nodes.reset_index(drop=True)
    nid = nodes["node_id"].astype(str).to_numpy()
    pos = {n: i for i, n in enumerate(nid)}
    name = nodes["name"].astype(str).to_numpy()
    kw = np.array([(split_multi(str(k)) or [""])[0] for k in nodes["keywords"]])
    cls = np.array([(split_multi(str(g)) or [""])[0] for g in nodes["gbt_classes"]])
    chain_name = (
        nodes["chain_id"]
        .map(dict(zip(reference.chains["chain_id"], reference.chains["name"], strict=True)))
        .astype(str)
        .to_numpy()
    )
    ups: list[list[int]] = [[] for _ in range(len(nodes))]
    for s, d in zip(reference.chain_edges["src"], reference.chain_edges["dst"], strict=True):
        if s in pos and d in pos:
            ups[pos[d]].append(pos[s])
    late = start + (end - start) * 3 // 4

    lead = enterprises[enterprises["is_leading"].to_numpy(bool)]
    lead_node = lead["chain_nodes"].astype(str).map(pos).to_numpy()
    n_lead = len(lead)
    n_up = np.array([len(ups[i]) for i in lead_node], np.int64)
    k = np.minimum(1 + (rng.random(n_lead) < 0.5) + (rng.random(n_lead) < 0.2), n_up)
    owner = np.repeat(np.arange(n_lead), k)
    flat_up = np.array([u for i in lead_node for u in ups[i]], np.int64)
    up_off = np.concatenate([[0], np.cumsum(n_up)])[:-1]
    choice = (rng.random(len(owner)) * n_up[owner]).astype(np.int64)
    need_node = flat_up[up_off[owner] + choice]
    uniq = ~pd.DataFrame({"o": owner, "n": need_node}).duplicated().to_numpy()
    owner, need_node = owner[uniq], need_node[uniq]
    tmpl = rng.integers(0, len(_FIRM_TEMPLATES), len(owner))
    firm_desc = [
        _FIRM_TEMPLATES[t].format(node=name[nn], kw=kw[nn])
        for t, nn in zip(tmpl, need_node, strict=True)
    ]
    firm_needs = pd.DataFrame(
        {
            "owner_kind": "enterprise",
            "owner_id": lead["uscc"].astype(str).to_numpy()[owner],
            "description": firm_desc,
            "chain_nodes": nid[need_node],
            "industry_code": cls[need_node],
            "created": _random_dates(start, late, len(owner), rng),
        }
    )

    rows: list[tuple[str, int, int]] = []
    for j, park in parks.reset_index(drop=True).iterrows():
        wanted = [pos[x] for x in split_multi(str(park.get("chain_nodes", ""))) if x in pos]
        if not wanted:
            divs = set(split_multi(str(park.get("gbt_divisions", ""))))
            wanted = [
                i
                for i, g in enumerate(nodes["gbt_classes"].astype(str))
                if divs & {c[:2] for c in split_multi(g)}
            ]
            if len(wanted) > 3:
                wanted = sorted(rng.choice(wanted, 3, replace=False).tolist())
        if not wanted:
            wanted = sorted(rng.choice(len(nodes), 2, replace=False).tolist())
        rows += [(str(park["park_id"]), int(j), w) for w in wanted]  # type: ignore[call-overload]
    park_names = parks["name"].astype(str).to_numpy()
    ptmpl = rng.integers(0, len(_PARK_TEMPLATES), len(rows))
    park_needs = pd.DataFrame(
        {
            "owner_kind": "park",
            "owner_id": [r[0] for r in rows],
            "description": [
                _PARK_TEMPLATES[t].format(
                    park=park_names[j], node=name[w], kw=kw[w], chain=chain_name[w]
                )
                for t, (_, j, w) in zip(ptmpl, rows, strict=True)
            ],
            "chain_nodes": [nid[r[2]] for r in rows],
            "industry_code": [cls[r[2]] for r in rows],
            "created": _random_dates(start, late, len(rows), rng),
        }
    )
    out = pd.concat([firm_needs, park_needs], ignore_index=True)
    out.insert(0, "need_id", [f"N{i + 1:07d}" for i in range(len(out))])
    out["created"] = pd.to_datetime(out["created"]).dt.strftime("%Y-%m-%d")
    return out
