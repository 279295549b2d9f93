"""Synthetic enterprises over the real cities, chains and industries of the reference data.

Every step is a numpy expression over all firms; the only Python loops run over reference
rows (cities, chain nodes, industry classes), never over firms.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.reference import Reference
from features.schema import split_multi
from training.world.uscc import make_usccs

CHAIN_SHARE = 0.70  # share of firms assigned to a chain node
LEADING_SHARE = 0.02
HIGH_TECH_SHARE = 0.15
SRDI_PROVINCE_SHARE = 0.05
SRDI_NATIONAL_SHARE = 0.01
LISTED_SHARE = 0.005
GOODS_SECTORS = 22  # IO sectors 01-22: agriculture, mining, manufacturing

MARKERS = np.array(["示例", "模拟"])
BRAND_CHARS = np.array(
    list(
        "芯联华创瑞晟达泰恒盛宏新科安捷远拓博辰鼎嘉睿智航卓越峰源川信诚立德润丰汇通宇翔光亿凯"
        "锐启明朗星辉蓝海天正和合顺祥益众力精微恒固元亨利贞云帆驰骏鑫磊森淼晶"
    )
)
# (substring of a node, chain or industry name, name suffix); first match wins
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("传感", "传感科技"), ("封装", "微电子"), ("芯片", "微电子"), ("晶圆", "半导体"),
    ("半导体", "半导体"), ("集成电路", "微电子"), ("电池", "新能源"), ("锂", "锂能科技"),
    ("电机", "电驱科技"), ("整车", "汽车"), ("汽车", "汽车部件"), ("光伏", "光能科技"),
    ("玻璃", "玻璃"), ("硅", "硅材料"), ("石英", "石英材料"), ("材料", "新材料"),
    ("化学", "化工"), ("化工", "化工"), ("中药", "中药"), ("药", "医药科技"),
    ("医疗", "医疗器械"), ("生物", "生物科技"), ("机器人", "机器人"), ("装备", "智能装备"),
    ("机械", "机械"), ("设备", "装备科技"), ("食品", "食品"), ("农", "农业科技"),
    ("纺织", "纺织"), ("服装", "服饰"), ("家", "电器"), ("电子", "电子科技"),
    ("金属", "金属制品"), ("塑料", "塑胶"), ("橡胶", "橡胶"), ("钢", "钢业"), ("铝", "铝业"),
)  # fmt: skip


def suffix_for(*names: str) -> str:
    """The firm-name suffix typical of a node, chain or industry name ("科技" if none fits)."""
    for name in names:
        for key, suffix in _SUFFIXES:
            if key in name:
                return suffix
    return "科技"


def city_weights(cities: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Relative number of firms per reference city (row order of ``cities``).

    The big helping-side cities weigh most (上海 districts, 苏州, 杭州, 南京, 宁波), other
    Jiangsu/Zhejiang cities some, Wanbei cities fewer but present, other Anhui cities a few.
    """
    short = cities["short_name"].astype(str).to_numpy()
    code = cities["city_code"].astype(str).to_numpy()
    role = cities["role"].astype(str).to_numpy()
    prov = np.array([c[:2] for c in code])
    w = np.zeros(len(cities))
    w[np.isin(prov, ["32", "33"])] = 3.5
    w[prov == "31"] = 2.0
    w[prov == "34"] = 1.5
    w[role == "wanbei"] = 2.0
    big = {"苏州": 12.0, "杭州": 12.0, "南京": 9.0, "宁波": 9.0, "合肥": 4.0}
    for i, s in enumerate(short):
        if s in big and prov[i] in ("32", "33", "34") and role[i] != "wanbei":
            w[i] = big[s]
    w[np.isin(code, ["310112", "310117", "310120", "310115"])] += 1.5  # paired districts, 浦东
    return w


def _csr(values: list[list[str]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.str_]]:
    """Offsets and flat values of a list of lists (every list non-empty)."""
    lengths = np.array([len(v) for v in values], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.array([x for v in values for x in v], dtype=str)
    return offsets, flat


def _pick(
    offsets: npt.NDArray[np.int64],
    flat: npt.NDArray[np.str_],
    rows: npt.NDArray[np.int64],
    rng: np.random.Generator,
) -> npt.NDArray[np.str_]:
    """One random element of list ``rows[i]`` for every i."""
    length = offsets[rows + 1] - offsets[rows]
    return flat[offsets[rows] + (rng.random(len(rows)) * length).astype(np.int64)]


def _top_share(score: npt.NDArray[np.float64], share: float) -> npt.NDArray[np.bool_]:
    """True for the ``share`` of rows with the highest score (exact count, ties by position)."""
    k = round(share * len(score))
    out = np.zeros(len(score), np.bool_)
    if k > 0:
        out[np.argpartition(-score, k - 1)[:k]] = True
    return out


def _manufacturing_classes(reference: Reference) -> pd.DataFrame:
    """4-digit manufacturing classes with their IO sector and a draw weight (sector output)."""
    ind = reference.industries
    cls = ind[(ind["level"].astype(int) == 4) & (ind["section"].astype(str) == "C")]
    codes = cls["code"].astype(str).reset_index(drop=True)
    sector = reference.sector_of(codes)
    names = cls["name"].astype(str).to_numpy()
    out = pd.DataFrame({"code": codes, "name": names, "sector": sector})
    out = out[out["sector"] >= 0].reset_index(drop=True)
    output = _sector_output(reference)
    per_sector = out.groupby("sector")["code"].transform("size").to_numpy()
    out["weight"] = output[out["sector"].to_numpy()] / per_sector
    return out


def _sector_output(reference: Reference) -> npt.NDArray[np.float64]:
    """Total output per IO sector if the reference carries it (``io_flows.GO``), else ones."""
    n = reference.io_A.shape[0]
    flows = getattr(reference, "io_flows", None)
    if isinstance(flows, pd.DataFrame) and "GO" in flows.columns and len(flows) == n:
        go = flows["GO"].to_numpy(dtype=float)
        return np.where(go > 0, go, 0.0)
    return np.ones(n)


def _supplier_sector_names(reference: Reference, k: int = 2) -> list[str]:
    """Per IO sector, the ``;``-joined names of its ``k`` biggest other goods suppliers."""
    A = np.asarray(reference.io_A, float).copy()
    np.fill_diagonal(A, 0.0)
    A[GOODS_SECTORS:, :] = 0.0  # inputs text names goods, not services
    names = reference.io_sectors["name"].astype(str).to_numpy()
    top = np.argsort(-A, axis=0, kind="stable")[:k]  # rows: suppliers of column j
    return [";".join(names[top[:, j]]) for j in range(A.shape[1])]


def generate_firms(
    reference: Reference, n_firms: int, rng: np.random.Generator, *, end_year: int
) -> tuple[pd.DataFrame, npt.NDArray[np.float64]]:
    """Draw ``n_firms`` enterprises in the import-file layout (``city`` = Chinese name).

    Parameters
    ----------
    reference : reference data (cities, industries, chains, IO table).
    n_firms : number of firms, >= 1.
    rng : the source of randomness.
    end_year : last year of the data window; no firm is founded after it.

    Returns
    -------
    enterprises : DataFrame
        Columns uscc, name, city, district, industry_code, products, inputs, chain_nodes,
        employees, revenue_wan, founded, is_leading, srdi_level, is_high_tech, listed.
    hidden : ndarray of float
        The hidden per-firm factor (standard normal), in row order; never written to the
        import files.
    """
    n = n_firms
    cities = reference.cities
    w = city_weights(cities)
    city = rng.choice(len(cities), size=n, p=w / w.sum())
    role = cities["role"].astype(str).to_numpy()[city]
    helping = role == "helping"
    helping_side = np.isin(
        np.array([c[:2] for c in cities["city_code"].astype(str)])[city], ["31", "32", "33"]
    )

    nodes = reference.chain_nodes.reset_index(drop=True)
    n_nodes = len(nodes)
    upstream: list[list[str]] = [[] for _ in range(n_nodes)]
    node_pos = {nid: i for i, nid in enumerate(nodes["node_id"].astype(str))}
    for src, dst in zip(reference.chain_edges["src"], reference.chain_edges["dst"], strict=True):
        if src in node_pos and dst in node_pos:
            kws = split_multi(str(nodes.at[node_pos[src], "keywords"]))
            upstream[node_pos[dst]].append(";".join(kws[:2]) if kws else str(src))
    has_upstream = np.array([len(u) > 0 for u in upstream])

    # chain firms: node uniform with a Dirichlet jitter, so chains differ in size
    is_chain = rng.random(n) < CHAIN_SHARE
    node_w = rng.dirichlet(np.full(n_nodes, 8.0))
    node = np.full(n, -1, np.int64)
    node[is_chain] = rng.choice(n_nodes, size=int(is_chain.sum()), p=node_w)

    cls_off, cls_flat = _csr([split_multi(str(g)) for g in nodes["gbt_classes"]])
    kw_off, kw_flat = _csr(
        [
            split_multi(str(k)) or [str(nm)]
            for k, nm in zip(nodes["keywords"], nodes["name"], strict=True)
        ]
    )
    classes = _manufacturing_classes(reference)
    industry = np.empty(n, dtype=object)
    products = np.empty(n, dtype=object)
    inputs = np.empty(n, dtype=object)
    suffix = np.empty(n, dtype=object)

    ci = np.flatnonzero(is_chain)
    cn = node[ci]
    industry[ci] = _pick(cls_off, cls_flat, cn, rng)
    p1 = _pick(kw_off, kw_flat, cn, rng)
    p2 = _pick(kw_off, kw_flat, cn, rng)
    products[ci] = np.where(p1 == p2, p1, np.char.add(np.char.add(p1, ";"), p2))
    node_suffix = np.array(
        [
            suffix_for(str(nm), str(ch))
            for nm, ch in zip(
                nodes["name"], nodes["chain_id"].map(_chain_names(reference)), strict=True
            )
        ]
    )
    suffix[ci] = node_suffix[cn]

    oi = np.flatnonzero(~is_chain)
    cw = classes["weight"].to_numpy(float)
    pick = rng.choice(len(classes), size=len(oi), p=cw / cw.sum())
    industry[oi] = classes["code"].to_numpy()[pick]
    cls_names = classes["name"].to_numpy(dtype=str)
    products[oi] = np.char.replace(cls_names, "制造", "")[pick]
    cls_suffix = np.array([suffix_for(nm) for nm in cls_names])
    cls_suffix[cls_suffix == "科技"] = "实业"
    suffix[oi] = cls_suffix[pick]

    sector = reference.sector_of(pd.Series(industry.astype(str)))
    sup_names = np.array([*_supplier_sector_names(reference), ""])
    inputs[:] = sup_names[np.where(sector >= 0, sector, len(sup_names) - 1)]
    up_str = np.array([";".join(u) for u in upstream] + [""])
    chain_up = is_chain & has_upstream[np.maximum(node, 0)]
    inputs[chain_up] = up_str[node[chain_up]]

    # sizes: log-normal, bigger on the helping side
    log_emp = rng.normal(np.log(45.0), 1.0, n) + 0.25 * helping_side - 0.2 * (role == "wanbei")
    lead_score = log_emp + 1.2 * helping_side + 0.6 * helping + rng.gumbel(size=n)
    lead_score[~chain_up] = -np.inf  # a leading firm buys from an upstream chain node
    is_leading = _top_share(lead_score, LEADING_SHARE) & chain_up
    log_emp[is_leading] = rng.normal(np.log(2500.0), 0.8, int(is_leading.sum()))
    employees = np.clip(np.round(np.exp(log_emp)), 3, 300_000).astype(np.int64)
    revenue = np.round(employees * np.exp(rng.normal(np.log(90.0), 0.45, n)), 1)
    age = rng.gamma(2.0, 6.0, n) + is_leading * rng.gamma(3.0, 4.0, n)
    founded = np.clip(end_year - np.floor(age), 1978, end_year).astype(np.int64)

    is_high_tech = _top_share(
        1.0 * is_chain + 0.4 * (log_emp - np.log(45.0)) + rng.normal(0, 1.0, n), HIGH_TECH_SHARE
    )
    mid = (employees >= 30) & (employees <= 1500)
    srdi_score = is_chain + is_high_tech + mid + rng.normal(0, 1.0, n) - 3.0 * is_leading
    national = _top_share(srdi_score, SRDI_NATIONAL_SHARE)
    province = _top_share(np.where(national, -np.inf, srdi_score), SRDI_PROVINCE_SHARE)
    srdi = np.where(national, "national", np.where(province, "province", "none"))
    listed = _top_share(np.log(revenue) + 2.0 * is_leading + rng.normal(0, 1.0, n), LISTED_SHARE)

    codes = cities["city_code"].to_numpy(dtype=str)
    uscc = make_usccs(codes[city], rng)
    short = cities["short_name"].to_numpy(dtype=str)[city]
    brand_len = 2 + (rng.random(n) < 0.3)
    b = BRAND_CHARS[rng.integers(0, len(BRAND_CHARS), size=(n, 3))]
    brand = np.char.add(b[:, 0], b[:, 1])
    brand = np.where(brand_len == 3, np.char.add(brand, b[:, 2]), brand)
    base = np.char.add(np.char.add(short, MARKERS[rng.integers(0, 2, n)]), brand)
    base = np.char.add(base, suffix.astype(str))
    dup_no = pd.Series(base).groupby(base).cumcount().to_numpy()
    tag = np.where(dup_no > 0, (dup_no + 1).astype(str), "")
    name = np.char.add(np.char.add(base, tag), "有限公司")

    node_ids = np.array([*nodes["node_id"].astype(str), ""])
    frame = pd.DataFrame(
        {
            "uscc": uscc,
            "name": name,
            "city": cities["name"].astype(str).to_numpy()[city],
            "district": "",
            "industry_code": industry.astype(str),
            "products": products.astype(str),
            "inputs": inputs.astype(str),
            "chain_nodes": node_ids[node],
            "employees": employees,
            "revenue_wan": revenue,
            "founded": founded,
            "is_leading": is_leading,
            "srdi_level": srdi,
            "is_high_tech": is_high_tech,
            "listed": listed,
        }
    )
    return frame, rng.standard_normal(n)


def _chain_names(reference: Reference) -> dict[str, str]:
    ch = reference.chains
    return dict(zip(ch["chain_id"].astype(str), ch["name"].astype(str), strict=True))
