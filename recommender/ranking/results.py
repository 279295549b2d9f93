"""What the ranking service takes and gives: filters, ranked candidates, ranked lists."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from features import schema
from recommender.errors import ValidationError
from recommender.ranking.explain import Reason

# insured employees [low, high) of each size band, in the vocabulary's order
SIZE_BANDS = dict(
    zip(schema.SIZE_BANDS, ((0, 20), (20, 100), (100, 1000), (1000, 10**9)), strict=True)
)
SRDI_RANK = {level: rank for rank, level in enumerate(schema.SRDI_LEVELS)}  # none < national


@dataclass(frozen=True)
class RankFilters:
    """Optional filters on candidates (all must hold).

    ``provinces`` are names as in the reference (上海市, 江苏省, 浙江省, 安徽省);
    ``city_codes`` 6-digit adcodes; ``industry_prefix`` a GB/T 4754 code prefix ("39",
    "397"); ``chain_node`` a node id the candidate makes (``sensor.mems_chip``);
    ``size_band`` one of :data:`SIZE_BANDS` (employees); ``min_srdi`` the lowest 专精特新
    level (``province`` or ``national``); ``exclude_ids`` firms never to show.
    """

    provinces: tuple[str, ...] = ()
    city_codes: tuple[str, ...] = ()
    industry_prefix: str = ""
    chain_node: str = ""
    size_band: str = ""
    min_srdi: str = ""
    exclude_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.size_band and self.size_band not in SIZE_BANDS:
            raise ValidationError(
                f"size_band must be one of {sorted(SIZE_BANDS)}, got {self.size_band!r}"
            )
        if self.min_srdi and self.min_srdi not in SRDI_RANK:
            raise ValidationError(
                f"min_srdi must be one of {sorted(SRDI_RANK)}, got {self.min_srdi!r}"
            )

    @property
    def empty(self) -> bool:
        """True when no filter is set."""
        return not (
            self.provinces
            or self.city_codes
            or self.industry_prefix
            or self.chain_node
            or self.size_band
            or self.min_srdi
            or self.exclude_ids
        )


@dataclass(frozen=True)
class RankedCandidate:
    """One line of a ranked list."""

    rank: int
    candidate_id: str
    name: str
    city_code: str
    city_name: str
    industry_code: str
    products: str
    score: float
    final_score: float
    p_success: float | None
    reasons: list[Reason]


@dataclass(frozen=True)
class RankedList:
    """A ranked, explained list for one query."""

    kind: str
    query_id: str
    query_name: str
    model_version: str
    as_of: pd.Timestamp
    candidates: list[RankedCandidate] = field(default_factory=list)
    n_generated: int = 0
    n_after_filters: int = 0
