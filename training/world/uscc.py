"""Unified social credit codes (统一社会信用代码) per GB 32100-2015.

An 18-character code: registration authority (1 char), organisation kind (1), area code of
the registering authority (6-digit adcode), organisation code (9), check character (1). Every
character is drawn from the 31-character alphabet ``0-9A-Z`` without ``I O S V Z``. The check
character is ``(31 - sum(w_i * v_i) % 31) % 31`` over the first 17 characters, with the
weights below. The world generator writes ``9`` (工商) + ``1`` (企业) + the firm's city adcode.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], np.int64)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# code point -> alphabet value, -1 outside the alphabet (vectorised validation)
_LOOKUP = np.full(128, -1, np.int64)
for _i, _ch in enumerate(ALPHABET):
    _LOOKUP[ord(_ch)] = _i
_CODEPOINTS = np.array([ord(c) for c in ALPHABET], np.uint32)


def check_char(body: str) -> str:
    """The check character of a 17-character USCC body.

    Parameters
    ----------
    body : the first 17 characters of the code.

    Returns
    -------
    str
        The 18th character.

    Raises
    ------
    ValueError
        If ``body`` is not 17 characters of the USCC alphabet.
    """
    if len(body) != 17 or any(ch not in _VALUE for ch in body):
        raise ValueError(
            f"a USCC body must be 17 characters of {ALPHABET!r}, got {body!r} ({len(body)} chars)"
        )
    total = sum(int(w) * _VALUE[ch] for w, ch in zip(WEIGHTS, body, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True if ``code`` is 18 characters of the alphabet with a correct check character."""
    if len(code) != 18:
        return False
    try:
        return check_char(code[:17]) == code[17]
    except ValueError:
        return False


def valid_mask(codes: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`is_valid` over an array of strings."""
    arr = np.asarray(codes, dtype="<U18")
    ok = np.char.str_len(arr) == 18
    cps = arr.view(np.uint32).reshape(len(arr), 18).astype(np.int64)
    vals = _LOOKUP[np.minimum(cps, 127)]
    ok &= (vals >= 0).all(axis=1) & (cps < 128).all(axis=1)
    check = (31 - (vals[:, :17] * WEIGHTS).sum(axis=1) % 31) % 31
    return np.asarray(ok & (check == vals[:, 17]), dtype=np.bool_)


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
    vals[:, 17] = (31 - (vals[:, :17] * WEIGHTS).sum(axis=1) % 31) % 31
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
