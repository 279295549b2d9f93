"""What need texts ask for, and what a firm's own history reveals it prefers.

Two small parts of the feature context, each with its own builder:

:class:`NeedAsks` reads the demanding side's need texts (需求) for the three kinds of request
offices write in them — a capability the supplier must have ("要求具备洁净车间能力",
"需通过车规级认证", "具备GMP资质"), a preference for 专精特新 firms ("优先考虑专精特新企业"),
a preference for capacity in Wanbei / nearby ("优先在皖北就近布局产能", "就近配套") — and the
providing side's product texts for the capabilities they name. Capabilities are a vocabulary
learned from the need texts themselves (every phrase the patterns capture), so any
requirement an office writes is matched, not a fixed list.

:class:`Preferences` holds, per demanding entity, as-of sums over its past positive partners
(meeting or better): how many, how many were 专精特新, how many sat in Wanbei, their mean log
revenue; and per providing entity, how it answered before (contacted, declined). A firm's
preferences are then features of the pair ("70 % of this buyer's accepted suppliers were
专精特新, and this candidate is one").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from features import nodes
from features.history import AsOfTable, History

__all__ = ["NeedAsks", "Preferences", "build_asks", "build_preferences"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# a capability the supplier must have: 要求具备X能力 / 需具备X资质 / 需通过X认证 / 具有X资质
_CAPABILITY = re.compile(
    r"(?:要求|需要|需|须|必须)?(?:具备|具有|通过|取得)([^，。；;,、（）()]{2,12}?)(?:能力|资质|认证|条件)"
)
_SPLIT = re.compile(r"[与和及/]")
_SRDI_PREF = re.compile(r"优先[^，。；;]{0,8}专精特新|专精特新[^，。；;]{0,4}优先")
_WANBEI_PREF = re.compile(
    r"优先[^，。；;]{0,8}(?:皖北|就近|本地)|(?:皖北|就近|本地)[^，。；;]{0,6}优先"
)
MAX_CAPABILITIES = 256


@dataclass(frozen=True)
class NeedAsks:
    """Requests in need texts and capabilities named in product texts, per entity.

    Attributes
    ----------
    capabilities : the capability vocabulary (phrases captured from need texts).
    required : (E, W) bitsets: capabilities each entity's needs require.
    offered : (E, W) bitsets: capabilities each entity's product text names.
    wants_srdi, wants_wanbei : per entity, whether its needs ask for 专精特新 firms / for
        capacity in Wanbei or nearby.
    """

    capabilities: pd.Index
    required: nodes.Bits
    offered: nodes.Bits
    wants_srdi: BoolArray
    wants_wanbei: BoolArray


def _phrases(text: str) -> list[str]:
    out: list[str] = []
    for m in _CAPABILITY.finditer(text):
        out.extend(p.strip() for p in _SPLIT.split(m.group(1)) if len(p.strip()) >= 2)
    return out


def build_asks(need_text: pd.Series, product_text: pd.Series) -> NeedAsks:
    """Parse every entity's need text and product text (both aligned with the entities).

    Parameters
    ----------
    need_text : the need descriptions of each entity, joined (empty where none).
    product_text : each entity's products (parks: their leading industries).
    """
    needs = need_text.fillna("").astype(str)
    products = product_text.fillna("").astype(str)
    codes, uniques = pd.factorize(needs)
    found = [_phrases(t) for t in uniques]
    vocab = pd.Index(pd.unique(pd.Series([p for ps in found for p in ps], dtype=object)))
    vocab = vocab[:MAX_CAPABILITIES]
    n = len(needs)
    W = nodes.n_words(max(len(vocab), 1))
    required = np.zeros((n, W), dtype=np.uint64)
    offered = np.zeros((n, W), dtype=np.uint64)
    pos = {p: i for i, p in enumerate(vocab)}
    per_unique = np.zeros((len(uniques), W), dtype=np.uint64)
    for u, ps in enumerate(found):
        for p in ps:
            j = pos.get(p)
            if j is not None:
                per_unique[u, j // 64] |= np.uint64(1) << np.uint64(j % 64)
    if len(uniques):
        required = per_unique[codes]
    for j, p in enumerate(vocab):
        has = products.str.contains(p, regex=False).to_numpy(dtype=bool)
        offered[has, j // 64] |= np.uint64(1) << np.uint64(j % 64)
    return NeedAsks(
        capabilities=vocab,
        required=required,
        offered=offered,
        wants_srdi=needs.str.contains(_SRDI_PREF).to_numpy(dtype=bool),
        wants_wanbei=needs.str.contains(_WANBEI_PREF).to_numpy(dtype=bool),
    )


@dataclass(frozen=True)
class Preferences:
    """As-of tables of revealed preferences and past answers.

    Attributes
    ----------
    partners : key demanding entity; values [positive records, of them 专精特新 providers,
        Wanbei providers, sum of providers' log revenue (where known), providers with a
        known revenue].
    answers : key providing entity; values [contacted records, declined records].
    """

    partners: AsOfTable
    answers: AsOfTable


def build_preferences(
    history: History,
    *,
    is_park: BoolArray,
    leading: BoolArray,
    srdi: FloatArray,
    wanbei: BoolArray,
    log_revenue: FloatArray,
    stages: npt.NDArray[np.object_],
) -> Preferences:
    """Build the tables from the outcome history and entity attributes.

    The demanding side of a record is its query when the query is a park or a leading firm
    (investor and supplier requests), else its candidate (customer requests: a supporting
    firm asked about a leading firm). ``stages`` is the stage of each history record.
    """
    q, c, day, grade = history.query, history.cand, history.day, history.grade
    q_demands = is_park[q] | leading[q]
    dem = np.where(q_demands, q, c)
    prov = np.where(q_demands, c, q)
    pos = grade >= 1
    lr = log_revenue[prov]
    known = np.isfinite(lr)
    values = np.column_stack(
        [
            np.ones(int(pos.sum())),
            (np.nan_to_num(srdi[prov]) > 0)[pos],
            wanbei[prov][pos],
            np.where(known, lr, 0.0)[pos],
            known[pos],
        ]
    ).astype(np.float64)
    E = len(is_park)  # one flag per entity row: the keys below are entity rows
    partners = AsOfTable.build(dem[pos], day[pos], values, n_keys=E)
    contacted = np.isin(stages, ["contacted", "declined", "meeting"])
    answered = np.column_stack([stages == "contacted", stages == "declined"]).astype(float)
    answers = AsOfTable.build(prov[contacted], day[contacted], answered[contacted], n_keys=E)
    return Preferences(partners=partners, answers=answers)
