"""Reference data: cities, industries, input-output coefficients, chains and parks.

The tables live in data/reference/ (built from public raw tables by
:func:`features.refdata.build_reference`; see data/reference/SOURCES.md). :func:`load_reference`
reads them into a :class:`Reference`, computing the input-output matrices on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.errors import ReferenceDataError
from features.refdata.chains import CHAIN_COLUMNS, EDGE_COLUMNS, NODE_COLUMNS
from features.refdata.cities import CITY_COLUMNS, COUNTY_PAIR_COLUMNS
from features.refdata.industry import (
    BRIDGE_COLUMNS,
    INDUSTRY_COLUMNS,
    IO_FLOW_COLUMNS,
    IO_SECTOR_COLUMNS,
    io_matrices,
)
from features.refdata.parks import PARK_COLUMNS

DEFAULT_REF_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"

# table -> (expected columns, numeric columns); every other column is read as text
_LAYOUT: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "cities": (CITY_COLUMNS, ("lon", "lat")),
    "county_pairs": (COUNTY_PAIR_COLUMNS, ()),
    "industries": (INDUSTRY_COLUMNS, ("level",)),
    "io_sectors": (IO_SECTOR_COLUMNS, ()),
    "io_flows": (IO_FLOW_COLUMNS, tuple(IO_FLOW_COLUMNS[1:])),
    "gbt_to_io": (BRIDGE_COLUMNS, ()),
    "chains": (CHAIN_COLUMNS, ()),
    "chain_nodes": (NODE_COLUMNS, ("tier",)),
    "chain_edges": (EDGE_COLUMNS, ()),
    "parks": (PARK_COLUMNS, ("area_ha", "lat", "lon")),
}


@dataclass(frozen=True)
class Reference:
    """All reference tables, read-only by convention (callers copy before changing).

    Attributes
    ----------
    cities : city_code, name, short_name, name_en, province, level, lon, lat, role,
        partner_code ('' if none).
    county_pairs : helping_code, helping_name, wanbei_code, wanbei_name.
    industries : GB/T 4754-2017 code ('C', '39', '397', '3973'), level, section, division,
        name, remark.
    io_sectors : io_code ('01'..'42'), name, name_en.
    gbt_to_io : division (2-digit) -> io_code, one row per division.
    io_A : (42, 42) direct coefficients, ``A[i, j] = z_ij / x_j`` (row i supplies column j).
    io_L : (42, 42) Leontief inverse ``(I - A)^-1``.
    chains, chain_nodes, chain_edges : the priority chains as DAGs (src supplies dst).
    parks : PARK schema columns + kind ('catalogue'|'co_built'), gbt_divisions, coord_source.
    """

    cities: pd.DataFrame
    county_pairs: pd.DataFrame
    industries: pd.DataFrame
    io_sectors: pd.DataFrame
    gbt_to_io: pd.DataFrame
    io_A: np.ndarray  # noqa: N815 - name fixed by docs/dev/CONTRACTS.md (A of the IO literature)
    io_L: np.ndarray  # noqa: N815 - same (Leontief inverse L)
    chains: pd.DataFrame
    chain_nodes: pd.DataFrame
    chain_edges: pd.DataFrame
    parks: pd.DataFrame
    _division_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        position = {code: i for i, code in enumerate(self.io_sectors["io_code"])}
        index = {
            str(d): position[str(c)]
            for d, c in zip(self.gbt_to_io["division"], self.gbt_to_io["io_code"], strict=True)
        }
        object.__setattr__(self, "_division_index", index)

    def sector_of(self, industry_codes: pd.Series) -> np.ndarray:
        """IO sector index (row/column of ``io_A``) of each GB/T code.

        Parameters
        ----------
        industry_codes : GB/T 4754-2017 codes of level division or finer ('39', '397',
            '3973'; a leading section letter as in 'C3973' is accepted). Missing values,
            section letters alone and unknown divisions give -1.

        Returns
        -------
        int64 array of the same length, values in 0..41 or -1.
        """
        codes, uniques = pd.factorize(industry_codes, use_na_sentinel=True)
        mapped = np.fromiter(
            (self._division_index.get(_division(u), -1) for u in uniques),
            dtype=np.int64,
            count=len(uniques),
        )
        if len(mapped) == 0:
            return np.full(len(codes), -1, dtype=np.int64)
        return np.where(codes >= 0, mapped[np.maximum(codes, 0)], -1)


def _division(code: object) -> str:
    text = str(code).strip().upper()
    if text[:1].isalpha():
        text = text[1:]
    if 2 <= len(text) <= 4 and text.isdigit():
        return text[:2]
    return ""


def _read_table(ref_dir: Path, name: str) -> pd.DataFrame:
    path = ref_dir / f"{name}.csv"
    if not path.is_file():
        raise ReferenceDataError(
            f"expected reference table {path}, found no file; run `chainmatch reference build`"
        )
    columns, numeric = _LAYOUT[name]
    frame = pd.read_csv(
        path,
        dtype={c: str for c in columns if c not in numeric},
        keep_default_na=False,
        na_values={c: [""] for c in numeric},
        encoding="utf-8",
    )
    if list(frame.columns) != columns:
        raise ReferenceDataError(
            f"{path.name}: expected columns {columns}, got {list(frame.columns)}"
        )
    return frame


def load_reference(ref_dir: Path | None = None) -> Reference:
    """Read the reference tables and compute the input-output matrices.

    Parameters
    ----------
    ref_dir : folder with the built CSVs; default the repository's data/reference/.

    Returns
    -------
    Reference
    """
    folder = DEFAULT_REF_DIR if ref_dir is None else Path(ref_dir)
    t = {name: _read_table(folder, name) for name in _LAYOUT}
    A, L = io_matrices(t["io_flows"])
    return Reference(
        cities=t["cities"],
        county_pairs=t["county_pairs"],
        industries=t["industries"],
        io_sectors=t["io_sectors"],
        gbt_to_io=t["gbt_to_io"],
        io_A=A,
        io_L=L,
        chains=t["chains"],
        chain_nodes=t["chain_nodes"],
        chain_edges=t["chain_edges"],
        parks=t["parks"],
    )
