"""Chain nodes inferred from the industry code and products text (features.infer_nodes)."""

from __future__ import annotations

import pandas as pd
import pytest

from features.infer_nodes import NodeInference, infer_chain_nodes
from features.reference import Reference, load_reference


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def model(reference: Reference) -> NodeInference:
    return NodeInference(reference.chain_nodes)


@pytest.mark.parametrize(
    ("industry", "text", "nodes"),
    [
        # keyword + one of the node's classes
        ("3973", "MEMS芯片;压力传感器", "sensor.mems_chip"),
        ("3841", "动力电池;电池包", "nev.battery"),
        # a short keyword without the class: not enough (封装 in a packaging-materials firm)
        ("2231", "封装", ""),
        # no class fits, but a specific keyword (4+ characters) does
        ("5179", "压力传感器", "sensor.module"),
        # the class alone says nothing: many non-chain firms share it
        ("3973", "电子产品", ""),
        # keyword matching ignores case (MEMS / mems)
        ("3983", "mems", "sensor.mems_chip"),
        # a keyword shared by two nodes of the class: both
        ("3973", "封装测试", "sensor.packaging;ic.package"),
        ("", "", ""),
    ],
)
def test_rules(model: NodeInference, industry: str, text: str, nodes: str) -> None:
    got = model.joined(model.infer(pd.Series([industry]), pd.Series([text]))).iat[0]
    assert set(filter(None, got.split(";"))) == set(filter(None, nodes.split(";")))


def test_confirmed_nodes_win_over_a_specific_keyword_of_another(model: NodeInference) -> None:
    # 锂电池 (nev.battery, class 3841) is confirmed; 正极材料 (nev.electrode) is not added
    got = model.joined(model.infer(pd.Series(["3841"]), pd.Series(["锂电池;正极材料"])))
    assert got.tolist() == ["nev.battery"]


def test_vectorised_over_many_firms_keeps_the_index(reference: Reference) -> None:
    codes = pd.Series(["3973", "1311", "3841"] * 1000, index=range(5, 3005))
    texts = pd.Series(["MEMS芯片", "面粉;粮油加工", "其他"] * 1000, index=codes.index)
    got = infer_chain_nodes(reference.chain_nodes, codes, texts)
    assert got.index.equals(codes.index)
    assert got.iloc[:3].tolist() == ["sensor.mems_chip", "food.agri_processing", ""]
    assert (got.iloc[::3] == "sensor.mems_chip").all()


def test_missing_columns_are_named(reference: Reference) -> None:
    with pytest.raises(ValueError, match="missing \\['gbt_classes'\\]"):
        NodeInference(reference.chain_nodes.drop(columns=["gbt_classes"]))
