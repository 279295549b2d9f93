"""Small array tests shared by the feature code."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def one_value(a: npt.NDArray[np.int64]) -> bool:
    """Whether an array of more than one element holds a single value (the ends first, so
    a typical mixed array costs two reads): one query's side of a ranking request."""
    return len(a) > 1 and a[0] == a[-1] and bool((a == a[0]).all())
