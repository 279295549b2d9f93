"""Write a world as import files + truth/, and read the truth back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from features.reference import Reference
from training.world.generate import World
from training.world.model import PairModel, build_model
from training.world.texts import build_text_model
from training.world.utility import Ties, Truth, pair_keys

FILES = ("enterprises", "parks", "needs", "events", "participants", "outcomes")
_TEXT = {
    "uscc": str,
    "industry_code": str,
    "owner_id": str,
    "query_id": str,
    "candidate_id": str,
    "event_id": str,
    "park_id": str,
    "partner_city_code": str,
    "chain_nodes": str,
    "available_slots": str,
    "must_meet": str,
    "no_meet": str,
    "gbt_divisions": str,
}


def write_world(world: World, out_dir: Path) -> dict[str, Path]:
    """Write the six import files (UTF-8 CSV) and truth/ under ``out_dir``.

    Parameters
    ----------
    world : from :func:`training.world.generate_world`.
    out_dir : target folder, created if missing; existing files are overwritten.

    Returns
    -------
    dict
        File stem -> path written.
    """
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in FILES:
        path = out / f"{name}.csv"
        getattr(world, name).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        written[name] = path
    truth = world.truth
    written["truth/firms"] = out / "truth" / "firms.parquet"
    truth.firms.to_parquet(written["truth/firms"], index=False)
    written["truth/pairs"] = out / "truth" / "pairs.parquet"
    truth.pairs.to_parquet(written["truth/pairs"], index=False)
    written["truth/params"] = out / "truth" / "params.json"
    written["truth/params"].write_text(
        json.dumps(truth.params, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return written


def read_import_file(world_dir: Path, name: str) -> pd.DataFrame:
    """One import file of a written world, identifiers kept as text, blanks as ''."""
    return pd.read_csv(
        Path(world_dir) / f"{name}.csv",
        dtype=_TEXT,
        keep_default_na=False,
        na_values={"amount_wan": [""], "area_ha": [""], "lat": [""], "lon": [""]},
        encoding="utf-8",
    )


def load_truth(world_dir: Path, *, reference: Reference) -> Truth:
    """Rebuild the :class:`Truth` of a written world from its files and the reference.

    Parameters
    ----------
    world_dir : the folder given to :func:`write_world`.
    reference : the reference data the world was generated with.
    """
    d = Path(world_dir)
    enterprises = read_import_file(d, "enterprises")
    needs = read_import_file(d, "needs")
    firms = pd.read_parquet(d / "truth" / "firms.parquet")
    pairs = pd.read_parquet(d / "truth" / "pairs.parquet")
    params = json.loads((d / "truth" / "params.json").read_text(encoding="utf-8"))
    hidden = firms.set_index("uscc")["hidden"].reindex(enterprises["uscc"]).to_numpy(float)
    model = build_model(reference, enterprises, reference.parks, needs, hidden)
    texts = (
        None
        if params.get("variant", "standard") == "standard"
        else build_text_model(reference, model, enterprises, reference.parks, needs)
    )
    return Truth(
        firms=firms,
        params=params,
        pairs=pairs,
        model=model,
        ties=ties_from_pairs(model, pairs),
        texts=texts,
    )


def ties_from_pairs(model: PairModel, pairs: pd.DataFrame) -> Ties:
    """Earliest intention date per pair key, from truth pairs."""
    hit = pairs[pairs["grade"] >= 2]
    if hit.empty:
        return Ties.empty()
    keys, dates = [], []
    for kind, grp in hit.groupby("query_kind"):
        queries = model.park_ids if kind == "investor" else model.firm_ids
        q = queries.get_indexer(pd.Index(grp["query_id"].astype(str)))
        c = model.firm_ids.get_indexer(pd.Index(grp["candidate_id"].astype(str)))
        keys.append(pair_keys(model, str(kind), q.astype(np.int64), c.astype(np.int64)))
        dates.append(grp["intention_date"].to_numpy().astype("datetime64[D]"))
    return Ties.build(np.concatenate(keys), np.concatenate(dates))
