"""The feature catalogue: every pair feature, its family, meaning and as-of rule, declared once.

Pair features are computed for a *provider* (the side that would sell or invest) and a
*demander* (the side that needs something): for ``supplier`` and ``investor`` queries the
candidate provides and the query demands; for ``customer`` queries the query (a supporting
firm) provides and the candidate (a leading firm) demands. So one model reads every kind the
same way, and the ``kind_*`` columns tell it which kind it is looking at.
"""

from __future__ import annotations

from dataclasses import dataclass

FEATURE_SET_VERSION = "fs-2026.1"

STATIC = "static (entity and reference attributes)"
ASOF_AGE = "as-of year minus founding year"
ASOF_HISTORY = "outcomes dated strictly before as-of"


@dataclass(frozen=True)
class FeatureSpec:
    """One entry of the catalogue."""

    name: str
    family: str
    meaning_zh: str
    meaning_en: str
    as_of_rule: str


def _f(name: str, family: str, zh: str, en: str, rule: str = STATIC) -> FeatureSpec:
    return FeatureSpec(name, family, zh, en, rule)


FEATURES: list[FeatureSpec] = [
    # kind
    _f("kind_supplier", "kind", "查询类型: 龙头找配套", "query kind is supplier (1/0)"),
    _f("kind_investor", "kind", "查询类型: 园区招商", "query kind is investor (1/0)"),
    _f("kind_customer", "kind", "查询类型: 配套找客户", "query kind is customer (1/0)"),
    # chain
    _f(
        "io_a_forward",
        "chain",
        "投入产出直接消耗系数 (供给方行业→需求方行业)",
        "IO direct coefficient A[provider sector, demander sector]",
    ),
    _f(
        "io_a_backward",
        "chain",
        "投入产出直接消耗系数 (需求方行业→供给方行业)",
        "IO direct coefficient A[demander sector, provider sector]",
    ),
    _f(
        "io_l_forward",
        "chain",
        "列昂惕夫逆系数 (供给方→需求方)",
        "Leontief inverse L[provider sector, demander sector]",
    ),
    _f(
        "io_l_backward",
        "chain",
        "列昂惕夫逆系数 (需求方→供给方)",
        "Leontief inverse L[demander sector, provider sector]",
    ),
    _f("same_sector", "chain", "同一投入产出部门", "both in the same IO sector (1/0)"),
    _f(
        "node_need_match",
        "chain",
        "供给方产品链节点正是需求方所需节点",
        "provider makes a chain node the demander needs (1/0)",
    ),
    _f(
        "node_direct_upstream",
        "chain",
        "供给方节点是需求方所需节点的直接上游",
        "provider makes a direct upstream supplier node of a needed node (1/0)",
    ),
    _f(
        "node_path_dist",
        "chain",
        "产业链图中供给方节点到所需节点的最短路径 (封顶)",
        "shortest chain-graph path from a provider node to a needed node (0 = the node itself, "
        "capped; cap + 1 = unreachable)",
    ),
    _f(
        "need_coverage",
        "chain",
        "供给方节点覆盖需求方所需节点的比例",
        "share of the demander's needed nodes that the provider makes",
    ),
    # text
    _f(
        "text_need_products",
        "text",
        "需求文本与供给方主营产品的文本相似度",
        "TF-IDF cosine between the demander's needs/inputs text and the provider's products",
    ),
    _f(
        "text_products",
        "text",
        "双方主营产品 (园区为主导产业) 文本相似度",
        "TF-IDF cosine between both sides' products (a park: its leading industries)",
    ),
    # geo
    _f("distance_km", "geo", "两地城市间大圆距离 (公里)", "great-circle km between the two cities"),
    _f("same_province", "geo", "同省", "both cities in the same province (1/0)"),
    _f(
        "travel_hours",
        "geo",
        "出行时间估计 (小时)",
        "travel-time proxy: km / 80, plus 0.5 h across provinces",
    ),
    # programme
    _f(
        "official_pair",
        "programme",
        "两市为官方结对城市",
        "the two cities are an official pairing (partner_code)",
    ),
    _f(
        "county_pair",
        "programme",
        "两区县为结对区县",
        "the two districts/counties are a county pairing",
    ),
    _f(
        "cobuilt_partner",
        "programme",
        "一方城市是另一方城市共建园区的合作方",
        "one city is the partner of a co-built park in the other city",
    ),
    _f(
        "cross_programme",
        "programme",
        "一方属沪苏浙帮扶方、另一方属皖北",
        "one side is a helping (沪苏浙) city and the other a Wanbei city (1/0)",
    ),
    # size and quality
    _f(
        "size_log_ratio",
        "quality",
        "规模比 (候选/查询 员工数对数差)",
        "log1p(candidate employees) - log1p(query employees); NaN for parks",
    ),
    _f(
        "buyer_supplier_log_revenue",
        "quality",
        "需求方与供给方营收规模差 (对数)",
        "log1p(demander revenue) - log1p(provider revenue); buyers usually outsize suppliers",
    ),
    _f("cand_log_employees", "quality", "候选企业员工数 (对数)", "log1p(candidate employees)"),
    _f(
        "cand_log_revenue",
        "quality",
        "候选企业营收 (对数, 万元)",
        "log1p(candidate revenue, 10k CNY)",
    ),
    _f(
        "cand_srdi_level",
        "quality",
        "候选企业专精特新等级 (0/1/2)",
        "candidate 专精特新 level: 0 none, 1 province, 2 national",
    ),
    _f("cand_high_tech", "quality", "候选企业为高新技术企业", "candidate is 高新技术企业 (1/0)"),
    _f("cand_listed", "quality", "候选企业为上市公司", "candidate is listed (1/0)"),
    _f("cand_is_leading", "quality", "候选企业为龙头企业", "candidate is a leading firm (1/0)"),
    _f(
        "cand_age_years",
        "quality",
        "候选企业成立年限",
        "candidate age in years at the as-of date",
        ASOF_AGE,
    ),
    # history
    _f(
        "hist_pair_records",
        "history",
        "双方此前的对接记录数",
        "outcome records between the two (either direction) before as-of",
        ASOF_HISTORY,
    ),
    _f(
        "hist_pair_best_grade",
        "history",
        "双方此前达到的最高阶段 (0-4)",
        "best grade reached between the two before as-of",
        ASOF_HISTORY,
    ),
    _f(
        "hist_cand_records",
        "history",
        "候选方此前作为候选的记录数",
        "records with the candidate as candidate before as-of",
        ASOF_HISTORY,
    ),
    _f(
        "hist_cand_conversion",
        "history",
        "候选方历史转化率 (Beta 先验平滑)",
        "candidate's smoothed past share of records at meeting or beyond",
        ASOF_HISTORY,
    ),
    _f(
        "hist_cand_grade_rate",
        "history",
        "候选方此前每个对接对平均达到的最高阶段 (先验平滑)",
        "candidate's smoothed mean best grade per earlier pair (each pair once)",
        ASOF_HISTORY,
    ),
    _f(
        "hist_query_conversion",
        "history",
        "查询方历史转化率 (Beta 先验平滑)",
        "query's smoothed past share of records at meeting or beyond",
        ASOF_HISTORY,
    ),
    _f(
        "hist_city_pair_conversion",
        "history",
        "两市之间历史转化率 (Beta 先验平滑)",
        "smoothed past conversion between the two cities",
        ASOF_HISTORY,
    ),
    # reciprocity
    _f(
        "recip_cand_serves_sector",
        "reciprocity",
        "候选方以往客户中查询方行业的占比",
        "share of the candidate's past positive partners in the query's IO sector",
        ASOF_HISTORY,
    ),
    _f(
        "recip_query_seeks_sector",
        "reciprocity",
        "查询方以往合作对象中候选方行业的占比",
        "share of the query's past positive partners in the candidate's IO sector",
        ASOF_HISTORY,
    ),
    # park fit
    _f(
        "park_division_match",
        "park",
        "候选行业属于园区主导产业门类",
        "investor: candidate GB/T division is among the park's divisions (1/0)",
    ),
    _f(
        "park_node_match",
        "park",
        "候选企业节点属于园区目标链节点",
        "investor: candidate makes a chain node the park lists (1/0)",
    ),
    _f(
        "park_gap_fill",
        "park",
        "补链: 候选企业生产园区所在城市企业需要而本地无人生产的节点",
        "investor: candidate makes a node that firms in the park's city need and none there make",
    ),
    # asks and preferences
    _f(
        "ask_capability_share",
        "asks",
        "需求写明要求具备的能力中, 供给方产品写明具备的比例",
        "share of the capabilities the demander's needs require that the provider's products name",
    ),
    _f(
        "ask_capability_missing",
        "asks",
        "需求要求而供给方未写明的能力数",
        "capabilities the demander requires that the provider's products do not name",
    ),
    _f(
        "ask_srdi",
        "asks",
        "需求写明优先专精特新: 供给方是(+1)/不是(-1), 未提(0)",
        "needs ask for 专精特新 firms: provider is (+1) / is not (-1); no such ask (0)",
    ),
    _f(
        "ask_wanbei",
        "asks",
        "需求写明优先皖北/就近: 供给方在皖北(+1)/不在(-1), 未提(0)",
        "needs ask for capacity in Wanbei / nearby: provider is there (+1) / is not (-1)",
    ),
    _f(
        "pref_partners",
        "asks",
        "需求方此前达成洽谈及以上的合作对象记录数",
        "demander's earlier records with partners at meeting or beyond",
        ASOF_HISTORY,
    ),
    _f(
        "pref_srdi_fit",
        "asks",
        "需求方以往合作对象中与供给方同为(或同不为)专精特新的比例",
        "share of the demander's past partners that match the provider on 专精特新",
        ASOF_HISTORY,
    ),
    _f(
        "pref_wanbei_fit",
        "asks",
        "需求方以往合作对象中与供给方同在(或同不在)皖北的比例",
        "share of the demander's past partners that match the provider on being in Wanbei",
        ASOF_HISTORY,
    ),
    _f(
        "pref_size_gap",
        "asks",
        "供给方营收对数减需求方以往合作对象营收对数均值",
        "provider log revenue minus the mean log revenue of the demander's past partners",
        ASOF_HISTORY,
    ),
    _f(
        "recip_provider_decline_rate",
        "reciprocity",
        "供给方以往被联系后婉拒的比例 (Beta 先验平滑)",
        "provider's smoothed rate of declining when contacted before",
        ASOF_HISTORY,
    ),
    _f("provider_wanbei", "asks", "供给方位于皖北", "provider is in a Wanbei city (1/0)"),
    _f(
        "demander_log_revenue",
        "asks",
        "需求方营收 (对数, 万元; 园区为空)",
        "demander log revenue (10,000 CNY; parks: unknown)",
    ),
]

FEATURE_NAMES: list[str] = [f.name for f in FEATURES]

# Directions the utility of a match moves in whatever the data (+1 never hurts, -1 never
# helps): a closer chain match, a stated need met, an official pairing, a nearer firm, a
# better past record. Models may use them as monotone constraints; every other feature
# (sizes, ages, counts, texts' shape) is left free, since real data bends those both ways.
MONOTONE: dict[str, int] = {
    "node_need_match": 1,
    "node_direct_upstream": 1,
    "need_coverage": 1,
    "text_need_products": 1,
    "text_products": 1,
    "official_pair": 1,
    "county_pair": 1,
    "cobuilt_partner": 1,
    "hist_pair_best_grade": 1,
    "hist_cand_conversion": 1,
    "hist_cand_grade_rate": 1,
    "cand_srdi_level": 1,
    "cand_high_tech": 1,
    "ask_capability_share": 1,
    "ask_srdi": 1,
    "ask_wanbei": 1,
    "park_division_match": 1,
    "park_node_match": 1,
    "park_gap_fill": 1,
    "io_a_forward": 1,
    "distance_km": -1,
    "travel_hours": -1,
    "node_path_dist": -1,
    "ask_capability_missing": -1,
    "recip_provider_decline_rate": -1,
}
FAMILIES: list[str] = list(dict.fromkeys(f.family for f in FEATURES))
NODE_PATH_CAP = 4
