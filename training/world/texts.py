"""What the variant worlds write into texts, and how the truth reads it back from the files.

Writing (:func:`decorate`, only for non-standard variants): suppliers' ``products`` gain the
capabilities they have as product items (``…;精密加工;洁净车间``); some needs gain a stated
requirement ("，要求具备洁净车间能力"), further keywords of their chain node ("，涉及封测、
传感器封装") and, for some leading firms and parks, a preference in one of their needs
("，优先考虑专精特新企业" / "，优先在皖北就近布局产能").

Reading (:func:`build_text_model`): the arrays the variant utilities use are rebuilt only
from the import frames (enterprises, parks, needs) and the reference data, so
:func:`training.world.writer.load_truth` rebuilds them from a world folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.reference import Reference
from features.schema import split_multi
from training.world.model import NEVER, DateArray, IntArray, PairModel

CAPABILITIES = ("精密加工", "洁净车间", "车规级认证", "GMP认证", "冷链配送")
# the two capabilities that matter in each chain (indexes into CAPABILITIES)
CHAIN_CAPABILITIES = {
    "sensor": (1, 0),
    "ic": (1, 0),
    "nev": (2, 0),
    "newmat": (0, 1),
    "biomed": (3, 1),
    "food": (4, 3),
    "equip": (0, 2),
}
REQUIRE = "，要求具备{cap}能力"
PREFER_SRDI = "优先考虑专精特新企业"
PREFER_WANBEI = "优先在皖北就近布局产能"
_REQ_RE = re.compile(r"要求具备(.+?)能力")
COBUILT_LEVEL = "省际合作园区"


@dataclass(frozen=True)
class TextShares:
    """Shares the text decoration draws with (see :func:`decorate`)."""

    cap_base: float = 0.30  # chance a chain firm has each of its chain's two capabilities
    cap_bonus: float = 0.25  # added for 高新技术企业 and again for 专精特新
    cap_other: float = 0.08  # chance a non-chain firm has one random capability
    need_requires: float = 0.6  # chance a need states a required capability
    prefer_srdi: float = 0.3  # share of leading firms / parks preferring 专精特新
    prefer_wanbei: float = 0.3  # share of leading firms preferring capacity in Wanbei
    need_keywords: int = 0  # further keywords of the need's chain node named in its text


def _chain_of_nodes(reference: Reference) -> dict[str, str]:
    n = reference.chain_nodes
    return dict(zip(n["node_id"].astype(str), n["chain_id"].astype(str), strict=True))


def decorate(
    reference: Reference,
    enterprises: pd.DataFrame,
    needs: pd.DataFrame,
    rng: np.random.Generator,
    shares: TextShares,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Capabilities into ``products``, requirements and preferences into need texts.

    Returns new frames (the inputs are not changed). Capabilities are likelier for
    高新技术企业 and 专精特新 firms, so they correlate with observable flags.
    """
    e = enterprises.copy()
    nd = needs.copy()
    n = len(e)
    node_chain = _chain_of_nodes(reference)
    chain = e["chain_nodes"].astype(str).map(node_chain).fillna("").to_numpy(dtype=str)
    bonus = shares.cap_bonus * (
        e["is_high_tech"].to_numpy(bool).astype(float)
        + (e["srdi_level"].astype(str).to_numpy() != "none")
    )
    has = np.zeros((n, len(CAPABILITIES)), np.bool_)
    draws = rng.random((n, 2))
    for ch, caps in CHAIN_CAPABILITIES.items():
        rows = np.flatnonzero(chain == ch)
        for j, cap in enumerate(caps):
            has[rows, cap] = draws[rows, j] < shares.cap_base + bonus[rows]
    other = np.flatnonzero(chain == "")
    pick = rng.integers(0, len(CAPABILITIES), len(other))
    has[other, pick] = draws[other, 0] < shares.cap_other
    items = np.array(CAPABILITIES)
    extra = [";".join(items[row]) for row in has]
    prod = e["products"].astype(str).to_numpy()
    e["products"] = [p + ";" + x if x else p for p, x in zip(prod, extra, strict=True)]

    desc = nd["description"].astype(str).to_numpy().copy()
    nodes = nd["chain_nodes"].astype(str).to_numpy()
    req = rng.random(len(nd)) < shares.need_requires
    which = rng.integers(0, 2, len(nd))
    for i in np.flatnonzero(req):
        pair = CHAIN_CAPABILITIES.get(node_chain.get(nodes[i], ""), (0, 1))
        desc[i] = desc[i] + REQUIRE.format(cap=CAPABILITIES[pair[which[i]]])
    if shares.need_keywords > 0:
        node_kws = {
            str(nid): split_multi(str(k))[1 : 1 + shares.need_keywords]
            for nid, k in zip(
                reference.chain_nodes["node_id"], reference.chain_nodes["keywords"], strict=True
            )
        }
        for j, node in enumerate(nodes):
            extra_kws = node_kws.get(node, [])
            if extra_kws:
                desc[j] = desc[j] + "，涉及" + "、".join(extra_kws)
    owners = nd["owner_kind"].astype(str) + ":" + nd["owner_id"].astype(str)
    first = ~owners.duplicated().to_numpy()
    is_park = nd["owner_kind"].astype(str).to_numpy() == "park"
    u = rng.random((len(nd), 2))
    srdi = first & (u[:, 0] < shares.prefer_srdi)
    wanbei = first & ~is_park & (u[:, 1] < shares.prefer_wanbei)
    for i in np.flatnonzero(srdi | wanbei):
        said = [PREFER_SRDI] if srdi[i] else []
        said += [PREFER_WANBEI] if wanbei[i] else []
        desc[i] = desc[i] + "，" + "，".join(said)
    nd["description"] = desc
    return e, nd


@dataclass(frozen=True)
class TextModel:
    """Arrays read from texts and flags of the import files (rows as in :class:`PairModel`).

    Attributes
    ----------
    f_caps : (firms, capabilities) the firm's products name the capability.
    e_req, p_req : (need owners + 1, capabilities) / (parks, capabilities): earliest date a
        need of the enterprise / park requires the capability (NEVER if none).
    e_pref_srdi, e_pref_wb : per firm, one of its needs states the preference.
    p_pref_srdi : per park, one of its needs prefers 专精特新.
    f_items : (firms, max items) vocabulary rows of the firm's product items (sentinel V).
    e_kw, p_kw : (owners + 1, V + 1) / (parks, V + 1) earliest date a need text of the owner
        names the vocabulary item (NEVER if none).
    f_wanbei, f_srdi, f_national, f_listed, f_leading : firm flags.
    c_shanghai : per reference city, a Shanghai district.
    p_cobuilt, p_national : per park, 省际合作园区 / 国务院 level.
    """

    f_caps: npt.NDArray[np.bool_]
    e_req: DateArray
    p_req: DateArray
    e_pref_srdi: npt.NDArray[np.bool_]
    e_pref_wb: npt.NDArray[np.bool_]
    p_pref_srdi: npt.NDArray[np.bool_]
    f_items: IntArray
    e_kw: DateArray
    p_kw: DateArray
    f_wanbei: npt.NDArray[np.bool_]
    f_srdi: npt.NDArray[np.bool_]
    f_national: npt.NDArray[np.bool_]
    f_listed: npt.NDArray[np.bool_]
    f_leading: npt.NDArray[np.bool_]
    c_shanghai: npt.NDArray[np.bool_]
    p_cobuilt: npt.NDArray[np.bool_]
    p_national: npt.NDArray[np.bool_]


def _flag(s: pd.Series) -> npt.NDArray[np.bool_]:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(bool)
    return s.astype(str).str.lower().isin(["true", "1", "是"]).to_numpy()


def _dates(sub: pd.DataFrame) -> DateArray:
    created = pd.to_datetime(sub["created"].replace("", None))
    return created.fillna(pd.Timestamp("1900-01-01")).to_numpy().astype("datetime64[D]")


def build_text_model(
    reference: Reference,
    model: PairModel,
    enterprises: pd.DataFrame,
    parks: pd.DataFrame,
    needs: pd.DataFrame,
) -> TextModel:
    """Read capabilities, requirements, preferences and keywords from the import frames."""
    n = len(enterprises)
    prod = enterprises["products"].fillna("").astype(str)
    f_caps = np.stack([prod.str.contains(c, regex=False).to_numpy() for c in CAPABILITIES], 1)
    item_lists = [
        [x for x in split_multi(p) if len(x) >= 2 and x not in CAPABILITIES] for p in prod
    ]
    vocab = pd.Index(sorted({x for items in item_lists for x in items}))
    v = len(vocab)
    width = max((len(x) for x in item_lists), default=1) or 1
    f_items = np.full((n, width), v, np.int64)
    lengths = np.array([len(x) for x in item_lists], np.int64)
    flat = [x for items in item_lists for x in items]
    if flat:
        firm = np.repeat(np.arange(n), lengths)
        slot = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        f_items[firm, slot] = vocab.get_indexer(pd.Index(flat))

    kinds = needs["owner_kind"].astype(str)
    ent = needs[kinds == "enterprise"]
    park = needs[kinds == "park"]
    owners = pd.Index(ent["owner_id"].astype(str).unique())
    e_req = np.full((len(owners) + 1, len(CAPABILITIES)), NEVER)
    p_req = np.full((len(model.park_ids), len(CAPABILITIES)), NEVER)
    e_kw = np.full((len(owners) + 1, v + 1), NEVER)
    p_kw = np.full((len(model.park_ids), v + 1), NEVER)
    pref_srdi_ids: set[str] = set()
    pref_wb_ids: set[str] = set()
    p_pref_srdi = np.zeros(len(model.park_ids), np.bool_)
    vocab_list = list(vocab)
    for sub, index, req, kw in ((ent, owners, e_req, e_kw), (park, model.park_ids, p_req, p_kw)):
        rows = index.get_indexer(pd.Index(sub["owner_id"].astype(str)))
        when = _dates(sub)
        for r, text, d in zip(rows, sub["description"].fillna("").astype(str), when, strict=True):
            if r < 0:
                continue
            for m in _REQ_RE.finditer(text):
                for j, cap in enumerate(CAPABILITIES):
                    if cap in m.group(1):
                        req[r, j] = min(req[r, j], d)
            body = _REQ_RE.sub("", text)
            for j, item in enumerate(vocab_list):
                if item in body:
                    kw[r, j] = min(kw[r, j], d)
            if PREFER_SRDI in text:
                if index is owners:
                    pref_srdi_ids.add(str(index[r]))
                else:
                    p_pref_srdi[r] = True
            if PREFER_WANBEI in text and index is owners:
                pref_wb_ids.add(str(index[r]))

    role = reference.cities["role"].astype(str).to_numpy()
    srdi = enterprises["srdi_level"].astype(str).to_numpy()
    level = parks["level"].fillna("").astype(str).to_numpy()
    return TextModel(
        f_caps=f_caps,
        e_req=e_req,
        p_req=p_req,
        e_pref_srdi=model.firm_ids.isin(list(pref_srdi_ids)),
        e_pref_wb=model.firm_ids.isin(list(pref_wb_ids)),
        p_pref_srdi=p_pref_srdi,
        f_items=f_items,
        e_kw=e_kw,
        p_kw=p_kw,
        f_wanbei=role[model.f_city] == "wanbei",
        f_srdi=srdi != "none",
        f_national=srdi == "national",
        f_listed=_flag(enterprises["listed"]),
        f_leading=_flag(enterprises["is_leading"]),
        c_shanghai=reference.cities["city_code"].astype(str).str.startswith("31").to_numpy(),
        p_cobuilt=level == COBUILT_LEVEL,
        p_national=level == "国务院",
    )
