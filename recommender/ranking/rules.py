"""Business rules applied after the model: filters, boosts, exclusions, diversity, exposure caps.

Rules come from a TOML file (``CHAINMATCH_RULES_FILE``); every key is optional and the
defaults below are what the service uses without a file::

    [boosts]
    official_pair = 0.10      # added to the model score when the candidate is in the paired city
    co_built_park = 0.05      # ... when it partners a co-built park of the query city

    [exclusions]
    existing_partners = true  # drop pairs that already signed or landed
    declined_within_months = 12
    no_thanks = true          # drop pairs either side marked "no" (a declined outcome counts)

    [diversity]
    max_per_city = 5          # in the top k, candidates beyond this per city are moved down
    max_per_node = 6          # ... and per chain node

    [exposure]
    max_per_candidate_per_batch = 5  # across one batch of lists, a firm appears at most this often
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import ValidationError


@dataclass(frozen=True)
class Boosts:
    official_pair: float = 0.10
    co_built_park: float = 0.05


@dataclass(frozen=True)
class Exclusions:
    existing_partners: bool = True
    declined_within_months: int = 12
    no_thanks: bool = True


@dataclass(frozen=True)
class Diversity:
    max_per_city: int = 5
    max_per_node: int = 6


@dataclass(frozen=True)
class Exposure:
    max_per_candidate_per_batch: int = 5


@dataclass(frozen=True)
class Rules:
    """All business rules; build with :func:`load_rules` or use the defaults."""

    boosts: Boosts = field(default_factory=Boosts)
    exclusions: Exclusions = field(default_factory=Exclusions)
    diversity: Diversity = field(default_factory=Diversity)
    exposure: Exposure = field(default_factory=Exposure)


_SECTIONS: dict[str, type] = {
    "boosts": Boosts,
    "exclusions": Exclusions,
    "diversity": Diversity,
    "exposure": Exposure,
}


def rules_from_dict(data: dict[str, Any], *, source: str = "rules") -> Rules:
    """Validate a parsed rules mapping; unknown sections/keys and wrong types are errors."""
    parts: dict[str, Any] = {}
    for section, value in data.items():
        if section not in _SECTIONS:
            raise ValidationError(
                f"{source}: unknown section [{section}], expected one of {sorted(_SECTIONS)}"
            )
        if not isinstance(value, dict):
            raise ValidationError(f"{source}: [{section}] must be a table, got {value!r}")
        cls = _SECTIONS[section]
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, raw in value.items():
            v = raw
            if key not in known:
                raise ValidationError(
                    f"{source}: unknown key {section}.{key}, expected one of {sorted(known)}"
                )
            want = type(getattr(cls(), key))
            ok = isinstance(v, want) and not (want is int and isinstance(v, bool))
            if want is float and isinstance(v, int) and not isinstance(v, bool):
                v, ok = float(v), True
            if not ok:
                raise ValidationError(
                    f"{source}: {section}.{key} must be {want.__name__}, got {v!r}"
                )
            if want in (int, float) and v < 0:
                raise ValidationError(f"{source}: {section}.{key} must be >= 0, got {v!r}")
            kwargs[key] = v
        parts[section] = cls(**kwargs)
    return Rules(**parts)


def load_rules(path: Path | None) -> Rules:
    """Read a rules TOML file; ``None`` gives the documented defaults."""
    if path is None:
        return Rules()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValidationError(f"rules file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"rules file {path} is not valid TOML: {exc}") from exc
    return rules_from_dict(data, source=str(path))


def apply_boosts(frame: pd.DataFrame, rules: Rules) -> np.ndarray:
    """Final score = model score + boosts (columns ``score``, ``official_pair``, ``co_built``)."""
    b = rules.boosts
    return (
        frame["score"].to_numpy(dtype=float)
        + b.official_pair * frame["official_pair"].to_numpy(dtype=float)
        + b.co_built_park * frame["co_built"].to_numpy(dtype=float)
    )


def diversify(frame: pd.DataFrame, rules: Rules, *, k: int) -> pd.DataFrame:
    """Order by ``final_score`` and move candidates beyond the per-city / per-node caps down.

    Vectorised: the rank of each candidate inside its city and its node is computed on the
    score order; those over a cap keep their relative order but come after all that are not.
    """
    if k < 1:
        raise ValidationError(f"k must be an integer >= 1, got {k}")
    ordered = frame.sort_values(
        ["final_score", "candidate_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    d = rules.diversity
    over = np.zeros(len(ordered), dtype=bool)
    if d.max_per_city > 0 and "city_code" in ordered:
        over |= ordered.groupby("city_code", sort=False).cumcount().to_numpy() >= d.max_per_city
    if d.max_per_node > 0 and "node" in ordered:
        node_rank = ordered.groupby("node", sort=False).cumcount().to_numpy()
        over |= (node_rank >= d.max_per_node) & (ordered["node"].to_numpy() != "")
    ordered["diversity_demoted"] = over
    return ordered.sort_values("diversity_demoted", kind="stable").reset_index(drop=True)


class ExposureCounter:
    """Counts how often each candidate appeared across one batch of lists."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.counts: dict[str, int] = {}

    def allowed(self, candidate_ids: np.ndarray) -> np.ndarray:
        """Mask of candidates still under the cap."""
        if self.cap <= 0:
            return np.ones(len(candidate_ids), dtype=bool)
        return np.array([self.counts.get(c, 0) < self.cap for c in candidate_ids], dtype=bool)

    def record(self, candidate_ids: np.ndarray) -> None:
        for c in candidate_ids:
            self.counts[c] = self.counts.get(c, 0) + 1
