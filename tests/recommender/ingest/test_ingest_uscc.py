"""统一社会信用代码 check characters (GB 32100-2015), scalar and vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.uscc import (
    USCC_CHARSET,
    USCC_WEIGHTS,
    is_valid_uscc,
    uscc_check_digit,
    valid_uscc_mask,
)

# codes of well-known firms, as published in their business registrations
REAL_CODES = [
    "91110000600037341L",
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
]


def test_weights_are_powers_of_three_mod_31() -> None:
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(USCC_CHARSET) == 31
    assert not set("IOSVZ") & set(USCC_CHARSET)


def test_hand_computed_check_character() -> None:
    # 9 1 3 4 0 3 0 0 M A 2 N 8 K 5 Q 0 -> values 9 1 3 4 0 3 0 0 21 10 2 22 8 19 5 24 0
    # products with the weights: 9 3 27 108 0 78 0 0 420 290 50 286 64 456 50 720 0
    # sum 2561; 2561 mod 31 = 19; 31 - 19 = 12 -> the 13th character of the set, 'C'
    assert uscc_check_digit("91340300MA2N8K5Q0") == "C"
    assert is_valid_uscc("91340300MA2N8K5Q0C")
    assert not is_valid_uscc("91340300MA2N8K5Q0D")


def test_remainder_zero_gives_check_character_zero() -> None:
    # the last weight (28) is invertible mod 31, so exactly one last character makes the
    # weighted sum a multiple of 31; the check character is then '0', not a 32nd character
    head = "9134030000000000"
    partial = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(head, USCC_WEIGHTS, strict=False))
    last = [ch for ch in USCC_CHARSET if (partial + USCC_CHARSET.index(ch) * 28) % 31 == 0]
    assert len(last) == 1
    assert uscc_check_digit(head + last[0]) == "0"


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert uscc_check_digit(code[:17]) == code[17]


@pytest.mark.parametrize(
    "code",
    ["91110000600037341M", "91110000600037341", "911100006000373410X", "91110000600O37341L", ""],
)
def test_invalid_codes(code: str) -> None:
    assert not is_valid_uscc(code)


def test_lower_case_is_accepted() -> None:
    assert is_valid_uscc("9144030071526726xg")


def test_check_digit_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="expected 17 characters"):
        uscc_check_digit("9111000060003734")
    with pytest.raises(ValueError, match="got '9111000060003734I'"):
        uscc_check_digit("9111000060003734I")


def test_vectorised_mask_matches_scalar() -> None:
    rng = np.random.default_rng(3)
    chars = np.array(list(USCC_CHARSET))
    bodies = ["".join(rng.choice(chars, 17)) for _ in range(500)]
    codes = [b + uscc_check_digit(b) for b in bodies[:250]] + [b + "0" for b in bodies[250:]]
    codes += [*REAL_CODES, "short", "", "91110000600037341l"]
    mask = valid_uscc_mask(pd.Series(codes, dtype="str"))
    assert mask.tolist() == [is_valid_uscc(c) for c in codes]
    assert mask[:250].all()
    assert mask[-1]  # lower-case check letter
