"""The demo world's ledger: projects from its investor outcomes, stages and amounts by hand,
stored once without adding outcomes the world does not have."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from features.reference import load_reference
from features.schema import ENTERPRISE, OUTCOME, conform
from features.uscc import uscc_check_digit
from recommender.db import repo
from recommender.db.models import Outcome, ProjectTarget
from recommender.projects.demo import build_demo_ledger, store_demo_ledger


def uscc(city: str, serial: int) -> str:
    body = f"91{city}MA{serial:07d}"
    return body + uscc_check_digit(body)


A, B, C, D = (uscc("330200", i) for i in range(1, 5))


def _world() -> tuple[pd.DataFrame, pd.DataFrame]:
    steps = [
        ("investor", "CB10", A, "recommended", "2024-12-01", None),
        ("investor", "CB10", A, "signed", "2025-01-10", 25000.0),
        ("investor", "CB10", A, "landed", "2025-06-01", 25000.0),
        ("investor", "CB10", B, "intention", "2025-09-01", None),
        ("investor", "CB10", C, "intention", "2025-03-01", None),
        ("investor", "CB10", C, "declined", "2025-04-01", None),
        ("investor", "CB02", D, "signed", "2025-11-20", 8000.0),
        ("investor", "CB02", B, "contacted", "2025-12-31", None),
        ("supplier", A, B, "signed", "2025-05-05", 100.0),
    ]
    cols = ["query_kind", "query_id", "candidate_id", "stage", "date", "amount_wan"]
    outcomes = pd.DataFrame(steps, columns=cols)
    outcomes["date"] = pd.to_datetime(outcomes["date"])
    firms = pd.DataFrame(
        {"uscc": [A, B, C, D], "name": ["宁波甲汽车零部件有限公司", "乙", "丙", "丁"],
         "city_code": "330200", "industry_code": "3670", "products": "零部件"}
    )  # fmt: skip
    return conform(outcomes, OUTCOME), conform(firms, ENTERPRISE)


def test_projects_from_outcomes_by_hand() -> None:
    outcomes, firms = _world()
    industries = load_reference().industries
    got = build_demo_ledger(outcomes, firms, industries).set_index("investor_uscc")
    assert len(got) == 4  # A, B (talks), C (stopped), D; the supplier pair is no project
    a = got.loc[A]
    assert (a["park_id"], a["stage"], a["stage_date"]) == (
        "CB10",
        "投产",
        pd.Timestamp("2025-06-01"),
    )
    assert a["signed_date"] == pd.Timestamp("2025-01-10")
    assert a["agreed_investment_yi"] == pytest.approx(2.5)
    assert a["source_city_code"] == "330200"
    assert a["name"].startswith("宁波甲汽车零部件")
    assert got.loc[B, "stage"] in ("在谈", "协议起草")
    assert pd.isna(got.loc[B, "signed_date"])
    assert got.loc[C, "stage"] == "中止"
    d = got.loc[D]
    # signed 41 days before the world's end: no 开工 three months later yet
    assert (d["stage"], d["agreed_investment_yi"]) == ("签约", pytest.approx(0.8))


def test_stored_once_with_targets_and_no_new_outcomes(session: Session) -> None:
    reference = load_reference()
    repo.seed_reference(session, reference=reference)
    outcomes, firms = _world()
    repo.upsert_frame(session, kind="enterprises", frame=firms)
    repo.upsert_frame(session, kind="outcomes", frame=outcomes)
    session.commit()
    assert store_demo_ledger(session, industries=reference.industries) == 4
    assert session.scalar(select(func.count()).select_from(Outcome)) == len(outcomes)
    targets = {t.city_code: t.signed_projects for t in session.scalars(select(ProjectTarget))}
    # 2025: 蚌埠 (CB10) signed A, 淮南 (CB02) signed D; targets one above 1.2 x actual
    assert targets == {"340300": 2, "340400": 2}
    assert store_demo_ledger(session, industries=reference.industries) == 0
