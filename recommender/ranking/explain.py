"""Reason codes from the model's per-feature contributions (path attribution,
:mod:`recommender.ranking.paths`).

Contributions are summed per feature family (chain, text, geo, programme, quality, history,
reciprocity, park); the families that pushed a candidate up most become its reasons, each
filled with concrete values in Chinese and English: the chain nodes that match, the product
closest to the need, the two cities and their distance, the official pairing, the year and
city of an earlier meeting. Families that pushed a candidate down are not shown as reasons,
and the ``kind`` indicator columns never are.

Only the top k of a list is explained, so the per-row work here is small; the values are
gathered from the feature context's arrays (no DataFrame per row).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.catalogue import FEATURES
from features.context import FeatureContext
from features.entities import text_col
from features.pairs import matched_node_names, node_names
from recommender.ranking.models import ServingModel
from recommender.ranking.paths import TreePaths

_FAMILY_OF = {f.name: f.family for f in FEATURES}
SILENT_FAMILIES = frozenset({"kind"})
SRDI_ZH = {1: "省级专精特新", 2: "国家级专精特新“小巨人”"}
SRDI_EN = {1: "provincial SRDI ('specialised and innovative')", 2: "national SRDI little giant"}
_ITEM_SPLIT = r"[;；,，、|/]"
_ITEM_CACHE = 65_536  # product items whose weights are kept (a few MB)


class FirmTexts:
    """One text column of the firm frame, read a few rows at a time without copying it.

    Copying the name/products columns out as Python strings would cost ~400 MB per process
    at 1M firms; a request needs only its k rows.
    """

    def __init__(self, column: pd.Series) -> None:
        self._values = column.array

    def take(self, rows: npt.NDArray[np.int64]) -> list[str]:
        """The texts of ``rows`` ("" where missing)."""
        return [v if isinstance(v, str) else "" for v in self._values.take(rows)]


@dataclass(frozen=True)
class Reason:
    """One reason shown beside a candidate."""

    family: str
    contribution: float
    text_zh: str
    text_en: str


def family_matrix(feature_names: Sequence[str]) -> tuple[list[str], npt.NDArray[np.float64]]:
    """The families shown as reasons (catalogue order of first appearance, ``kind`` left
    out) and the ``(F + 1, n_families)`` 0/1 matrix summing features into them (the last
    row, the bias, counts for none)."""
    fams = [_FAMILY_OF.get(n, "other") for n in feature_names]
    families = [f for f in dict.fromkeys(fams) if f not in SILENT_FAMILIES]
    onehot = np.zeros((len(fams) + 1, len(families)))
    for j, f in enumerate(fams):
        if f in families:
            onehot[j, families.index(f)] = 1.0
    return families, onehot


@dataclass(frozen=True)
class _Row:
    """What the text of one candidate's reasons needs."""

    kind: str
    feats: Mapping[str, float]
    nodes: str
    keyword: str
    query_city: str
    cand_city: str
    paired: str
    meeting_year: int | None
    meeting_city: str
    park_industries: str
    query_city_en: str = ""
    cand_city_en: str = ""
    paired_en: str = ""
    meeting_city_en: str = ""


def _num(feats: Mapping[str, float], name: str) -> float:
    v = feats.get(name, 0.0)
    return 0.0 if v is None or np.isnan(v) else float(v)


# who is who in a reason, per query kind: (the query side, the candidate), Chinese and English
_WHO_ZH = {
    "investor": ("园区", "该企业"),
    "supplier": ("这家龙头企业", "该企业"),
    "customer": ("本企业", "该龙头企业"),
}
_WHO_EN = {
    "investor": ("the park", "this firm"),
    "supplier": ("the leading firm", "this firm"),
    "customer": ("your firm", "this leading firm"),
}


def _chain_text(row: _Row) -> tuple[str, str]:
    f, nodes, kind = row.feats, row.nodes, row.kind
    q, c = _WHO_ZH.get(kind, _WHO_ZH["supplier"])
    q_en = _WHO_EN.get(kind, _WHO_EN["supplier"])[0]
    if _num(f, "node_need_match") > 0 and nodes:
        if kind == "customer":
            return (
                f"产业链对口：该龙头企业需要{nodes}，正是本企业生产的",
                f"Chain fit: this leading firm needs {nodes}, which your firm makes",
            )
        want = "要引进的环节" if kind == "investor" else "需要的配套"
        return (
            f"产业链对口：该企业生产{nodes}，正是{q}{want}",
            f"Chain fit: this firm makes {nodes}, what {q_en} is looking for",
        )
    if _num(f, "node_direct_upstream") > 0 and nodes:
        if kind == "customer":
            return (
                f"上游供货：该龙头企业直接用本企业生产的{nodes}做原料或部件",
                f"Supplies it: this leading firm uses the {nodes} your firm makes as an input",
            )
        return (
            f"上游供货：该企业生产{nodes}，是{q}产品直接用到的原料或部件",
            f"Upstream supplier: this firm makes {nodes}, a direct input of {q_en}",
        )
    yuan = 100 * _num(f, "io_a_forward")
    buyer = "园区主导产业" if kind == "investor" else f"{q if kind != 'customer' else c}所在行业"
    seller = "本企业所在行业" if kind == "customer" else "该企业所在行业"
    buyer_en = "the park's leading industries" if kind == "investor" else "the buyer's sector"
    return (
        f"行业上下游：按全国投入产出表，{buyer}每产出 100 元，"
        f"要直接买约 {yuan:.1f} 元{seller}的产品",
        f"Sector link: per 100 yuan of output, {buyer_en} buys about {yuan:.1f} yuan "
        "from this sector (national input-output table)",
    )


def _programme_text(row: _Row) -> tuple[str, str]:
    f = row.feats
    if _num(f, "official_pair") > 0 and row.query_city and row.cand_city:
        return (
            f"官方结对：{row.cand_city}和{row.query_city}是沪苏浙—皖北结对合作城市",
            f"Official pairing: {row.cand_city_en or row.cand_city} and "
            f"{row.query_city_en or row.query_city} are paired cities",
        )
    if _num(f, "official_pair") > 0 and row.paired:
        return (f"官方结对：{row.paired} 是结对合作城市", f"Official pairing: {row.paired_en}")
    if _num(f, "county_pair") > 0:
        return ("区县结对：双方所在区县是结对合作区县", "Paired counties")
    if _num(f, "cobuilt_partner") > 0:
        return (
            f"共建园区：{row.cand_city}是和{row.query_city}共建这个园区的城市",
            f"Co-built park: {row.cand_city_en} co-builds this park with {row.query_city_en}",
        )
    return ("在沪苏浙—皖北结对合作范围内", "Within the 沪苏浙–皖北 pairing programme")


def _quality_text(row: _Row) -> tuple[str, str]:
    f = row.feats
    zh: list[str] = []
    en: list[str] = []
    lvl = int(_num(f, "cand_srdi_level"))
    if lvl in SRDI_ZH:
        zh.append(SRDI_ZH[lvl])
        en.append(SRDI_EN[lvl])
    if _num(f, "cand_high_tech") > 0:
        zh.append("高新技术企业")
        en.append("high-tech enterprise")
    if _num(f, "cand_listed") > 0:
        zh.append("上市公司")
        en.append("listed")
    c = _WHO_ZH.get(row.kind, _WHO_ZH["supplier"])[1]
    if not zh:
        emp = np.expm1(_num(f, "cand_log_employees"))
        return (f"企业规模：{c}约 {emp:.0f} 人参保", f"Size: about {emp:.0f} insured staff")
    return (f"企业实力：{c}是" + "、".join(zh), "Strength: " + ", ".join(en))


def _history_text(row: _Row) -> tuple[str, str]:
    c = _WHO_ZH.get(row.kind, _WHO_ZH["supplier"])[1]
    if row.meeting_year is not None:
        en_where = f" in {row.meeting_city_en}" if row.meeting_city_en else ""
        return (
            f"见过面：双方在 {row.meeting_year} 年{row.meeting_city}的对接会上谈过",
            f"Met before: at a matchmaking event{en_where} in {row.meeting_year}",
        )
    conv = _num(row.feats, "hist_cand_conversion")
    return (
        f"对接记录好：{c}以往被推荐的对接中，约 {conv:.0%} 谈到了见面或更进一步",
        f"Good record: about {conv:.0%} of this firm's past matches reached a meeting or more",
    )


def _reciprocity_text(row: _Row) -> tuple[str, str] | None:
    f = row.feats
    q, c = _WHO_ZH.get(row.kind, _WHO_ZH["supplier"])
    share = _num(f, "recip_cand_serves_sector")
    if share > 0:
        return (
            f"对方常做这一行：{c}以往的合作伙伴中 {share:.0%} 和{q}同属一个行业",
            f"Serves your sector: {share:.0%} of this firm's past partners are in it",
        )
    seeks = _num(f, "recip_query_seeks_sector")
    if seeks > 0:
        return (
            f"合作惯例：{q}以往的合作伙伴中 {seeks:.0%} 和{c}同属一个行业",
            f"Your habit: {seeks:.0%} of your past partners are in this firm's sector",
        )
    return None


def _text_text(row: _Row) -> tuple[str, str]:
    q, c = _WHO_ZH.get(row.kind, _WHO_ZH["supplier"])
    # the provider's product against the demander's need: for ``customer`` the query firm
    # provides and the leading firm (the candidate) demands
    maker, buyer = (q, c) if row.kind == "customer" else ("该企业", q)
    if row.keyword:
        return (
            f"产品对得上：{maker}的“{row.keyword}”和{buyer}的需求描述最接近",
            f"Product fit: “{row.keyword}” is closest to what is asked for",
        )
    return (
        f"产品对得上：{maker}的主营产品和{buyer}的需求描述相近",
        "Product fit: close to the need",
    )


def _geo_text(row: _Row) -> tuple[str, str] | None:
    km = row.feats.get("distance_km", np.nan)
    if km is None or np.isnan(km):
        return None
    if row.query_city and row.cand_city:
        return (
            f"路程：{row.cand_city}到{row.query_city}直线约 {km:.0f} 公里",
            f"Distance: {row.cand_city_en}–{row.query_city_en} about {km:.0f} km",
        )
    return (f"路程：直线约 {km:.0f} 公里", f"Distance: about {km:.0f} km")


def _park_text(row: _Row) -> tuple[str, str]:
    if _num(row.feats, "park_gap_fill") > 0:
        return (
            "补链：该企业所在环节是园区所在城市企业需要、本地还没人做的",
            "Fills a gap: it makes what the park's city needs and nobody there makes",
        )
    listed = re.sub(_ITEM_SPLIT, "、", row.park_industries)
    ind = f"（{listed}）" if listed else ""
    ind_en = f" ({row.park_industries})" if row.park_industries else ""
    return (f"对口园区主导产业{ind}", f"Matches the park's leading industries{ind_en}")


_TEXTS: dict[str, Callable[[_Row], tuple[str, str] | None]] = {
    "chain": _chain_text,
    "text": _text_text,
    "geo": _geo_text,
    "programme": _programme_text,
    "quality": _quality_text,
    "history": _history_text,
    "reciprocity": _reciprocity_text,
    "park": _park_text,
}


def reason_text(family: str, row: _Row) -> tuple[str, str] | None:
    """The (Chinese, English) text of one family's reason for one candidate.

    Plain words an officer would say aloud, with units and whose figure each number is.
    None when the family has nothing concrete to say for this pair (the reason is skipped).
    """
    text = _TEXTS.get(family)
    return None if text is None else text(row)


def _tf(count: int, sublinear: bool) -> float:
    return 1.0 + float(np.log(count)) if sublinear else float(count)


class Explainer:
    """Turns contributions of the top k into reasons, with values from the feature context."""

    def __init__(self, ctx: FeatureContext, *, products: FirmTexts | None = None) -> None:
        self.ctx = ctx
        cities = ctx.reference.cities.reset_index(drop=True)
        self._short = np.append(text_col(cities["short_name"]).to_numpy(dtype=object), "")
        self._en = np.append(text_col(cities["name_en"]).to_numpy(dtype=object), "")
        self._products = products if products is not None else FirmTexts(ctx.firms["products"])
        self._park_industries = text_col(ctx.parks["leading_industries"]).to_numpy(dtype=object)
        self._node_names = node_names(ctx)
        self._grouped: tuple[TreePaths, list[str], TreePaths] | None = None
        # one product item's TF-IDF weights, by its text: items repeat across firms
        self._item_weights = lru_cache(maxsize=_ITEM_CACHE)(self._weigh_item)
        self._analyze = ctx.text_model.vectorizer_.build_analyzer()

    def _family_values(
        self, model: ServingModel, X: npt.NDArray[np.float32]
    ) -> tuple[list[str], npt.NDArray[np.float64]]:
        """The families and the ``(n, n_families)`` contributions of ``X``'s rows, from the
        model's path table summed per family once per loaded model."""
        cached = self._grouped
        if cached is None or cached[0] is not model.paths:
            families, onehot = family_matrix(model.feature_names)
            cached = (model.paths, families, model.paths.grouped(onehot))
            self._grouped = cached
        return cached[1], cached[2].contributions(model.booster, X)

    def reasons(
        self,
        *,
        kind: str,
        query: int,
        candidates: npt.NDArray[np.int64],
        X: npt.NDArray[np.float32],
        model: ServingModel,
        meeting_years: Sequence[int | None],
        meeting_cities: Sequence[int],
        boosts: npt.NDArray[np.float64] | None = None,
        top: int = 3,
    ) -> list[list[Reason]]:
        """The top positive families of every candidate as :class:`Reason` lists, best first.

        ``boosts`` (the business rules' pairing boosts per candidate) count towards the
        ``programme`` family, since they moved the candidate up for the same reason.
        """
        families, values = self._family_values(model, X)
        if boosts is not None and "programme" in families:
            values[:, families.index("programme")] += boosts
        order = np.argsort(-values, axis=1, kind="stable")[:, : top + 1]
        ranked = np.take_along_axis(values, order, axis=1)
        text_col_ = families.index("text") if "text" in families else -1
        want_text = ((order == text_col_) & (ranked > 0)).any(axis=1)
        ctx = self.ctx
        q = np.full(len(candidates), query, dtype=np.int64)
        prov, dem = (q, candidates) if kind == "customer" else (candidates, q)
        keywords = self._keywords(prov, dem, want_text)
        nodes = matched_node_names(ctx, prov, dem, names=self._node_names)
        cq = int(ctx.city[query])
        qcity, qcity_en = str(self._short[cq]), str(self._en[cq])
        helping_q = cq >= 0 and bool(ctx.city_helping[cq])
        park_ind = str(self._park_industries[query - ctx.n_firms]) if query >= ctx.n_firms else ""
        cities = ctx.city[candidates].tolist()
        rows = X.astype(np.float64).tolist()
        names = model.feature_names
        result: list[list[Reason]] = []
        for i, (ccity_i, fams_i, vals_i) in enumerate(
            zip(cities, order.tolist(), ranked.tolist(), strict=True)
        ):
            ccity, ccity_en = str(self._short[ccity_i]), str(self._en[ccity_i])
            row = _Row(
                kind=kind,
                feats=dict(zip(names, rows[i], strict=True)),
                nodes=str(nodes[i]),
                keyword=keywords[i],
                query_city=qcity,
                cand_city=ccity,
                paired=f"{qcity}→{ccity}" if helping_q else f"{ccity}→{qcity}",
                query_city_en=qcity_en,
                cand_city_en=ccity_en,
                paired_en=f"{qcity_en}→{ccity_en}" if helping_q else f"{ccity_en}→{qcity_en}",
                meeting_year=meeting_years[i],
                meeting_city=str(self._short[meeting_cities[i]]),
                meeting_city_en=str(self._en[meeting_cities[i]]),
                park_industries=park_ind,
            )
            reasons: list[Reason] = []
            for j, v in zip(fams_i, vals_i, strict=True):
                if v <= 0 or len(reasons) == top:
                    break
                text = reason_text(families[j], row)
                if text is not None:
                    reasons.append(Reason(families[j], v, *text))
            result.append(reasons)
        return result

    def _weigh_item(self, item: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """One product item vectorised like the text model does (character n-grams,
        sublinear tf, idf, L2 norm) in plain Python: a call into scikit-learn for a handful
        of short items would cost more than the whole ranking."""
        model = self.ctx.text_model
        vec = model.vectorizer_
        vocab: dict[str, int] = vec.vocabulary_
        keep = model.keep_
        tf: dict[int, int] = {}
        for g in self._analyze(item):
            j = vocab.get(g)
            if j is not None and keep[j]:
                tf[j] = tf.get(j, 0) + 1
        sublinear = bool(model.sublinear_tf)  # weigh items as the fitted model does
        w = {j: _tf(c, sublinear) * float(vec.idf_[j]) for j, c in tf.items()}
        norm = float(np.sqrt(sum(v * v for v in w.values())))
        if norm == 0:
            return (), ()
        return tuple(w), tuple(v / norm for v in w.values())

    def _keywords(
        self, prov: npt.NDArray[np.int64], dem: npt.NDArray[np.int64], want: npt.NDArray[np.bool_]
    ) -> list[str]:
        """The provider's product item closest to the demander's need text ("" if none)."""
        out = [""] * len(prov)
        if not want.any():
            return out
        ctx = self.ctx
        needs: dict[int, dict[int, float]] = {}
        wanted = np.flatnonzero(want)
        texts = dict(zip(wanted.tolist(), self._products.take(prov[wanted]), strict=True))
        for i in wanted.tolist():
            nr = int(ctx.need_row[dem[i]])
            if nr < 0:
                continue
            if nr not in needs:
                row = ctx.need_matrix[nr]
                needs[nr] = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
            need = needs[nr]
            best, best_sim = "", 0.0
            for raw in re.split(_ITEM_SPLIT, texts[i]):
                item = raw.strip()
                if not item:
                    continue
                cols, weights = self._item_weights(item)
                sim = sum(w * need.get(j, 0.0) for j, w in zip(cols, weights, strict=True))
                if sim > best_sim:
                    best, best_sim = item, sim
            out[i] = best
        return out
