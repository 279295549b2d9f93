"""Business rules applied after the model: filters, boosts, exclusions, diversity, exposure caps.

Rules come from a TOML file (``CHAINMATCH_RULES_FILE``); every key is optional and the
defaults below are what the service uses without a file::

    [boosts]
    official_pair = 0.03      # added to the model score when the candidate is in the paired city
    co_built_park = 0.02      # ... when it partners a co-built park of the query city
                              # (the model's score is an expected funnel grade, 0 to ~2:
                              # 0.03 reorders near-ties only)

    [exclusions]
    existing_partners = false  # true: drop pairs that already signed or landed (either
                               # direction); by default they stay, and their reasons say
                               # they worked together before (a past partner is often the
                               # best next project: 以商招商, 增资扩产)
    declined_within_months = 12  # drop pairs with a "declined" outcome in the last N months
                                 # (0 = declines never exclude)
    no_thanks = true          # a decline counts whichever side asked: a firm that said "no" to
                              # a query is not proposed to it the other way round either
                              # (false: only declines recorded for this query's own requests)

    [diversity]
    max_per_city = 5          # in the list, candidates beyond this per city are moved down ...
    max_per_node = 6          # ... and per chain node (0 switches a cap off) ...
    tolerance = 0.03          # ... by at most this much score: a firm is passed only by firms
                              # scoring within this gap of it (0 = diversity off)

    [exposure]
    max_per_candidate_per_batch = 0  # across one batch of lists, a firm appears at most this
                                     # often (0 = no cap, the default: a query gets the same
                                     # list in a batch as alone; set it for an event's capacity)

Diversity is soft: it never puts a firm below one that scores more than ``tolerance`` less,
and the list is ordered by the score it shows (:func:`rerank`), so the success probability
shown (the calibrated shown score) falls down the list. A firm a rule moved is flagged, and
the service gives it a reason saying so.

Only outcomes dated before the request's as-of date count. An unknown section or key, a
wrong type or a negative number is an error naming the file, the key and what was expected.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from recommender.errors import ValidationError


@dataclass(frozen=True)
class Boosts:
    official_pair: float = 0.03
    co_built_park: float = 0.02


@dataclass(frozen=True)
class Exclusions:
    existing_partners: bool = False
    declined_within_months: int = 12
    no_thanks: bool = True


@dataclass(frozen=True)
class Diversity:
    max_per_city: int = 5
    max_per_node: int = 6
    tolerance: float = 0.03


@dataclass(frozen=True)
class Exposure:
    max_per_candidate_per_batch: int = 0


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


def _rank_within(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """For a sequence of group codes: how many earlier items share each item's group."""
    order = np.argsort(codes, kind="stable")
    sc = codes[order]
    n = len(sc)
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]]) if n else np.zeros(0, np.int64)
    lengths = np.diff(np.r_[starts, n])
    within = np.arange(n) - np.repeat(starts, lengths)
    out = np.empty(n, dtype=np.int64)
    out[order] = within
    return out


@dataclass(frozen=True)
class Reranked:
    """A list after the post-model rules.

    Attributes
    ----------
    order : positions of the candidates in display order.
    shown_score : the score each candidate is ordered by (model score + boosts, less the
        diversity penalty), aligned with the input; decreasing along ``order``.
    demoted : candidates the diversity rule moved down (aligned with the input).
    """

    order: npt.NDArray[np.int64]
    shown_score: npt.NDArray[np.float64]
    demoted: npt.NDArray[np.bool_]


def rerank(
    final_score: npt.NDArray[np.float64],
    tie_break: npt.NDArray[np.int64],
    *,
    city: npt.NDArray[np.int64],
    node: npt.NDArray[np.int64],
    rules: Rules,
) -> Reranked:
    """Display order: by final score, with the soft diversity rule applied.

    Walking down the order by ``final_score`` (descending; ties by ``tie_break`` ascending),
    a candidate whose city already has ``max_per_city`` candidates above it, or whose chain
    node (``node`` >= 0) has ``max_per_node``, loses ``tolerance`` of score; the list is then
    sorted by that shown score. So a firm over a cap is passed only by firms within
    ``tolerance`` of it, never by a clearly weaker one, and the order always follows the
    score shown. A cap of 0, or a tolerance of 0, switches the rule off.
    """
    order = np.lexsort((tie_break, -final_score))
    d = rules.diversity
    over = np.zeros(len(order), dtype=bool)
    if d.tolerance > 0:
        if d.max_per_city > 0:
            over |= _rank_within(city[order]) >= d.max_per_city
        if d.max_per_node > 0:
            nd = node[order]
            over |= (_rank_within(nd) >= d.max_per_node) & (nd >= 0)
    demoted = np.zeros(len(order), dtype=bool)
    demoted[order[over]] = True
    shown = np.asarray(final_score, dtype=np.float64) - d.tolerance * demoted
    if over.any():
        order = np.lexsort((tie_break, -shown))
    return Reranked(np.asarray(order, dtype=np.int64), shown, demoted)


class ExposureCounter:
    """Counts how often each candidate appeared across one batch of lists.

    Not thread-safe: one counter belongs to one batch, ranked one query after another.
    """

    def __init__(self, cap: int) -> None:
        if cap < 0:
            raise ValidationError(f"exposure cap must be an integer >= 0, got {cap}")
        self.cap = cap
        self.counts: dict[str, int] = {}

    def allowed(self, candidate_ids: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
        """Mask of candidates still under the cap (all, when the cap is 0 = off)."""
        if self.cap <= 0 or not self.counts:
            return np.ones(len(candidate_ids), dtype=bool)
        full = [c for c, n in self.counts.items() if n >= self.cap]
        return ~np.isin(candidate_ids, np.asarray(full, dtype=object))

    def record(self, candidate_ids: npt.NDArray[np.object_]) -> None:
        """Count one more appearance of each candidate shown."""
        for c in candidate_ids.tolist():
            self.counts[c] = self.counts.get(c, 0) + 1
