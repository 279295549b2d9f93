"""The resolved pairs every family works on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
Columns = dict[str, npt.NDArray[np.floating]]
T = TypeVar("T")


@dataclass(frozen=True)
class Pairs:
    """Entity rows of each pair, in input order.

    ``provider``/``demander`` are the query or the candidate depending on the kind:
    supplier and investor queries demand and their candidates provide; customer queries
    provide and their candidates demand.
    """

    kind: str
    query: IntArray
    cand: IntArray
    provider: IntArray
    demander: IntArray
    day: IntArray  # as-of day number per pair (features.history.to_days)
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.query)

    def memo(self, name: str, make: Callable[[], T]) -> T:
        """A value several families read from these pairs (a history lookup), made once."""
        if name not in self._memo:
            self._memo[name] = make()
        value: T = self._memo[name]
        return value
