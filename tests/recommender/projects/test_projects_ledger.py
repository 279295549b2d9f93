"""The project ledger and the dashboard with hand-computed totals, on SQLite and PostgreSQL:
import (Chinese headers, park names, derived signed dates), stage history, the outcomes and
park members a project implies, idempotence, counts, amounts, the funnel's conversion rates,
the lists that led to signed projects, targets against actuals, and scoping per role."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from features.reference import Reference, load_reference
from features.schema import ENTERPRISE, OUTCOME, conform
from features.uscc import uscc_check_digit
from recommender.db import repo
from recommender.db.models import Outcome, ProjectStage, RecommendationLogEntry
from recommender.errors import ForbiddenError, ImportValidationError, ValidationError
from recommender.ingest import import_file
from recommender.projects import ledger, service
from recommender.security import Principal


def uscc(city: str, serial: int) -> str:
    body = f"91{city}MA{serial:07d}"
    return body + uscc_check_digit(body)


A, B, C, D, E = (uscc("330200", 1), uscc("330200", 2), uscc("330100", 3), uscc("310112", 4),
                 uscc("340300", 5))  # fmt: skip
X, Y = uscc("330200", 6), uscc("320500", 7)

HEADER = ",".join(
    ["项目编号", "项目名称", "投资方", "投资方统一社会信用代码", "来源地", "所属园区", "产业类别",
     "进度", "日期", "签约日期", "协议投资额(亿元)", "固定资产投资(亿元)", "用地(亩)", "来源清单",
     "模型版本"]
)  # fmt: skip
LEDGER = f"""{HEADER}
P1,煜晟汽车零部件项目,宁波煜晟汽车零部件有限公司,{A},宁波,甬蚌产业合作园区,汽车零部件,签约,2026-03-10,,5.2,4,120,investor:CB10,m-1
P2,芯速联芯片封装项目,宁波芯速联电子有限公司,{B},宁波市,CB10,电子信息,投产,2026-06-01,2026-02-01,3.0,2.5,80,,
P3,融光纳米新材料项目,融光纳米科技有限公司,,宁波,CB10,新材料,在谈,2026-04-01,,1.5,,,,
P4,杭州数控机床项目,杭州精工机床有限公司,{C},杭州,CB10,高端装备,开工,2026-05-05,,2.0,,,,
P5,2025年续建项目,宁波煜晟汽车零部件有限公司,{A},宁波,CB10,汽车零部件,签约,2025-11-20,,10,,,,
P6,闵行科创项目,上海闵行科技有限公司,{D},闵行区,CB02,电子信息,签约,2026-01-15,,4.0,,,,
P7,中止项目,某投资方,,宁波,CB10,新材料,中止,2026-02-02,,9.9,,,,
"""


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


def _firms() -> pd.DataFrame:
    rows = [
        (A, "宁波煜晟汽车零部件有限公司", "330200", "national", False),
        (B, "宁波芯速联电子有限公司", "330200", "none", False),
        (C, "杭州精工机床有限公司", "330100", "province", False),
        (D, "上海闵行科技有限公司", "310112", "none", False),
        (E, "蚌埠传感器龙头有限公司", "340300", "none", True),
        (X, "宁波某配套企业", "330200", "none", False),
        (Y, "苏州某企业", "320500", "none", False),
    ]
    frame = pd.DataFrame(rows, columns=["uscc", "name", "city_code", "srdi_level", "is_leading"])
    frame["industry_code"] = "3670"
    frame["products"] = "汽车零部件"
    return conform(frame, ENTERPRISE)


@pytest.fixture
def ledger_db(session: Session, reference: Reference, tmp_path: Path) -> Session:
    repo.seed_reference(session, reference=reference)
    repo.upsert_frame(session, kind="enterprises", frame=_firms())
    session.commit()
    path = tmp_path / "台账.csv"
    path.write_text(LEDGER, encoding="utf-8-sig")
    report = import_file(session, kind="projects", path=path, reference=reference)
    assert (report.rows, report.inserted) == (7, 7)
    return session


def _outcomes(session: Session) -> list[tuple[str, str, str, dt.date, float | None]]:
    rows = session.execute(
        select(Outcome.query_id, Outcome.candidate_id, Outcome.stage, Outcome.date,
               Outcome.amount_wan).order_by(Outcome.date, Outcome.stage)
    ).all()  # fmt: skip
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_import_resolves_parks_derives_signed_dates_and_cities(ledger_db: Session) -> None:
    frame = repo.load_frame(ledger_db, kind="projects").set_index("project_id")
    assert frame.loc["P1", "park_id"] == "CB10"  # given by name
    assert frame.loc["P1", "city_code"] == "340300"  # from the park
    assert frame.loc["P6", "city_code"] == "340400"
    assert frame.loc["P1", "source_city_code"] == "330200"
    assert frame.loc["P1", "signed_date"] == pd.Timestamp("2026-03-10")  # stage date at 签约
    assert frame.loc["P2", "signed_date"] == pd.Timestamp("2026-02-01")  # 签约日期 column
    assert frame.loc["P4", "signed_date"] == pd.Timestamp("2026-05-05")
    assert pd.isna(frame.loc["P3", "signed_date"])
    assert pd.isna(frame.loc["P7", "signed_date"])
    assert frame.loc["P1", "land_mu"] == pytest.approx(120.0)


def test_signed_and_landed_projects_feed_outcomes_and_members(ledger_db: Session) -> None:
    assert _outcomes(ledger_db) == [
        ("CB10", A, "signed", dt.date(2025, 11, 20), pytest.approx(100000.0)),
        ("CB02", D, "signed", dt.date(2026, 1, 15), pytest.approx(40000.0)),
        ("CB10", B, "signed", dt.date(2026, 2, 1), pytest.approx(30000.0)),
        ("CB10", A, "signed", dt.date(2026, 3, 10), pytest.approx(52000.0)),
        ("CB10", C, "signed", dt.date(2026, 5, 5), pytest.approx(20000.0)),
        ("CB10", B, "landed", dt.date(2026, 6, 1), pytest.approx(30000.0)),
    ]
    assert ledger.park_members(ledger_db, park_id="CB10") == [B]
    assert ledger.stage_history(ledger_db, project_id="P2") == [
        ("签约", dt.date(2026, 2, 1)),
        ("投产", dt.date(2026, 6, 1)),
    ]


def test_reimport_changes_nothing(ledger_db: Session, reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "again.csv"
    path.write_text(LEDGER, encoding="utf-8")
    report = import_file(ledger_db, kind="projects", path=path, reference=reference)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 7)
    assert ledger_db.scalar(select(func.count()).select_from(Outcome)) == 6
    assert ledger_db.scalar(select(func.count()).select_from(ProjectStage)) == 8


def test_bad_rows_are_all_reported_and_nothing_is_written(
    session: Session, reference: Reference, tmp_path: Path
) -> None:
    repo.seed_reference(session, reference=reference)
    session.commit()
    path = tmp_path / "bad.csv"
    path.write_text(
        "项目编号,项目名称,投资方,所属园区,进度,日期,协议投资额(亿元)\n"
        "Q1,好项目,某公司,CB10,签约,2026-01-01,1\n"
        "Q2,坏进度,某公司,CB10,快签了,2026-01-01,1\n"
        "Q3,无园区,某公司,不存在的园区,在谈,2026-13-01,-2\n"
        "Q4,无归属,某公司,,在谈,2026-01-01,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportValidationError) as info:
        import_file(session, kind="projects", path=path, reference=reference)
    got = [(e.line, e.column) for e in info.value.errors]
    assert got == [
        (3, "stage"),
        (4, "park_id"),
        (4, "stage_date"),
        (4, "agreed_investment_yi"),
        (5, "city"),
    ]
    assert repo.existing_keys(session, kind="projects") == set()


def _add_funnel(session: Session) -> None:
    steps = [
        *[("investor", "CB10", f, "recommended", "2026-01-05") for f in (A, B, C, X, Y)],
        *[("investor", "CB10", f, "contacted", "2026-01-10") for f in (A, B, C, X)],
        *[("investor", "CB10", f, "meeting", "2026-01-20") for f in (A, B, C)],
        *[("investor", "CB10", f, "intention", "2026-01-25") for f in (A, B, C)],
        ("supplier", E, X, "recommended", "2026-01-05"),
        ("investor", "CB10", Y, "recommended", "2025-12-31"),  # another year
    ]
    frame = pd.DataFrame(steps, columns=["query_kind", "query_id", "candidate_id", "stage", "date"])
    frame["date"] = pd.to_datetime(frame["date"])
    repo.upsert_frame(session, kind="outcomes", frame=conform(frame, OUTCOME))
    shown = [
        (A, "m-1", dt.datetime(2026, 3, 1, 9)),
        (B, "m-2", dt.datetime(2026, 1, 10, 9)),
        (C, "m-2", dt.datetime(2026, 6, 1, 9)),  # after P4 was signed: did not lead to it
    ]
    session.execute(
        insert(RecommendationLogEntry),
        [
            {"query_kind": "investor", "query_id": "CB10", "candidate_id": f, "rank": i + 1,
             "score": 1.0, "model_version": m, "shown_at": t}
            for i, (f, m, t) in enumerate(shown)
        ],
    )  # fmt: skip
    session.commit()


ADMIN = Principal(key_id=1, role="admin")
COORDINATOR = Principal(key_id=2, role="coordinator")
BENGBU = Principal(key_id=3, role="promotion_office", city_code="340300")
NINGBO = Principal(key_id=4, role="promotion_office", city_code="330200")
HUAINAN = Principal(key_id=5, role="promotion_office", city_code="340400")


def test_dashboard_totals_by_pairing_month_stage_and_park(
    ledger_db: Session, reference: Reference
) -> None:
    board = service.dashboard_for(ledger_db, principal=ADMIN, cities=reference.cities, year=2026)
    blocks = {b["wanbei_city"]: b for b in board["pairings"]}
    assert len(blocks) == 8
    bb = blocks["340300"]
    assert (bb["partner_city"], bb["signed_projects"], bb["agreed_investment_yi"]) == (
        "330200", 2, pytest.approx(8.2),
    )  # fmt: skip
    assert bb["city"] == {"signed_projects": 3, "agreed_investment_yi": pytest.approx(10.2)}
    months = {m["month"]: (m["signed_projects"], m["agreed_investment_yi"]) for m in bb["by_month"]}
    assert months[2] == (1, pytest.approx(3.0))
    assert months[3] == (1, pytest.approx(5.2))
    assert months[5] == (1, pytest.approx(2.0))
    assert months[1] == (0, 0.0)
    stages = {s["stage"]: s["projects"] for s in bb["by_stage"]}
    assert stages == {"在谈": 1, "协议起草": 0, "签约": 2, "开工": 1, "投产": 1, "中止": 1}
    assert [(s["city_code"], s["signed_projects"]) for s in bb["by_source"]] == [
        ("330200", 2), ("330100", 1),
    ]  # fmt: skip
    assert [(p["park_id"], p["signed_projects"], p["projects"]) for p in bb["parks"]] == [
        ("CB10", 3, 6),
    ]  # fmt: skip
    hn = blocks["340400"]
    assert (hn["signed_projects"], hn["agreed_investment_yi"]) == (1, pytest.approx(4.0))
    assert blocks["341200"]["signed_projects"] == 0
    assert board["totals"]["signed_projects"] == 3
    assert board["totals"]["city_agreed_investment_yi"] == pytest.approx(14.2)
    last_year = service.dashboard_for(
        ledger_db, principal=ADMIN, cities=reference.cities, year=2025
    )
    assert {b["wanbei_city"]: b["city"]["signed_projects"] for b in last_year["pairings"]}[
        "340300"
    ] == 1


def test_funnel_rates_lists_and_targets(ledger_db: Session, reference: Reference) -> None:
    _add_funnel(ledger_db)
    service.set_targets(
        ledger_db, principal=BENGBU, cities=reference.cities, city_code="340300", year=2026,
        values={"signed_projects": 10, "agreed_investment_yi": 20.0, "srdi_cultivated": 2},
    )  # fmt: skip
    board = service.dashboard_for(ledger_db, principal=BENGBU, cities=reference.cities, year=2026)
    (bb,) = board["pairings"]
    funnel = [(f["stage"], f["count"], f["rate"]) for f in bb["funnel"]]
    # recommended: 5 park pairs + 1 supplier pair of a 蚌埠 firm; signed/landed from projects
    assert funnel == [
        ("recommended", 6, None),
        ("contacted", 4, pytest.approx(0.6667)),
        ("meeting", 3, pytest.approx(0.75)),
        ("intention", 3, pytest.approx(1.0)),
        ("signed", 3, pytest.approx(1.0)),
        ("landed", 1, pytest.approx(0.3333)),
    ]
    assert [
        (x["via"], x["list_id"], x["model_version"], x["signed_projects"]) for x in bb["lists"]
    ] == [
        ("ledger", "investor:CB10", "m-1", 1),
        ("log", "CB10", "m-1", 1),
        ("log", "CB10", "m-2", 1),
    ]
    assert bb["targets"]["signed_projects"] == {"target": 10.0, "actual": 3, "share": 0.3}
    assert bb["targets"]["agreed_investment_yi"]["share"] == pytest.approx(0.51)
    # investors of P1 (national) and P4 (province) are 专精特新 firms
    assert bb["targets"]["srdi_cultivated"] == {"target": 2.0, "actual": 2, "share": 1.0}


def test_scoping_per_role(ledger_db: Session, reference: Reference) -> None:
    def seen(p: Principal) -> list[str]:
        board = service.dashboard_for(ledger_db, principal=p, cities=reference.cities, year=2026)
        return [b["wanbei_city"] for b in board["pairings"]]

    assert len(seen(COORDINATOR)) == 8
    assert seen(BENGBU) == ["340300"]
    assert seen(NINGBO) == ["340300"]  # the partner sees its pairing
    assert seen(HUAINAN) == ["340400"]
    rows, total = service.list_projects(ledger_db, principal=HUAINAN, cities=reference.cities)
    assert (total, [r["project_id"] for r in rows]) == (1, ["P6"])
    with pytest.raises(ForbiddenError):
        service.get_project(ledger_db, principal=HUAINAN, cities=reference.cities, project_id="P1")
    with pytest.raises(ForbiddenError):
        service.set_targets(
            ledger_db, principal=HUAINAN, cities=reference.cities, city_code="340300",
            year=2026, values={"signed_projects": 1},
        )  # fmt: skip


def test_stage_update_writes_history_and_the_landed_outcome(
    ledger_db: Session, reference: Reference
) -> None:
    row = service.update_stage(
        ledger_db, principal=BENGBU, cities=reference.cities, project_id="P4", stage="投产",
        date=dt.date(2026, 9, 1),
    )  # fmt: skip
    assert row["stage"] == "投产"
    assert row["signed_date"] == dt.date(2026, 5, 5)
    assert [h["stage"] for h in row["history"]] == ["开工", "投产"]
    assert ("CB10", C, "landed", dt.date(2026, 9, 1), pytest.approx(20000.0)) in _outcomes(
        ledger_db
    )
    assert ledger.park_members(ledger_db, park_id="CB10") == sorted([B, C])
    with pytest.raises(ValidationError, match="before"):
        service.update_stage(
            ledger_db, principal=BENGBU, cities=reference.cities, project_id="P4", stage="中止",
            date=dt.date(2026, 1, 1),
        )  # fmt: skip


def test_an_office_cannot_import_another_citys_projects(
    session: Session, reference: Reference, tmp_path: Path
) -> None:
    repo.seed_reference(session, reference=reference)
    session.commit()
    path = tmp_path / "huainan.csv"
    path.write_text(
        "项目编号,项目名称,投资方,所属园区,进度,日期\n"
        "H1,淮南项目,某公司,CB02,在谈,2026-01-01\n"
        "H2,蚌埠项目,某公司,CB10,在谈,2026-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportValidationError) as info:
        service.import_ledger(
            session, principal=HUAINAN, path=path, source="huainan.csv", reference=reference
        )
    assert [(e.line, e.got) for e in info.value.errors] == [(3, "340300")]
    result = service.import_ledger(
        session, principal=ADMIN, path=path, source="huainan.csv", reference=reference
    )
    assert result["inserted"] == 2


def test_the_cache_holds_until_the_data_stamp_moves_but_targets_are_live(
    ledger_db: Session, reference: Reference
) -> None:
    from recommender.projects.dashboard import DashboardCache

    cache = DashboardCache()

    def bengbu(stamp: int) -> dict[str, object]:
        board = service.dashboard_for(
            ledger_db, principal=BENGBU, cities=reference.cities, year=2026, cache=cache,
            stamp=stamp,
        )  # fmt: skip
        block: dict[str, object] = board["pairings"][0]
        return block

    assert bengbu(1)["city"] == {"signed_projects": 3, "agreed_investment_yi": pytest.approx(10.2)}
    service.update_stage(
        ledger_db, principal=BENGBU, cities=reference.cities, project_id="P3", stage="签约",
        date=dt.date(2026, 8, 1),
    )  # fmt: skip
    service.set_targets(
        ledger_db, principal=BENGBU, cities=reference.cities, city_code="340300", year=2026,
        values={"signed_projects": 8},
    )  # fmt: skip
    same = bengbu(1)
    assert same["city"]["signed_projects"] == 3  # type: ignore[index]
    assert same["targets"]["signed_projects"]["target"] == 8.0  # type: ignore[index]
    assert bengbu(2)["city"]["signed_projects"] == 4  # type: ignore[index]


def test_funnel_counts_take_in_only_new_outcomes(ledger_db: Session) -> None:
    from recommender.projects import funnel

    assert funnel.refresh(ledger_db) == 6  # the outcomes the ledger implied
    assert funnel.refresh(ledger_db) == 0
    before = funnel.funnel_rows(ledger_db, 2026, ["340300"]).set_index("stage")["n"]
    assert before["signed"] == 3
    _add_funnel(ledger_db)  # 16 outcomes of 2026 for 蚌埠, 1 of 2025
    assert funnel.refresh(ledger_db) == 17
    after = funnel.funnel_rows(ledger_db, 2026, ["340300"]).set_index("stage")["n"]
    assert (after["recommended"], after["contacted"], after["signed"]) == (6, 4, 3)
    assert funnel.funnel_rows(ledger_db, 2025, ["340300"]).set_index("stage")["n"].to_dict() == {
        "recommended": 1,
        "signed": 1,
    }


def test_direct_counts_equal_the_kept_counts(ledger_db: Session) -> None:
    from recommender.projects import funnel

    _add_funnel(ledger_db)
    funnel.refresh(ledger_db)
    cities = ["340300", "340400"]
    for year in (2025, 2026):
        kept = funnel.funnel_rows(ledger_db, year, cities).sort_values(["city_code", "stage"])
        direct = funnel.direct_rows(ledger_db, year, cities).sort_values(["city_code", "stage"])
        assert (
            kept.reset_index(drop=True)
            .astype(str)
            .equals(direct.reset_index(drop=True).astype(str))
        ), year
