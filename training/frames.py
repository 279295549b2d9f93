"""The entity frames a training run reads, and how to get them from a synthetic world.

The application loads these frames from the database (``recommender``); tests, benchmarks
and notebooks get them straight from :func:`training.world.generate_world` through
:func:`frames_from_world`, which does what the importer does to a ``city`` column (a Chinese
city name becomes its adcode) and conforms every frame to ``features.schema``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from features.schema import ENTERPRISE, EVENT, NEED, OUTCOME, PARK, PARTICIPANT, conform
from training.errors import InvalidInputError

if TYPE_CHECKING:
    from features.context import FeatureContext
    from features.reference import Reference
    from training.world import World

__all__ = ["TrainingFrames", "city_codes", "events_from_world", "frames_from_world"]


@dataclass(frozen=True)
class TrainingFrames:
    """Entity frames conformed to ``features.schema`` (``city_code`` columns, typed dates).

    Attributes
    ----------
    enterprises, parks, needs, outcomes : the frames features and labels are built from.
    participants : event participants (optional; used by the feature context if given).
    """

    enterprises: pd.DataFrame
    parks: pd.DataFrame
    needs: pd.DataFrame
    outcomes: pd.DataFrame
    participants: pd.DataFrame | None = None

    def context(self, reference: Reference) -> FeatureContext:
        """The feature context of these frames (text model fitted, history indexed)."""
        from features.context import FeatureContext  # the heavy import only when used

        return FeatureContext.build(
            reference=reference,
            enterprises=self.enterprises,
            parks=self.parks,
            needs=self.needs,
            outcomes=self.outcomes,
            participants=self.participants,
        )

    def until(self, as_of: pd.Timestamp) -> TrainingFrames:
        """The frames as they were known on ``as_of``: outcomes dated after it are dropped."""
        keep = self.outcomes["date"] <= pd.Timestamp(as_of)
        return TrainingFrames(
            enterprises=self.enterprises,
            parks=self.parks,
            needs=self.needs,
            outcomes=self.outcomes.loc[keep].reset_index(drop=True),
            participants=self.participants,
        )


def city_codes(names: pd.Series, reference: Reference) -> pd.Series:
    """Adcodes of city names (蚌埠市, 蚌埠, 闵行区) or adcodes, via the reference cities.

    Raises
    ------
    InvalidInputError
        Naming the first values that are neither a known name nor an adcode.
    """
    cities = reference.cities
    lookup: dict[str, str] = {}
    for col in ("short_name", "name", "city_code"):
        lookup.update(zip(cities[col].astype(str), cities["city_code"].astype(str), strict=True))
    text = names.astype(object).where(names.notna(), "").astype(str).str.strip()
    out = text.map(lookup)
    unknown = text[out.isna()].unique().tolist()
    if unknown:
        raise InvalidInputError(
            f"city must be a known city name or adcode, got {unknown[:5]} "
            f"({int(out.isna().sum())} rows)"
        )
    return out.astype(object)


def _with_codes(frame: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    if "city" not in frame.columns:
        return frame
    out = frame.drop(columns="city")
    out["city_code"] = city_codes(frame["city"], reference).to_numpy()
    return out


def frames_from_world(world: World, reference: Reference) -> TrainingFrames:
    """The conformed frames of a generated world (what importing it would store).

    Parameters
    ----------
    world : from :func:`training.world.generate_world`.
    reference : the reference data it was generated with.
    """
    return TrainingFrames(
        enterprises=conform(_with_codes(world.enterprises, reference), ENTERPRISE),
        parks=conform(_with_codes(world.parks, reference), PARK),
        needs=conform(world.needs, NEED),
        outcomes=conform(world.outcomes, OUTCOME),
        participants=conform(world.participants, PARTICIPANT),
    )


def events_from_world(world: World, reference: Reference) -> pd.DataFrame:
    """The world's events conformed to ``features.schema.EVENT``."""
    return conform(_with_codes(world.events, reference), EVENT)
