"""Reason codes from the model's per-feature contributions (``pred_contrib=True``).

Contributions are summed per feature family (chain, text, geo, programme, quality, history,
reciprocity, park); the families that pushed a candidate up most become its reasons, each
filled with concrete values from ``pair_details`` and the feature values, in Chinese and
English. Families that pushed it down are not shown as reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.catalogue import FEATURES

_FAMILY_OF = {f.name: f.family for f in FEATURES}
SILENT_FAMILIES = frozenset({"kind"})
SRDI_ZH = {1: "省级专精特新", 2: "国家级专精特新"}
SRDI_EN = {1: "provincial SRDI ('specialised and innovative')", 2: "national SRDI little giant"}


@dataclass(frozen=True)
class Reason:
    """One reason shown beside a candidate."""

    family: str
    contribution: float
    text_zh: str
    text_en: str


def family_contributions(contrib: np.ndarray, feature_names: Sequence[str]) -> pd.DataFrame:
    """Sum a ``(n, F + 1)`` contribution matrix (last column = bias) per feature family."""
    names = list(feature_names)
    if contrib.shape[1] != len(names) + 1:
        raise ValueError(
            f"contributions must have {len(names) + 1} columns (features + bias), "
            f"got {contrib.shape[1]}"
        )
    fams = np.array([_FAMILY_OF.get(n, "other") for n in names])
    out = {}
    for fam in dict.fromkeys(fams):
        out[fam] = contrib[:, : len(names)][:, fams == fam].sum(axis=1)
    return pd.DataFrame(out)


def _fmt(value: object, default: str = "") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return default
    return str(value)


def _text(family: str, feats: pd.Series, det: pd.Series) -> tuple[str, str]:
    g = det.get
    if family == "chain":
        nodes = _fmt(g("matched_nodes"))
        if feats.get("node_need_match", 0) > 0 and nodes:
            return (f"产业链匹配: 生产{nodes}, 正是所需环节", f"Chain match: makes {nodes}")
        if feats.get("node_direct_upstream", 0) > 0 and nodes:
            return (
                f"上游配套: 生产{nodes}, 为所需环节的直接投入",
                f"Upstream supplier: makes {nodes}, a direct input to what is needed",
            )
        coef = float(feats.get("io_a_forward", 0.0))
        return (
            f"行业投入产出关联: 直接消耗系数 {coef:.3f}",
            f"Input-output link: direct coefficient {coef:.3f}",
        )
    if family == "text":
        kw = _fmt(g("best_keyword"))
        sim = float(feats.get("text_need_products", 0.0))
        if kw:
            return (
                f"产品契合: {kw} (相似度 {sim:.2f})",
                f"Product fit: {kw} (similarity {sim:.2f})",
            )
        return (f"产品文本相似度 {sim:.2f}", f"Product text similarity {sim:.2f}")
    if family == "geo":
        km = float(feats.get("distance_km", np.nan))
        city = _fmt(g("candidate_city"))
        where = f"{city}, " if city else ""
        return (f"距离 {where}{km:.0f} km", f"Distance {where}{km:.0f} km")
    if family == "programme":
        pair = _fmt(g("paired_cities"))
        if feats.get("official_pair", 0) > 0:
            return (f"结对城市: {pair}", f"Official pairing: {pair}")
        if feats.get("cobuilt_partner", 0) > 0:
            return (f"共建园区合作方: {pair}", f"Co-built park partner: {pair}")
        return ("沪苏浙—皖北结对合作范围内", "Within the 沪苏浙–皖北 pairing programme")
    if family == "quality":
        zh: list[str] = []
        en: list[str] = []
        lvl = int(feats.get("cand_srdi_level", 0) or 0)
        if lvl in SRDI_ZH:
            zh.append(SRDI_ZH[lvl])
            en.append(SRDI_EN[lvl])
        if feats.get("cand_high_tech", 0) > 0:
            zh.append("高新技术企业")
            en.append("high-tech enterprise")
        if feats.get("cand_listed", 0) > 0:
            zh.append("上市公司")
            en.append("listed")
        if not zh:
            zh.append("企业规模匹配")
            en.append("size fit")
        return ("企业资质: " + "、".join(zh), "Quality: " + ", ".join(en))
    if family == "history":
        event, day = _fmt(g("last_meeting_event_id")), g("last_meeting_date")
        year = "" if day is None or pd.isna(day) else str(pd.Timestamp(str(day)).year)
        if event or year:
            return (
                f"{year + ' 年' if year else ''}曾对接洽谈 ({event or '会外'})",
                f"Met before{' in ' + year if year else ''} ({event or 'off-event'})",
            )
        conv = float(feats.get("hist_cand_conversion", 0.0))
        return (f"历史对接转化率 {conv:.0%}", f"Past conversion {conv:.0%}")
    if family == "reciprocity":
        return (
            "双向匹配: 对方以往客户多在贵方行业",
            "Two-way fit: its past partners are in your sector",
        )
    if family == "park":
        if feats.get("park_gap_fill", 0) > 0:
            return (
                "补链: 园区所在城市需要而本地缺少的环节",
                "Fills a chain gap of the park's city",
            )
        return ("符合园区主导产业", "Matches the park's leading industries")
    return (family, family)


def reasons_for(
    contrib: np.ndarray,
    feature_names: Sequence[str],
    X: pd.DataFrame,
    details: pd.DataFrame,
    *,
    top: int = 3,
) -> list[list[Reason]]:
    """The top positive families of every row as :class:`Reason` lists, best first."""
    fam = family_contributions(contrib, feature_names)
    fam = fam.drop(columns=[c for c in fam.columns if c in SILENT_FAMILIES])
    values = fam.to_numpy()
    order = np.argsort(-values, axis=1, kind="stable")[:, :top]
    cols = list(fam.columns)
    result: list[list[Reason]] = []
    for i in range(len(fam)):  # top-k rows only (k ≤ a few hundred), after ranking
        row: list[Reason] = []
        feats, det = X.iloc[i], details.iloc[i] if len(details) else pd.Series(dtype=object)
        for j in order[i]:
            if values[i, j] <= 0:
                break
            zh, en = _text(cols[j], feats, det)
            row.append(Reason(cols[j], float(values[i, j]), zh, en))
        result.append(row)
    return result
