"""``build_reference``: raw public tables -> data/reference/*.csv (and raw/ copies)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pandas as pd

from features.errors import ReferenceDataError
from features.refdata.chains import build_chain_tables
from features.refdata.cities import build_cities, build_county_pairs, read_adcodes
from features.refdata.industry import (
    build_gbt_to_io,
    build_industries,
    build_io_flows,
    build_io_sectors,
)
from features.refdata.parks import build_parks

log = logging.getLogger(__name__)

ADCODES = Path("admin_geo/adcodes.csv")
ZONES = Path("dev_zones/dz2018_sh_js_zj_ah_with_qa.csv")
GBT = Path("industry_codes/gbt4754_2017_industry_codes.csv")
BRIDGE = Path("industry_codes/bridge_io42_to_gbt4754_division_DERIVED.csv")
FLOWS = Path("io_tables/china_2020_42_flows.csv")
# the raw tables used, with the licence/description files that travel with them
RAW_FILES: tuple[Path, ...] = (
    ADCODES,
    Path("admin_geo/LICENSE_cpca_MIT.txt"),
    ZONES,
    GBT,
    BRIDGE,
    FLOWS,
    Path("io_tables/SOURCE_ionet_DESCRIPTION.txt"),
)
TABLES = (
    "cities", "county_pairs", "industries", "io_sectors", "io_flows", "gbt_to_io",
    "chains", "chain_nodes", "chain_edges", "parks",
)  # fmt: skip


def _read(shared_dir: Path, rel: Path, **kwargs: object) -> pd.DataFrame:
    path = shared_dir / rel
    if not path.is_file():
        raise ReferenceDataError(f"expected raw table {rel} under {shared_dir}, found no file")
    return pd.read_csv(path, encoding="utf-8", **kwargs)  # type: ignore[call-overload, no-any-return]


def build_tables(shared_dir: Path) -> dict[str, pd.DataFrame]:
    """Build every reference table from the raw tables in ``shared_dir`` (nothing written).

    Parameters
    ----------
    shared_dir : folder laid out like /work/shared/data (admin_geo/, dev_zones/, ...).

    Returns
    -------
    dict of table name (see :data:`TABLES`) -> DataFrame.
    """
    adcodes = read_adcodes(_read(shared_dir, ADCODES, dtype={"adcode": str}))
    zones = _read(shared_dir, ZONES, dtype=str, keep_default_na=False)
    gbt = _read(shared_dir, GBT, dtype=str)
    bridge = _read(shared_dir, BRIDGE, dtype=str)
    flows = _read(shared_dir, FLOWS, dtype={"Code": str})

    cities = build_cities(adcodes)
    industries = build_industries(gbt)
    io_sectors = build_io_sectors(flows)
    chains, chain_nodes, chain_edges = build_chain_tables()
    return {
        "cities": cities,
        "county_pairs": build_county_pairs(adcodes),
        "industries": industries,
        "io_sectors": io_sectors,
        "io_flows": build_io_flows(flows),
        "gbt_to_io": build_gbt_to_io(bridge, industries, io_sectors),
        "chains": chains,
        "chain_nodes": chain_nodes,
        "chain_edges": chain_edges,
        "parks": build_parks(zones, cities, adcodes),
    }


def build_reference(shared_dir: Path, out_dir: Path) -> dict[str, int]:
    """Rebuild data/reference from the raw tables and copy the raw tables used.

    Parameters
    ----------
    shared_dir : folder laid out like /work/shared/data; ``out_dir / "raw"`` works too
        (the committed copies), so the tables can be rebuilt without the shared folder.
    out_dir : where ``<table>.csv`` (UTF-8, '\\n' line ends) and ``raw/`` are written.

    Returns
    -------
    dict of table name -> row count.
    """
    tables = build_tables(shared_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out_dir / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
    raw_out = out_dir / "raw"
    for rel in RAW_FILES:
        src, dst = shared_dir / rel, raw_out / rel
        if dst.exists() and src.resolve() == dst.resolve():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    counts = {name: len(frame) for name, frame in tables.items()}
    log.info("reference tables written to %s: %s", out_dir, counts)
    return counts
