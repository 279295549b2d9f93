"""Unified social credit codes (统一社会信用代码) per GB 32100-2015.

An 18-character code: registration authority (1 char), organisation kind (1), area code of
the registering authority (6-digit adcode), organisation code (9), check character (1). Every
character is drawn from the 31-character alphabet ``0-9A-Z`` without ``I O S V Z``. The check
character is ``(31 - sum(w_i * v_i) % 31) % 31`` over the first 17 characters
(:mod:`features.uscc`, shared with the importer's validation).
The world generator writes ``9`` (工商) + ``1`` (企业) + the firm's city adcode.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from features.uscc import USCC_CHARSET, check_values

# one implementation of the alphabet and the check character: features.uscc
_LOOKUP = np.full(128, -1, np.int64)
for _i, _ch in enumerate(USCC_CHARSET):
    _LOOKUP[ord(_ch)] = _i
_CODEPOINTS = np.array([ord(c) for c in USCC_CHARSET], np.uint32)


def make_usccs(area_codes: npt.NDArray[np.str_], rng: np.random.Generator) -> npt.NDArray[np.str_]:
    """Random, valid and unique enterprise USCCs (``91`` + area code + 9 chars + check).

    The 9-character organisation codes are distinct, so the codes are too.

    Parameters
    ----------
    area_codes : 6-digit adcodes, one per code to make.
    rng : the source of randomness.

    Returns
    -------
    ndarray of str
        One 18-character code per area code, all distinct.
    """
    n = len(area_codes)
    area = np.asarray(area_codes, dtype="<U6")
    area_cp = area.view(np.uint32).reshape(n, 6).astype(np.int64)
    area_vals = _LOOKUP[np.minimum(area_cp, 127)]
    if n and ((area_vals < 0).any() or (area_vals > 9).any()):
        raise ValueError("area codes must be 6 digits; got e.g. " + repr(area[0]))
    vals = np.empty((n, 18), np.int64)
    vals[:, 0] = 9
    vals[:, 1] = 1
    vals[:, 2:8] = area_vals
    vals[:, 8:17] = rng.integers(0, 31, size=(n, 9))
    while True:  # collisions are ~n^2 / 31^9: almost never, but uniqueness is promised
        dup = _duplicated(_pack(vals[:, 8:17]))
        if not dup.any():
            break
        vals[dup, 8:17] = rng.integers(0, 31, size=(int(dup.sum()), 9))
    vals[:, 17] = check_values(vals[:, :17])
    cps = _CODEPOINTS[vals]
    return np.ascontiguousarray(cps).view("<U18").reshape(n)


def _pack(vals: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Pack base-31 digits (at most 12) into one int64."""
    out = np.zeros(len(vals), np.int64)
    for j in range(vals.shape[1]):
        out = out * 31 + vals[:, j]
    return out


def _duplicated(keys: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """True for every occurrence of a key after its first (in sorted order)."""
    dup = np.zeros(len(keys), np.bool_)
    if len(keys) > 1:
        order = np.argsort(keys, kind="stable")
        same = keys[order][1:] == keys[order][:-1]
        dup[order[1:][same]] = True
    return dup
