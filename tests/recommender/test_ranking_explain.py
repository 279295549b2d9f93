"""Reason texts and family sums, hand-worked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from recommender.ranking.explain import _Row, family_contributions, reason_text


def _row(**kw: Any) -> _Row:
    base: dict[str, Any] = {
        "kind": "supplier",
        "feats": {},
        "nodes": "",
        "keyword": "",
        "query_city": "蚌埠",
        "cand_city": "宁波",
        "paired": "宁波→蚌埠",
        "query_city_en": "Bengbu",
        "cand_city_en": "Ningbo",
        "paired_en": "Ningbo→Bengbu",
        "meeting_year": None,
        "meeting_city": "",
        "park_industries": "",
    }
    base.update(kw)
    return _Row(**base)


def test_family_contributions_sum_per_family_and_drop_kind_and_bias() -> None:
    names = ["kind_supplier", "io_a_forward", "node_need_match", "distance_km"]
    contrib = np.array([[9.0, 0.1, 0.2, -0.3, 5.0], [0.0, 1.0, 1.0, 2.0, 5.0]])
    fams, values = family_contributions(contrib, names)
    assert fams == ["chain", "geo"]
    np.testing.assert_allclose(values, [[0.3, -0.3], [2.0, 2.0]])
    with pytest.raises(ValueError, match=r"must have 5 columns \(features \+ bias\)"):
        family_contributions(contrib[:, :4], names)


@pytest.mark.parametrize(
    ("family", "row", "zh", "en"),
    [
        (
            "chain",
            _row(feats={"node_direct_upstream": 1.0}, nodes="MEMS芯片"),
            "上游配套: 生产MEMS芯片, 为所需环节的直接投入",
            "Upstream supplier: makes MEMS芯片, a direct input to what is needed",
        ),
        (
            "chain",
            _row(feats={"node_need_match": 1.0}, nodes="传感器模组"),
            "产业链匹配: 生产传感器模组, 正是所需环节",
            "Chain match: makes 传感器模组",
        ),
        (
            "chain",
            _row(kind="customer", feats={"node_need_match": 1.0}, nodes="工业机器人"),
            "产业链匹配: 需要贵司生产的工业机器人",
            "Chain match: needs the 工业机器人 you make",
        ),
        (
            "chain",
            _row(feats={"io_a_forward": 0.1234}),
            "行业投入产出关联: 直接消耗系数 0.123",
            "Input-output link: direct coefficient 0.123",
        ),
        (
            "programme",
            _row(feats={"official_pair": 1.0}),
            "结对城市: 宁波→蚌埠",
            "Official pairing: Ningbo→Bengbu",
        ),
        (
            "geo",
            _row(feats={"distance_km": 181.6}),
            "距离 182 km (蚌埠—宁波)",
            "Distance 182 km (Bengbu–Ningbo)",
        ),
        (
            "history",
            _row(meeting_year=2025, meeting_city="蚌埠", meeting_city_en="Bengbu"),
            "2025 年曾在蚌埠对接洽谈",
            "Met at a matchmaking event in Bengbu in 2025",
        ),
        (
            "history",
            _row(meeting_year=2024),
            "2024 年曾对接洽谈",
            "Met at a matchmaking event in 2024",
        ),
        (
            "history",
            _row(feats={"hist_cand_conversion": 0.25}),
            "历史对接转化率 25%",
            "Past conversion 25%",
        ),
        (
            "quality",
            _row(feats={"cand_srdi_level": 2.0, "cand_high_tech": 1.0}),
            "企业资质: 国家级专精特新“小巨人”、高新技术企业",
            "Quality: national SRDI little giant, high-tech enterprise",
        ),
        (
            "quality",
            _row(feats={"cand_log_employees": float(np.log1p(250))}),
            "企业规模: 约 250 人",
            "Size: about 250 employees",
        ),
        (
            "text",
            _row(feats={"text_need_products": 0.456}, keyword="压力传感器"),
            "产品契合: 压力传感器 (相似度 0.46)",
            "Product fit: 压力传感器 (similarity 0.46)",
        ),
        (
            "park",
            _row(park_industries="智能传感器;新材料"),
            "符合园区主导产业: 智能传感器;新材料",
            "Matches the park's leading industries: 智能传感器;新材料",
        ),
    ],
)
def test_reason_texts_are_concrete(family: str, row: _Row, zh: str, en: str) -> None:
    assert reason_text(family, row) == (zh, en)


def test_a_family_with_nothing_concrete_gives_no_reason() -> None:
    assert reason_text("reciprocity", _row()) is None
    got = reason_text("reciprocity", _row(feats={"recip_cand_serves_sector": 0.4}))
    assert got is not None
    assert got[0] == "双向匹配: 对方以往合作中 40% 在贵方行业"
