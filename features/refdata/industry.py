"""GB/T 4754-2017 industries, the 42-sector input-output table and the bridge between them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.errors import ReferenceDataError

IO_CODES = tuple(f"{i:02d}" for i in range(1, 43))
INDUSTRY_COLUMNS = ["code", "level", "section", "division", "name", "remark"]
IO_SECTOR_COLUMNS = ["io_code", "name", "name_en"]
IO_FLOW_COLUMNS = ["io_code", *IO_CODES, "GO"]
BRIDGE_COLUMNS = ["division", "io_code", "division_name", "io_name"]

# Corrections to the hand-made bridge (division -> io_code), applied after its rows were
# checked one by one against both sector lists (data/reference/SOURCES.md). The check found
# nothing to correct; the table stays so that a correction is data, not a code change.
BRIDGE_CORRECTIONS: dict[str, str] = {}

# Transcription errors in the raw code table: (raw code, name) -> (code, level).
# 飞机制造 is class 3741 in the standard; the raw table lists it as a second group 374.
CODE_FIXES: dict[tuple[str, str], tuple[str, int]] = {("C374", "飞机制造"): ("C3741", 4)}


def build_industries(raw: pd.DataFrame) -> pd.DataFrame:
    """GB/T 4754-2017 hierarchy with normalised codes.

    Parameters
    ----------
    raw : industry_codes/gbt4754_2017_industry_codes.csv, all columns read as text.

    Returns
    -------
    DataFrame with ``code`` ('C', '39', '397', '3973'), ``level`` (1..4), ``section``,
    ``division`` ('' for sections), ``name``, ``remark``.
    """
    need = {"code", "level", "section_门类", "division_大类", "name", "remark"}
    if need - set(raw.columns):
        raise ReferenceDataError(
            f"industry code table lacks {sorted(need - set(raw.columns))}; got {list(raw.columns)}"
        )
    raw = raw.copy()
    for (bad_code, name), (code_fix, level_fix) in CODE_FIXES.items():
        hit = (raw["code"] == bad_code) & (raw["name"] == name)
        raw.loc[hit, "code"] = code_fix
        raw.loc[hit, "level"] = str(level_fix)
        raw.loc[hit, "class_小类"] = code_fix[1:]
    level = raw["level"].astype(int)
    # raw codes carry the section letter ('C3973'); the standard writes classes without it
    code = raw["code"].astype(str).where(level == 1, raw["code"].astype(str).str[1:])
    expected_len = level.map({1: 1, 2: 2, 3: 3, 4: 4})
    bad = code[code.str.len() != expected_len]
    if len(bad):
        raise ReferenceDataError(
            f"industry code {bad.iloc[0]!r} has the wrong length for its level; "
            "expected 1, 2, 3 or 4 characters for levels 1..4"
        )
    out = pd.DataFrame(
        {
            "code": code,
            "level": level,
            "section": raw["section_门类"].astype(str),
            "division": code.str[:2].where(level > 1, ""),
            "name": raw["name"].astype(str),
            "remark": raw["remark"].fillna("").astype(str),
        }
    )
    # the raw table omits groups that hold a single class (199 of the standard's 473); in the
    # standard such a group has its class's name and the class code ends in 0 ('372'/'3720')
    classes = out[out["level"] == 4]
    lone = classes[~classes["code"].str[:3].isin(out.loc[out["level"] == 3, "code"])]
    groups = lone.assign(code=lone["code"].str[:3], level=3, remark="")
    out = pd.concat([out, groups], ignore_index=True)
    order = out["section"] + "|" + out["code"].where(out["level"] > 1, "")
    out = out.iloc[order.argsort(kind="stable")]
    if out["code"].duplicated().any():
        dups = out["code"][out["code"].duplicated()].tolist()
        raise ReferenceDataError(f"industry codes must be unique, got duplicates {dups}")
    return out[INDUSTRY_COLUMNS].reset_index(drop=True)


def _domestic(flows: pd.DataFrame) -> pd.DataFrame:
    dom = flows[flows["Origin"] == "Domestic"]
    if list(dom["Code"]) != list(IO_CODES):
        raise ReferenceDataError(
            f"expected the 42 domestic rows 01..42 in order, got {list(dom['Code'])[:5]}... "
            f"({len(dom)} rows)"
        )
    return dom


def build_io_sectors(flows: pd.DataFrame) -> pd.DataFrame:
    """The 42 sectors with Chinese and English names, from the domestic rows of the flows table.

    Parameters
    ----------
    flows : io_tables/china_2020_42_flows.csv with ``Code`` read as text.

    Returns
    -------
    DataFrame with ``io_code``, ``name``, ``name_en``.
    """
    dom = _domestic(flows)
    return pd.DataFrame(
        {
            "io_code": dom["Code"].to_numpy(),
            "name": dom["DescriptionInChinese"].to_numpy(),
            "name_en": dom["Description"].to_numpy(),
        }
    )


def build_io_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Domestic intermediate flows z_ij (row i supplies column j) and total output GO_i.

    Parameters
    ----------
    flows : io_tables/china_2020_42_flows.csv with ``Code`` read as text.

    Returns
    -------
    DataFrame with ``io_code``, the 42 column sectors '01'..'42' and ``GO`` (10,000 CNY).
    """
    dom = _domestic(flows)
    missing = [c for c in (*IO_CODES, "GO") if c not in dom.columns]
    if missing:
        raise ReferenceDataError(f"flows table lacks columns {missing}")
    out = dom[[*IO_CODES, "GO"]].astype(float).reset_index(drop=True)
    out.insert(0, "io_code", dom["Code"].to_numpy())
    return out


def io_matrices(io_flows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Direct coefficients and Leontief inverse from the domestic flows.

    Parameters
    ----------
    io_flows : output of :func:`build_io_flows` (42 rows in sector order).

    Returns
    -------
    A : (42, 42) array, ``A[i, j] = z_ij / GO_j`` (0 where GO_j <= 0).
    L : (42, 42) array, ``(I - A)^-1``.
    """
    Z = io_flows[list(IO_CODES)].to_numpy(dtype=float)
    go = io_flows["GO"].to_numpy(dtype=float)
    if Z.shape != (42, 42):
        raise ReferenceDataError(f"expected 42x42 flows, got {Z.shape}")
    safe = np.where(go > 0, go, 1.0)
    A = np.where(go[None, :] > 0, Z / safe[None, :], 0.0)
    L = np.linalg.inv(np.eye(len(go)) - A)
    return A, L


def build_gbt_to_io(
    bridge: pd.DataFrame, industries: pd.DataFrame, io_sectors: pd.DataFrame
) -> pd.DataFrame:
    """Checked bridge: one row per GB/T division -> 42-sector io_code.

    The names in the hand-made bridge must equal the names in both standards (so a row that
    points at the wrong sector shows up as a name mismatch), every division must appear once,
    and :data:`BRIDGE_CORRECTIONS` is applied last.

    Parameters
    ----------
    bridge : industry_codes/bridge_io42_to_gbt4754_division_DERIVED.csv, read as text.
    industries : output of :func:`build_industries`.
    io_sectors : output of :func:`build_io_sectors`.

    Returns
    -------
    DataFrame with ``division``, ``io_code``, ``division_name``, ``io_name``.
    """
    div = industries[industries["level"] == 2].set_index("code")["name"]
    io_name = io_sectors.set_index("io_code")["name"]
    b = pd.DataFrame(
        {
            "division": bridge["gbt4754_division"].astype(str).str[-2:],
            "io_code": bridge["io42_code"].astype(str).str.zfill(2),
            "division_name_raw": bridge["gbt4754_division_name"].astype(str),
            "io_name_raw": bridge["io42_name"].astype(str),
        }
    )
    problems: list[str] = []
    dup = b["division"][b["division"].duplicated()].tolist()
    if dup:
        problems.append(f"divisions listed twice: {dup}")
    absent = sorted(set(div.index) - set(b["division"]))
    if absent:
        problems.append(f"divisions without a sector: {absent}")
    for row in b.itertuples(index=False):
        if div.get(row.division) != row.division_name_raw:
            problems.append(
                f"division {row.division}: bridge says {row.division_name_raw!r}, "
                f"the standard says {div.get(row.division)!r}"
            )
        if io_name.get(row.io_code) != row.io_name_raw:
            problems.append(
                f"io sector {row.io_code}: bridge says {row.io_name_raw!r}, "
                f"the IO table says {io_name.get(row.io_code)!r}"
            )
    if problems:
        raise ReferenceDataError("gbt->io bridge failed its check: " + "; ".join(problems))
    b["io_code"] = [
        BRIDGE_CORRECTIONS.get(d, c) for d, c in zip(b["division"], b["io_code"], strict=True)
    ]
    out = pd.DataFrame(
        {
            "division": b["division"],
            "io_code": b["io_code"],
            "division_name": b["division"].map(div),
            "io_name": b["io_code"].map(io_name),
        }
    )
    return out.sort_values("division").reset_index(drop=True)[BRIDGE_COLUMNS]
