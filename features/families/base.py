"""The resolved pairs every family works on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
Columns = dict[str, npt.NDArray[np.floating]]


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

    def __len__(self) -> int:
        return len(self.query)
