"""Chain-based targeting (以商招商): the 沪苏浙 suppliers and customers of a park's firms.

For a park, the anchors are the firms already in it (its firm list and its landed projects,
:func:`recommender.projects.ledger.park_members`) or one named anchor firm. Each anchor is
ranked by the ranking service, the one way every list is made:

- a leading anchor (龙头企业) gets a ``supplier`` list: the firms that could supply it
  (上游配套, upstream);
- a supporting anchor gets a ``customer`` list: the leading firms it could supply
  (下游客户, downstream).

Both are filtered to 上海市/江苏省/浙江省 and exclude the park's own firms. The lists are merged
by reciprocal-rank fusion (``sum over anchors of 1 / (60 + rank)``, ties by id), so a firm
that several anchors need ranks first; every line keeps the anchors that led to it and the
reasons of its best-placed list.

:func:`evaluate_targets` scores a merged list against what happened later between the park
and the firms (investor outcomes after ``as_of``), like every other list is judged.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from features.schema import HELPING_PROVINCES, STAGE_GRADE
from recommender.errors import NotFoundError, ValidationError
from recommender.ranking.results import RankedList, RankFilters

__all__ = [
    "HSZ_PROVINCES",
    "ChainTarget",
    "ChainTargets",
    "Ranker",
    "chain_targets",
    "evaluate_targets",
]

HSZ_PROVINCES = HELPING_PROVINCES
RRF_K = 60  # the usual reciprocal-rank-fusion constant: later ranks still count a little
MAX_ANCHORS = 30  # anchors ranked per request (latency); the most-connected come first


class Ranker(Protocol):
    """What targeting needs of :class:`recommender.ranking.service.RankingService`."""

    def rank(
        self,
        kind: str,
        query_id: str,
        *,
        k: int = 20,
        filters: RankFilters | None = None,
        as_of: pd.Timestamp | None = None,
    ) -> RankedList: ...


@dataclass(frozen=True)
class Anchor:
    """A park firm whose list led to a target, and the target's rank in that list."""

    uscc: str
    name: str
    direction: str  # upstream (the anchor's supplier) | downstream (the anchor's customer)
    rank: int


@dataclass(frozen=True)
class ChainTarget:
    """One line of a chain-based list."""

    rank: int
    candidate_id: str
    name: str
    city_code: str
    city_name: str
    score: float
    anchors: list[Anchor]
    reasons_zh: list[str]
    reasons_en: list[str]


@dataclass(frozen=True)
class ChainTargets:
    """A merged list for one park."""

    park_id: str
    anchors: list[str]
    model_versions: list[str]
    targets: list[ChainTarget] = field(default_factory=list)


def _anchor_reason(a: Anchor) -> tuple[str, str]:
    if a.direction == "upstream":
        return (
            f"以商招商·上游配套: 可为园区企业{a.name}供货 (其配套清单第{a.rank}位)",
            f"chain: could supply park firm {a.name} (#{a.rank} of its supplier list)",
        )
    return (
        f"以商招商·下游客户: 园区企业{a.name}可为其配套 (其客户清单第{a.rank}位)",
        f"chain: a customer park firm {a.name} could supply (#{a.rank} of its customer list)",
    )


def chain_targets(
    ranker: Ranker,
    *,
    park_id: str,
    members: Sequence[str],
    leading: Mapping[str, bool],
    names: Mapping[str, str],
    anchor: str | None = None,
    k: int = 20,
    per_anchor: int = 50,
    as_of: pd.Timestamp | None = None,
) -> ChainTargets:
    """Rank the 沪苏浙 suppliers/customers of a park's firms (see the module docstring).

    Parameters
    ----------
    ranker : the ranking service (its public ``rank``).
    park_id : the park.
    members : USCCs of the firms in the park (they are never targets).
    leading : uscc -> is a leading firm (龙头企业), for the anchors.
    names : uscc -> firm name, for the reasons.
    anchor : one firm to target around instead of every member.
    k : length of the merged list, 1 to 200.
    per_anchor : length of each anchor's list.
    as_of : the date lists are computed as of (default today).

    Raises
    ------
    ValidationError
        ``k`` out of range, or no anchor (a park with no firms and no ``anchor``).
    NotFoundError
        ``anchor`` is not a known firm.
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 200:
        raise ValidationError(f"k must be an integer from 1 to 200, got {k!r}")
    if anchor is not None and anchor not in leading:
        raise NotFoundError(f"enterprise {anchor!r} does not exist")
    anchors = [anchor] if anchor is not None else sorted(m for m in members if m in leading)
    if not anchors:
        raise ValidationError(
            f"park {park_id} has no known firms yet (园区企业名单 or landed projects); "
            "name an anchor firm"
        )
    anchors = anchors[:MAX_ANCHORS]
    filters = RankFilters(provinces=HSZ_PROVINCES, exclude_ids=tuple(sorted(set(members))))
    fused: dict[str, float] = {}
    seen: dict[str, list[Anchor]] = {}
    best: dict[str, tuple[int, Any]] = {}
    versions: set[str] = set()
    for a in anchors:
        kind, direction = ("supplier", "upstream") if leading[a] else ("customer", "downstream")
        ranked = ranker.rank(kind, a, k=per_anchor, filters=filters, as_of=as_of)
        versions.add(ranked.model_version)
        for c in ranked.candidates:
            fused[c.candidate_id] = fused.get(c.candidate_id, 0.0) + 1.0 / (RRF_K + c.rank)
            seen.setdefault(c.candidate_id, []).append(
                Anchor(a, names.get(a, a), direction, c.rank)
            )
            if c.candidate_id not in best or c.rank < best[c.candidate_id][0]:
                best[c.candidate_id] = (c.rank, c)
    order = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]
    out: list[ChainTarget] = []
    for i, cid in enumerate(order):
        line = best[cid][1]
        via = sorted(seen[cid], key=lambda x: (x.rank, x.uscc))
        texts = [_anchor_reason(x) for x in via[:3]]
        zh = [t[0] for t in texts] + [r.text_zh for r in line.reasons]
        en = [t[1] for t in texts] + [r.text_en for r in line.reasons]
        out.append(
            ChainTarget(
                rank=i + 1, candidate_id=cid, name=line.name, city_code=line.city_code,
                city_name=line.city_name, score=round(fused[cid], 6), anchors=via,
                reasons_zh=zh, reasons_en=en,
            )
        )  # fmt: skip
    return ChainTargets(park_id, anchors, sorted(versions), out)


def evaluate_targets(
    ranked_ids: Sequence[str],
    later: pd.DataFrame,
    *,
    park_id: str,
    k: int = 10,
    exclude: Collection[str] = (),
) -> dict[str, float | int]:
    """Score a merged list against the park's later outcomes (what happened after the list).

    Parameters
    ----------
    ranked_ids : the list, best first.
    later : outcomes (OUTCOME columns) dated after the list was made; only ``investor``
        outcomes of ``park_id`` count. A firm's grade is the furthest stage it reached
        (``features.schema.STAGE_GRADE``: 1 meeting ... 4 landed); firms never shown count too
        (a list that missed them is worse), firms with no outcome are not relevant.
    k : cutoff.
    exclude : firms that cannot be targets (the park's own), left out of the ideal.

    Returns
    -------
    dict
        ``precision@k`` (share of the top k with grade >= 1), ``recall@k`` (share of the
        relevant firms in the top k), ``ndcg@k`` (gain ``2**grade - 1``, ideal from every
        relevant firm), and ``n_relevant``.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValidationError(f"k must be an integer >= 1, got {k!r}")
    rows = later[(later["query_kind"] == "investor") & (later["query_id"] == park_id)]
    grade = rows["stage"].map(STAGE_GRADE).fillna(0).astype(int)
    best = grade.groupby(rows["candidate_id"]).max()
    best = best[(best > 0) & ~best.index.isin(list(exclude))]
    top = list(ranked_ids)[:k]
    gains = np.array([2.0 ** int(best.get(c, 0)) - 1.0 for c in top])
    discounts = 1.0 / np.log2(np.arange(2, len(top) + 2))
    dcg = float((gains * discounts).sum()) if len(top) else 0.0
    ideal_gains = np.sort(2.0 ** best.to_numpy(dtype=float) - 1.0)[::-1][:k]
    idcg = float((ideal_gains / np.log2(np.arange(2, len(ideal_gains) + 2))).sum())
    hits = sum(1 for c in top if c in best.index)
    n_rel = len(best)
    return {
        f"precision@{k}": round(hits / k, 6),
        f"recall@{k}": round(hits / n_rel, 6) if n_rel else math.nan,
        f"ndcg@{k}": round(dcg / idcg, 6) if idcg > 0 else math.nan,
        "n_relevant": n_rel,
    }
