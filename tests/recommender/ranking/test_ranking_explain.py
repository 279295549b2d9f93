"""Reason texts and family sums, hand-worked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from recommender.ranking.explain import _Row, family_matrix, reason_text


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


def test_family_matrix_sums_features_per_family_and_drops_kind_and_bias() -> None:
    names = ["kind_supplier", "io_a_forward", "node_need_match", "distance_km"]
    fams, onehot = family_matrix(names)
    assert fams == ["chain", "geo"]
    assert onehot.shape == (5, 2)  # features + bias rows, one column a family
    contrib = np.array([[9.0, 0.1, 0.2, -0.3, 5.0], [0.0, 1.0, 1.0, 2.0, 5.0]])
    np.testing.assert_allclose(contrib @ onehot, [[0.3, -0.3], [2.0, 2.0]])


@pytest.mark.parametrize(
    ("family", "row", "zh", "en"),
    [
        (
            "chain",
            _row(feats={"node_direct_upstream": 1.0}, nodes="MEMS芯片"),
            "上游供货：该企业生产MEMS芯片，是这家龙头企业产品直接用到的原料或部件",
            "Upstream supplier: this firm makes MEMS芯片, a direct input of the leading firm",
        ),
        (
            "chain",
            _row(feats={"node_need_match": 1.0}, nodes="传感器模组"),
            "产业链对口：该企业生产传感器模组，正是这家龙头企业需要的配套",
            "Chain fit: this firm makes 传感器模组, what the leading firm is looking for",
        ),
        (
            "chain",
            _row(kind="customer", feats={"node_need_match": 1.0}, nodes="工业机器人"),
            "产业链对口：该龙头企业需要工业机器人，正是本企业生产的",
            "Chain fit: this leading firm needs 工业机器人, which your firm makes",
        ),
        (
            "chain",
            _row(feats={"io_a_forward": 0.1234}),
            "行业上下游：按全国投入产出表，这家龙头企业所在行业每产出 100 元，"
            "要直接买约 12.3 元该企业所在行业的产品",
            "Sector link: per 100 yuan of output, the buyer's sector buys about 12.3 yuan "
            "from this sector (national input-output table)",
        ),
        (
            "programme",
            _row(feats={"official_pair": 1.0}),
            "官方结对：宁波和蚌埠是沪苏浙—皖北结对合作城市",
            "Official pairing: Ningbo and Bengbu are paired cities",
        ),
        (
            "geo",
            _row(feats={"distance_km": 181.6}),
            "路程：宁波到蚌埠直线约 182 公里",
            "Distance: Ningbo–Bengbu about 182 km",
        ),
        (
            "history",
            _row(meeting_year=2025, meeting_city="蚌埠", meeting_city_en="Bengbu"),
            "见过面：双方在 2025 年蚌埠的对接会上谈过",
            "Met before: at a matchmaking event in Bengbu in 2025",
        ),
        (
            "history",
            _row(meeting_year=2024),
            "见过面：双方在 2024 年的对接会上谈过",
            "Met before: at a matchmaking event in 2024",
        ),
        (
            "history",
            _row(feats={"hist_cand_conversion": 0.25}),
            "对接记录好：该企业以往被推荐的对接中，约 25% 谈到了见面或更进一步",
            "Good record: about 25% of this firm's past matches reached a meeting or more",
        ),
        (
            "quality",
            _row(feats={"cand_srdi_level": 2.0, "cand_high_tech": 1.0}),
            "企业实力：该企业是国家级专精特新“小巨人”、高新技术企业",
            "Strength: national SRDI little giant, high-tech enterprise",
        ),
        (
            "quality",
            _row(feats={"cand_log_employees": float(np.log1p(250))}),
            "企业规模：该企业约 250 人参保",
            "Size: about 250 insured staff",
        ),
        (
            "text",
            _row(feats={"text_need_products": 0.456}, keyword="压力传感器"),
            "产品对得上：该企业的“压力传感器”和这家龙头企业的需求描述最接近",
            "Product fit: “压力传感器” is closest to what is asked for",
        ),
        (
            "text",
            _row(kind="customer", feats={"text_need_products": 0.4}, keyword="金属制品修理"),
            "产品对得上：本企业的“金属制品修理”和该龙头企业的需求描述最接近",
            "Product fit: “金属制品修理” is closest to what is asked for",
        ),
        (
            "park",
            _row(park_industries="智能传感器;新材料"),
            "对口园区主导产业（智能传感器、新材料）",
            "Matches the park's leading industries (智能传感器;新材料)",
        ),
    ],
)
def test_reason_texts_are_concrete(family: str, row: _Row, zh: str, en: str) -> None:
    assert reason_text(family, row) == (zh, en)


def test_a_family_with_nothing_concrete_gives_no_reason() -> None:
    assert reason_text("reciprocity", _row()) is None
    got = reason_text("reciprocity", _row(feats={"recip_cand_serves_sector": 0.4}))
    assert got is not None
    assert got[0] == "对方常做这一行：该企业以往的合作伙伴中 40% 和这家龙头企业同属一个行业"
