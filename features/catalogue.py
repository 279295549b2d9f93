"""The feature catalogue: every pair feature, its family, meaning and as-of rule, declared once.

Pair features are computed for a *provider* (the side that would sell or invest) and a
*demander* (the side that needs something): for ``supplier`` and ``investor`` queries the
candidate provides and the query demands; for ``customer`` queries the query (a supporting
firm) provides and the candidate (a leading firm) demands. So one model reads every kind the
same way, and the ``kind_*`` columns tell it which kind it is looking at.
"""

from __future__ import annotations

from dataclasses import dataclass

FEATURE_SET_VERSION = "fs-2025.2"

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
]

FEATURE_NAMES: list[str] = [f.name for f in FEATURES]
FAMILIES: list[str] = list(dict.fromkeys(f.family for f in FEATURES))
NODE_PATH_CAP = 4
