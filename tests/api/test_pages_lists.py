"""What the lists show and record: chance levels, shortfall hints, Excel, recorded steps."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook

from api.pages import listing, xlsx
from api.pages.progress import record_step
from recommender.security import Principal

if TYPE_CHECKING:
    from tests.api.conftest import Api


@pytest.mark.parametrize(
    ("p", "pct", "level"),
    [
        (0.333, "33%", "high"),
        (0.30, "30%", "high"),
        (0.122, "12%", "mid"),
        (0.07, "7%", "low"),
        (0.001, "<1%", "low"),
        (None, "–", ""),
    ],
)
def test_chance_is_a_percentage_with_a_level(p: float | None, pct: str, level: str) -> None:
    assert listing.chance(p) == {"pct": pct, "level": level}


def test_distance_between_ningbo_and_bengbu_is_about_520_km() -> None:
    km = listing.distance_km((29.87, 121.55), (32.92, 117.39))
    assert km is not None
    assert 515 < km < 525  # equirectangular by hand: 4.68 degrees x 111.2 km


def test_a_short_list_offers_to_drop_each_filter_that_is_set() -> None:
    params = {"park": "CB10", "province": "江苏省", "size": "", "k": 20}
    hint = listing.shortfall(
        n=3, k=20, base="/zhaoshang", params=params, labels={"province": "省份：江苏省"}
    )
    assert hint is not None
    assert (hint["n"], hint["k"]) == (3, 20)
    assert [(x.label, x.url) for x in hint["loosen"]] == [
        ("省份：江苏省", "/zhaoshang?park=CB10&k=20")
    ]
    assert listing.shortfall(n=20, k=20, base="/", params=params, labels={}) is None


def test_the_excel_file_is_chinese_with_a_header_block_and_filters() -> None:
    row = {
        "rank": 1,
        "candidate_id": "91330200MA0000001X",
        "name": "宁波测试有限公司",
        "city_label": "宁波市",
        "p_success": 0.18,
        "chance": listing.chance(0.18),
        "facts": {"revenue_wan": 1200.0, "employees": 80, "quals": ["高新技术企业"]},
        "km": 505,
        "latest": {"stage": "contacted", "date": dt.date(2026, 11, 3)},
        "reasons": ["结对城市：宁波和蚌埠是官方结对城市"],
        "products": "传感器",
    }
    data = xlsx.write_list(
        title="招商目标企业库",
        header=[("园区", "蚌埠市 · 甬蚌产业合作园区"), ("导出日期", "2026-12-01")],
        rows=[row],
    )
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "招商目标企业库"
    assert (ws["A2"].value, ws["B2"].value) == ("园区", "蚌埠市 · 甬蚌产业合作园区")
    assert ws["A5"].value == "排名"
    assert ws.auto_filter.ref == "A5:M6"
    values = [c.value for c in ws[6]]
    assert values[:5] == [1, "宁波测试有限公司", "宁波市", "中", 0.18]
    assert values[9] == "已联系 2026-11-03"
    assert values[12] == "91330200MA0000001X"
    name = xlsx.file_name("招商目标企业", "甬蚌产业合作园区", dt.date(2026, 12, 1))
    assert name == "招商目标企业_甬蚌产业合作园区_2026-12-01.xlsx"
    assert "filename*=UTF-8''%E6%8B%9B" in xlsx.disposition(name)


def test_a_step_in_the_future_or_contradicting_the_same_day_is_refused(api: Api) -> None:
    ids = api.ids
    admin = Principal(key_id=None, role="admin")
    today = dt.date(2026, 12, 1)
    common = {
        "principal": admin,
        "reference": api.reference,
        "kind": "supplier",
        "query_id": ids["firm_nb"],
        "candidate": ids["firm_bb"],
        "today": today,
    }
    with api.factory() as s:
        future = record_step(s, stage="signed", date="2026-12-02", **common)  # type: ignore[arg-type]
        assert not future.ok
        assert "还没到" in future.message
        bad_amount = record_step(s, stage="signed", date="2026-11-30", amount="十万", **common)  # type: ignore[arg-type]
        assert not bad_amount.ok
        assert "签约金额" in bad_amount.message
        ok = record_step(s, stage="signed", date="2026-11-30", amount="1,500", **common)  # type: ignore[arg-type]
        assert ok.ok, ok.message
        clash = record_step(s, stage="declined", date="2026-11-30", **common)  # type: ignore[arg-type]
        assert not clash.ok
        assert clash.status == 409
        assert "同一天不能再记录" in clash.message
        later = record_step(s, stage="declined", date="2026-12-01", **common)  # type: ignore[arg-type]
        assert later.ok
    with api.factory() as s:
        from sqlalchemy import select

        from recommender.db.models import Outcome

        amounts = s.execute(
            select(Outcome.stage, Outcome.amount_wan).where(Outcome.query_id == ids["firm_nb"])
        ).all()
    assert sorted(amounts, key=lambda t: t[0]) == [("declined", None), ("signed", 1500.0)]


def test_a_scoped_office_cannot_record_for_another_citys_pair(api: Api) -> None:
    ids = api.ids
    huainan = Principal(key_id=None, role="promotion_office", city_code="340400")
    with api.factory() as s:
        refused = record_step(
            s,
            principal=huainan,
            reference=api.reference,
            kind="supplier",
            query_id=ids["firm_nb"],
            candidate=ids["firm_bb"],
            stage="contacted",
            date="2026-11-01",
            today=dt.date(2026, 12, 1),
        )
    assert not refused.ok
    assert refused.status == 403
    assert "不属于您的城市" in refused.message


def test_versions_are_compared_with_production_from_the_same_run_and_judged_by_the_guard() -> None:
    from api.pages.retrain import TOLERANCE, comparison

    assert TOLERANCE == 0.005
    metrics = {
        "lambdarank": {"all": {"ndcg@10": 0.60, "mrr": 0.5, "n_queries": 10.0}},
        "production": {"all": {"ndcg@10": 0.59, "mrr": 0.6, "n_queries": 10.0}},
        "full_path": {"all": {"ndcg@10": 0.5646, "map@10": 0.4, "n_queries": 12.0}},
        "production_full_path": {"all": {"ndcg@10": 0.5743, "map@10": 0.45, "n_queries": 12.0}},
        "rule": {"all": {"ndcg@10": 0.50}},
    }
    basis, rows, guard = comparison(metrics)
    assert basis.startswith("全流程")
    assert rows[0] == ("排序质量 NDCG@10", 0.5646, 0.5743, None)  # no full-path rule figure
    assert rows[1] == ("平均准确率 MAP@10", 0.4, 0.45, None)
    assert guard.ok is False
    assert "比当时的生产模型 0.5743 低 0.0097" in guard.text
    # without a full path: the re-ranking figures, within tolerance -> passes
    del metrics["full_path"], metrics["production_full_path"]
    basis, rows, guard = comparison(metrics)
    assert basis.startswith("只对已有对接记录")
    assert rows[0][1:] == (0.60, 0.59, 0.50)
    assert guard.ok is True
    _, _, none = comparison({"lambdarank": {"all": {"ndcg@10": 0.6}}})
    assert none.ok is None


def test_retrain_messages_read_in_chinese() -> None:
    from api.pages.messages import job_zh

    text = job_zh(
        "keep production: new ndcg@10 0.5646 < production 0.5743 - tolerance 0.0050; "
        "production before this run: V1 (compared)"
    )
    assert text == (
        "保留原生产模型：新模型排序质量 NDCG@10 为 0.5646，低于同一测试窗口上的生产模型 0.5743"
        "（允许最多低 0.0050）；训练前的生产模型：V1"
    )
    assert job_zh("ValueError: no outcomes") == "训练失败（ValueError）：no outcomes"


def test_an_outcomes_file_with_a_contradiction_or_a_future_date_is_caught(
    api: Api, tmp_path: Path
) -> None:
    from api.pages.progress import check_outcome_file

    ids = api.ids
    f = tmp_path / "o.csv"
    f.write_text(
        "query_kind,query_id,candidate_id,stage,date\n"
        f"supplier,{ids['firm_nb']},{ids['firm_hn']},签约,2026-03-01\n"
        f"supplier,{ids['firm_nb']},{ids['firm_hn']},拒绝,2026-03-01\n"
        f"supplier,{ids['firm_nb']},{ids['firm_hn']},declined,2026-03-02\n"
        f"supplier,{ids['firm_nb']},{ids['firm_hn']},contacted,2027-01-01\n",
        encoding="utf-8",
    )
    with api.factory() as s:
        got = check_outcome_file(s, f, today=dt.date(2026, 12, 1))
    assert [(p["line"], p["column"]) for p in got] == [(3, "stage"), (5, "date")]
    assert got[0]["got"] == "拒绝 2026-03-01 (the other is on line 2)"


@pytest.mark.parametrize(
    ("exc", "zh"),
    [
        (
            "ValidationError:event EV1 has no registered participants; expected >= 2",
            "这场对接会还没有登记参会企业，请先登记龙头企业和配套企业。",
        ),
        (
            "ConflictError:event 'EV-9' exists already; choose another id",
            "编号 EV-9 已被另一场对接会使用，请换一个编号。",
        ),
        (
            "ConflictError:retrain job 7 is still running; wait for it",
            "第 7 号训练任务还没结束，请等它完成后再开始新的训练。",
        ),
        (
            "ForbiddenError:park CB05 is in city 340400; this key is limited to city 340300",
            "这项内容不属于您的城市或角色，无法查看或修改。",
        ),
        (
            "ModelError:no model in production",
            "还没有可用的排序模型，请联系分析员训练并上线一个模型后再试。",
        ),
    ],
)
def test_refusals_read_in_chinese_on_a_page(exc: str, zh: str) -> None:
    from api.pages.messages import domain_zh
    from recommender import errors

    cls, _, text = exc.partition(":")
    assert domain_zh(getattr(errors, cls)(text)) == zh
