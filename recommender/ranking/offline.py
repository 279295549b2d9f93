"""The serving path as a :class:`training.fullpath.ListRanker`, for full-path evaluation.

Training scores a model by the lists a user would get from it: this module wraps the very
ranking service that serves requests (candidates → model → default rules → top-k) around a
model that is not in production yet, so the evaluation and the service cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import lightgbm as lgb
import pandas as pd

from features.context import FeatureContext
from recommender.errors import NotFoundError, ValidationError
from recommender.ranking.models import FixedModel, ServingModel
from recommender.ranking.rules import Rules
from recommender.ranking.service import DEFAULT_CANDIDATE_CAP, RankingService
from training.calibration import IsotonicCalibrator
from training.fullpath import ListRanker, RankerFactory

__all__ = ["ServiceRanker", "ranker_factory"]


class ServiceRanker:
    """Top-k candidate ids of one query from a :class:`RankingService` (reasons skipped)."""

    def __init__(self, service: RankingService) -> None:
        self.service = service

    def top(self, kind: str, query_id: str, *, as_of: pd.Timestamp, k: int) -> Sequence[str]:
        """Candidate ids in display order; none when the service refuses the query (a firm
        no longer leading, a park since removed): a user would get no list either."""
        try:
            ranked = self.service.rank(kind, query_id, k=k, as_of=as_of, explain=False)
        except (NotFoundError, ValidationError):
            return []
        return [c.candidate_id for c in ranked.candidates]


def ranker_factory(
    *,
    rules: Rules | None = None,
    outcomes: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    candidate_cap: int | Mapping[str, int] = DEFAULT_CANDIDATE_CAP,
) -> RankerFactory:
    """A factory that wraps the serving path (default rules unless given) around a booster.

    Parameters
    ----------
    rules : business rules (default: the documented defaults, what a user gets).
    outcomes : outcome records for the exclusions (as the service has them).
    events : events, for the service's meeting index.
    candidate_cap : candidates generated per query (the service's default).
    """

    def build(
        ctx: FeatureContext, booster: lgb.Booster, calibrator: IsotonicCalibrator | None
    ) -> ListRanker:
        model = ServingModel(
            version="evaluated",
            booster=booster,
            calibrator=calibrator,
            feature_names=tuple(booster.feature_name()),
        )
        service = RankingService(
            ctx,
            FixedModel(model),
            rules or Rules(),
            outcomes=outcomes,
            events=events,
            candidate_cap=candidate_cap,
        )
        return ServiceRanker(service)

    return build
