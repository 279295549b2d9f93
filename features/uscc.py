"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

A code has 18 characters from the 31-character set ``0-9`` and the capitals without
I, O, S, V and Z. The 18th character is a check character: with the value ``c_i`` of the
i-th character (its position in the set) and the weight ``w_i = 3**(i-1) mod 31``,

    check = 31 - (sum_{i=1..17} c_i * w_i) mod 31,   and a result of 31 is written as 0.

The scalar functions serve single codes; :func:`valid_uscc_mask` checks a whole column at
once with numpy (one pass, no Python loop per row).
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "USCC_CHARSET",
    "USCC_WEIGHTS",
    "check_values",
    "is_valid_uscc",
    "uscc_check_digit",
    "uscc_format_mask",
    "valid_uscc_mask",
]

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
_FORMAT = re.compile(rf"^[{USCC_CHARSET}]{{18}}$")
_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}

# byte -> value in the charset, -1 for bytes outside it
_LOOKUP = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(USCC_CHARSET):
    _LOOKUP[ord(_ch)] = _i
_WEIGHTS = np.asarray(USCC_WEIGHTS, dtype=np.int64)
_CHARS = np.frombuffer(USCC_CHARSET.encode("ascii"), dtype=np.uint8)


def check_values(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The GB 32100-2015 check value of each row of ``values``: ``(31 - sum(w_i v_i) % 31) % 31``
    over the first 17 characters' values in :data:`USCC_CHARSET` (shape ``(n, 17)``), the
    one place the formula is written.
    """
    result: npt.NDArray[np.int64] = (31 - (values @ _WEIGHTS) % 31) % 31
    return result


def uscc_check_digit(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a code.

    Parameters
    ----------
    first17 : the registration authority, type, administrative code and organisation code
        (17 characters from :data:`USCC_CHARSET`; lower case is accepted).

    Raises
    ------
    ValueError
        If ``first17`` is not 17 characters of the code's character set.
    """
    body = first17.upper()
    if len(body) != 17 or any(ch not in _VALUE for ch in body):
        raise ValueError(
            f"expected 17 characters from {USCC_CHARSET!r}, got {first17!r} ({len(first17)} chars)"
        )
    values = np.asarray([[_VALUE[ch] for ch in body]], dtype=np.int64)
    return USCC_CHARSET[int(check_values(values)[0])]


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` is 18 characters of the code's set with a correct check character.

    Lower-case letters are accepted (codes are compared upper-cased); surrounding
    whitespace is not.
    """
    body = code.upper()
    if not _FORMAT.match(body):
        return False
    return uscc_check_digit(body[:17]) == body[17]


def uscc_format_mask(codes: pd.Series) -> np.ndarray:
    """Boolean array: True where the (upper-cased) value is 18 characters of the set."""
    upper = codes.astype("str").str.upper()
    return np.asarray(upper.str.fullmatch(f"[{USCC_CHARSET}]{{18}}").fillna(False), dtype=bool)


def valid_uscc_mask(codes: pd.Series) -> np.ndarray:
    """Boolean array: True where the value is a well-formed code with a correct check character.

    Vectorised: the well-formed codes are packed into one ``(n, 18)`` byte matrix, the
    weighted sums taken with one matrix-vector product and compared with the 18th column.
    """
    upper = codes.astype("str").str.upper()
    ok = uscc_format_mask(upper)
    result = np.zeros(len(upper), dtype=bool)
    if not ok.any():
        return result
    packed = "".join(upper.to_numpy(dtype=object)[ok]).encode("ascii")
    matrix = np.frombuffer(packed, dtype=np.uint8).reshape(-1, 18)
    values = _LOOKUP[matrix]
    expected = _CHARS[check_values(values[:, :17])]
    result[ok] = expected == matrix[:, 17]
    return result
