"""The synthetic world: valid codes and cities, a monotone funnel, documented rates,
utility that predicts outcomes, determinism, and the truth read back from disk."""

from __future__ import annotations

import hashlib
import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from features.reference import Reference, load_reference
from features.uscc import is_valid_uscc, uscc_check_digit, valid_uscc_mask
from training.errors import InvalidInputError
from training.world import generate_world, load_truth, true_utility, write_world
from training.world.generate import World
from training.world.writer import FILES

END = date(2025, 12, 31)
FUNNEL = ("recommended", "contacted", "meeting", "intention", "signed", "landed")


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def world(reference: Reference) -> World:
    return generate_world(reference, n_firms=5000, seed=11)


@pytest.fixture(scope="module")
def world_dir(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    write_world(world, out)
    return out


def test_check_char_matches_a_hand_computed_code() -> None:
    # 9*1 + 1*3 + 3*9 + 4*27 + 0*19 + 3*26 = 225; 225 % 31 = 8; 31 - 8 = 23 -> 'P'
    assert uscc_check_digit("91340300000000000") == "P"
    assert is_valid_uscc("91350100M000100Y43")  # the example printed in GB 32100-2015
    assert not is_valid_uscc("91350100M000100Y44")
    assert not is_valid_uscc("91350100M000100Y4")
    assert valid_uscc_mask(
        pd.Series(["91340300000000000P", "91340300000000000Q", "9134030000000000IP"])
    ).tolist() == [
        True,
        False,
        False,
    ]
    with pytest.raises(ValueError, match="17 characters"):
        uscc_check_digit("9134030000000000O")


def test_every_uscc_is_valid_unique_and_carries_its_city_code(
    world: World, reference: Reference
) -> None:
    e = world.enterprises
    assert valid_uscc_mask(e["uscc"]).all()
    assert e["uscc"].is_unique
    assert e["uscc"].str[:2].eq("91").all()
    code_of = dict(zip(reference.cities["name"], reference.cities["city_code"], strict=True))
    assert (e["uscc"].str[2:8] == e["city"].map(code_of)).all()


def test_every_city_is_a_reference_city(world: World, reference: Reference) -> None:
    names = set(reference.cities["name"])
    assert set(world.enterprises["city"]) <= names
    assert set(world.events["city"]) <= names
    assert set(world.parks["city"]) <= names
    # helping-side cities hold most firms, every Wanbei city some
    wanbei = set(reference.cities.loc[reference.cities["role"] == "wanbei", "name"])
    counts = world.enterprises["city"].value_counts()
    assert all(counts.get(c, 0) >= 20 for c in wanbei)
    assert counts[["苏州市", "杭州市"]].min() > counts[list(wanbei)].max()


def test_firm_flags_have_the_documented_shares(world: World, reference: Reference) -> None:
    e = world.enterprises
    n = len(e)
    assert e["is_leading"].sum() == 100
    assert e["is_high_tech"].sum() == 750
    assert (e["srdi_level"] == "province").sum() == 250
    assert (e["srdi_level"] == "national").sum() == 50
    assert e["listed"].sum() == 25
    assert 0.65 < (e["chain_nodes"] != "").mean() < 0.75
    lead = e[e["is_leading"]]
    helping = lead["uscc"].str[2:4].isin(["31", "32", "33"])
    assert helping.mean() > 0.7
    assert lead["revenue_wan"].median() > 10 * e["revenue_wan"].median()
    assert (lead["chain_nodes"] != "").all()
    nodes = reference.chain_nodes.set_index("node_id")
    chain_firms = e[e["chain_nodes"] != ""].head(200)
    for node, code in zip(chain_firms["chain_nodes"], chain_firms["industry_code"], strict=True):
        assert code in nodes.at[node, "gbt_classes"].split(";")
    assert e["name"].str.contains("示例|模拟").all()
    assert e["name"].str.endswith("有限公司").all()
    assert n == 5000


def _occasions(world: World) -> pd.DataFrame:
    """Outcome rows with the recommendation date of their occasion."""
    o = world.outcomes.assign(date=pd.to_datetime(world.outcomes["date"]))
    rec = o[o["stage"] == "recommended"][["query_kind", "query_id", "candidate_id", "date"]]
    rec = rec.rename(columns={"date": "rec_date"}).assign(occ_date=lambda f: f["rec_date"])
    o = o.sort_values("date")
    rec = rec.sort_values("occ_date")
    return pd.merge_asof(
        o, rec, left_on="date", right_on="occ_date", by=["query_kind", "query_id", "candidate_id"]
    )


def test_funnel_is_monotone_per_occasion(world: World) -> None:
    o = _occasions(world)
    assert o["rec_date"].notna().all()
    lag = (o["date"] - o["rec_date"]).dt.days
    assert lag.between(0, 180).all()
    key = ["query_kind", "query_id", "candidate_id", "rec_date"]
    wide = o.pivot_table(index=key, columns="stage", values="date", aggfunc="min")
    assert (o.groupby([*key, "stage"]).size() == 1).all()
    for earlier, later in itertools.pairwise(FUNNEL):
        reached = wide[later].notna()
        assert wide.loc[reached, earlier].notna().all(), f"{later} without {earlier}"
        assert (wide.loc[reached, later] >= wide.loc[reached, earlier]).all()
    declined = wide["declined"].notna()
    assert wide.loc[declined, "contacted"].notna().all()
    assert wide.loc[declined, "meeting"].isna().all()
    assert set(o["query_kind"]) == {"supplier", "investor", "customer"}


def test_rates_lie_in_the_documented_bands(world: World) -> None:
    o = _occasions(world)
    o = o[o["rec_date"] <= pd.Timestamp(END) - pd.Timedelta(days=180)]  # uncensored
    n = (o["stage"] == "recommended").sum()
    share = {s: (o["stage"] == s).sum() / n for s in (*FUNNEL, "declined")}
    assert 0.30 <= share["contacted"] <= 0.50
    assert 0.10 <= share["meeting"] <= 0.25
    assert 0.68 <= share["meeting"] / (share["contacted"] - share["declined"]) <= 0.82
    assert 0.03 <= share["intention"] <= 0.09
    assert 0.015 <= share["signed"] <= 0.05
    assert 0.005 <= share["landed"] <= 0.025
    assert share["landed"] < share["signed"]
    assert o.loc[o["stage"] == "signed", "amount_wan"].gt(0).all()


def test_higher_utility_gives_higher_grades(world: World) -> None:
    p = world.truth.pairs
    assert spearmanr(p["utility"], p["grade"]).statistic > 0.2
    quartile = pd.qcut(p["utility"], 4, labels=False)
    mean_grade = p.groupby(quartile)["grade"].mean().to_numpy()
    assert (np.diff(mean_grade) > 0).all()


def test_shown_lists_mix_good_and_mediocre_candidates(world: World) -> None:
    p = world.truth.pairs
    monthly = p[p["event_id"] == ""]
    sizes = monthly.groupby(["query_kind", "query_id", "date"]).size()
    assert 15 <= sizes.median() <= 50
    assert sizes.max() <= 50
    spread = p.groupby(["query_kind", "query_id", "date"])["utility"].std()
    assert spread.median() > 0.5


def test_truth_read_back_reproduces_the_utility_of_every_pair(
    world_dir: Path, reference: Reference
) -> None:
    truth = load_truth(world_dir, reference=reference)
    p = truth.pairs
    assert p["tie"].sum() > 0  # past ties occur and are part of the check
    for kind, g in p.groupby("query_kind"):
        u = true_utility(truth, str(kind), g["query_id"], g["candidate_id"], as_of=g["date"])
        np.testing.assert_allclose(u, g["utility"].to_numpy(), rtol=0, atol=1e-12)
    # any pair, not only drawn ones: scalar date, and hidden factors shift it as documented
    leaders = truth.firms["uscc"].to_numpy()[:3]
    u = true_utility(truth, "supplier", leaders[:2], leaders[1:], as_of=date(2024, 1, 1))
    assert u.shape == (2,)
    with pytest.raises(InvalidInputError, match="unknown candidate id 'NOPE'"):
        true_utility(truth, "supplier", leaders[:1], ["NOPE"])
    with pytest.raises(InvalidInputError, match="kind must be one of"):
        true_utility(truth, "buyer", leaders[:1], leaders[:1])


def test_hidden_factor_appears_in_no_import_file(world_dir: Path, world: World) -> None:
    hidden = world.truth.firms["hidden"].round(6).astype(str).head(50)
    e = pd.read_csv(world_dir / "enterprises.csv", dtype=str)
    assert "hidden" not in e.columns
    assert not e.isin(set(hidden)).any().any()
    assert sorted(p.name for p in (world_dir / "truth").iterdir()) == [
        "firms.parquet",
        "pairs.parquet",
        "params.json",
    ]


def test_upcoming_event_has_participants_and_no_outcomes(world: World) -> None:
    ev = world.events.set_index("event_id")
    up = world.upcoming_event
    day = pd.Timestamp(ev.at[up, "date"])
    assert pd.Timestamp(END) < day <= pd.Timestamp(END) + pd.Timedelta(days=31)
    part = world.participants[world.participants["event_id"] == up]
    assert (part["role"] == "leading").sum() >= 6
    assert (part["role"] == "supporting").sum() >= 20
    assert up not in set(world.outcomes["event_id"])
    assert pd.to_datetime(world.outcomes["date"]).max() <= pd.Timestamp(END)
    assert len(world.events) == 37  # 36 months + the upcoming one


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_files_other_seed_other_files(reference: Reference, tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_world(generate_world(reference, n_firms=800, seed=seed), tmp_path / name)
    a, b, c = (_digest(tmp_path / n) for n in "abc")
    assert len(a) == len(FILES) + 3
    assert a == b
    assert all(a[f] != c[f] for f in a if f != "parks.csv")  # parks are the reference's


def test_bad_arguments_are_refused(reference: Reference) -> None:
    with pytest.raises(InvalidInputError, match="n_firms must be an integer >= 100, got 10"):
        generate_world(reference, n_firms=10, seed=1)
    with pytest.raises(InvalidInputError, match="end must be after start"):
        generate_world(reference, n_firms=500, seed=1, start=END, end=date(2023, 1, 1))
