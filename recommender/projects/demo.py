"""The demo world's ledger: projects drawn from its outcomes, so the dashboard has a life.

The synthetic world (``training/world``) records pair outcomes, not projects. At demo-setup
time every (park, investor) pair of the world whose furthest stage is ``signed`` or
``landed`` becomes a project of that park: 投产 on its landed date (签约 on its signed date),
else 签约 — or 开工 three months later when that is still before the world's last outcome
(about half of them, drawn with ``random_state``). Pairs that reached ``intention`` become
在谈 or 协议起草 projects, and those declined after it 中止. Amounts are the outcome's amount
(万元 → 亿元); fixed assets and land are drawn around it. The outcomes these projects imply
are the world's own (same dates), so storing them adds none. Each Wanbei city also gets
targets for the last year with projects, a little above what it reached.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from features.schema import PROJECT, conform
from recommender.db import repo
from recommender.db.models import Project
from recommender.projects import ledger

__all__ = ["build_demo_ledger", "store_demo_ledger"]


def build_demo_ledger(
    outcomes: pd.DataFrame,
    firms: pd.DataFrame,
    industries: pd.DataFrame,
    *,
    random_state: int = 0,
) -> pd.DataFrame:
    """Projects (PROJECT schema) from investor outcomes (see the module docstring).

    Parameters
    ----------
    outcomes : OUTCOME frame of the world.
    firms : ENTERPRISE frame (uscc, name, city_code, industry_code).
    industries : reference industries (code, name).
    random_state : seed of the 签约/开工 split, the 在谈/协议起草 split and the drawn amounts.
    """
    rng = np.random.default_rng(random_state)
    inv = outcomes[outcomes["query_kind"] == "investor"]
    if inv.empty:
        return conform(pd.DataFrame(columns=PROJECT.required), PROJECT)
    end = inv["date"].max()
    pair = ["query_id", "candidate_id"]
    wide = inv.pivot_table(index=pair, columns="stage", values="date", aggfunc="max")
    amount = inv[inv["stage"].isin(["signed", "landed"])].groupby(pair)["amount_wan"].max()
    wide = wide.join(amount.rename("amount_wan")).reset_index()
    for name in ("intention", "declined", "signed", "landed"):
        if name not in wide.columns:
            wide[name] = pd.NaT
    landed, signed = wide["landed"].notna(), wide["signed"].notna()
    talks = wide["intention"].notna() & ~signed & ~landed
    stopped = talks & wide["declined"].notna() & (wide["declined"] >= wide["intention"])
    keep = landed | signed | talks
    w = wide[keep].reset_index(drop=True)
    landed, signed = w["landed"].notna(), w["signed"].notna() & w["landed"].isna()
    stopped = stopped[keep].reset_index(drop=True)
    n = len(w)
    started_at = w["signed"] + pd.Timedelta(days=90)
    started = signed & (started_at <= end) & (rng.random(n) < 0.5)
    drafting = rng.random(n) < 0.5
    stages = np.select(
        [landed, started, signed, stopped, drafting],
        ["投产", "开工", "签约", "中止", "协议起草"],
        default="在谈",
    )
    date = w["landed"].where(landed, started_at.where(started, w["signed"]))
    date = date.where(landed | signed, w["declined"].where(stopped, w["intention"]))
    amount_yi = (w["amount_wan"] / 1e4).round(2)
    talks_amount = pd.Series(np.round(rng.gamma(2.0, 1.2, n), 2))
    amount_yi = amount_yi.where(amount_yi.notna() & (landed | signed), talks_amount)
    info = firms.set_index("uscc")
    names = w["candidate_id"].map(info["name"]).fillna("")
    division = w["candidate_id"].map(info["industry_code"]).fillna("").str[:2]
    industry = division.map(industries.set_index("code")["name"]).fillna("")
    frame = pd.DataFrame(
        {
            "project_id": [f"DEMO-{i + 1:05d}" for i in range(n)],
            "name": names.str.replace(r"(有限公司|股份有限公司|有限责任公司)$", "", regex=True)
            + industry.where(industry.ne(""), "产业").str[:8] + "项目",
            "investor_name": names,
            "investor_uscc": w["candidate_id"],
            "park_id": w["query_id"],
            "source_city_code": w["candidate_id"].map(info["city_code"]).fillna(""),
            "industry": industry,
            "stage": stages,
            "stage_date": date,
            "signed_date": w["signed"].where(landed | signed),
            "agreed_investment_yi": amount_yi,
            "fixed_asset_yi": (amount_yi * rng.uniform(0.55, 0.85, n)).round(2),
            "land_mu": (amount_yi * rng.uniform(15, 35, n)).round(0),
            "contact": "",
            "source_list": "investor:" + w["query_id"],
        }
    )  # fmt: skip
    return conform(frame, PROJECT)


def store_demo_ledger(session: Session, *, industries: pd.DataFrame, random_state: int = 0) -> int:
    """Build the demo ledger from the stored world and store it, once; projects stored."""
    if session.scalar(select(Project.project_id).limit(1)) is not None:
        return 0
    outcomes = repo.load_frame(session, kind="outcomes")
    firms = repo.load_frame(session, kind="enterprises")
    projects = build_demo_ledger(outcomes, firms, industries, random_state=random_state)
    if projects.empty:
        return 0
    counts = ledger.store_projects(session, projects)
    _demo_targets(session, projects)
    session.commit()
    return counts.inserted


def _demo_targets(session: Session, projects: pd.DataFrame) -> None:
    from recommender.db.models import ProjectTarget

    done = ledger.complete_projects(session, projects)
    signed = done[done["signed_date"].notna() & done["stage"].isin(["签约", "开工", "投产"])]
    if signed.empty:
        return
    year = int(signed["signed_date"].dt.year.max())
    last = signed[signed["signed_date"].dt.year == year]
    per_city = last.groupby("city_code").agg(
        n=("project_id", "size"), amount=("agreed_investment_yi", "sum")
    )
    for city, row in per_city.iterrows():
        session.merge(
            ProjectTarget(
                city_code=str(city), park_id="", year=year,
                signed_projects=int(row["n"] * 1.2) + 1,
                agreed_investment_yi=round(float(row["amount"]) * 1.25, 1),
                srdi_cultivated=max(1, int(row["n"] // 4)),
            )
        )  # fmt: skip
