"""World variants: every variant is a valid world with documented rates, its
truth recomputes every drawn utility, the expected grade is the funnel's, each variant shows
its signature effect, and the standard world is byte-for-byte the world of before."""

from __future__ import annotations

import hashlib
import itertools
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.reference import Reference, load_reference
from features.uscc import valid_uscc_mask
from recommender.cli import app
from training.errors import InvalidInputError
from training.world import (
    VARIANTS,
    expected_grade,
    generate_world,
    load_truth,
    true_grades_for_query,
    true_utility,
    write_world,
)
from training.world.forms import VariantWorld
from training.world.funnel import VariantHooks, draw_funnel
from training.world.generate import World
from training.world.grades import grade_of_utility
from training.world.utility import UtilityParams, rows_of
from training.world.variants import HELD_BAND, RATE_BANDS, get_variant

END = date(2025, 12, 31)
FUNNEL = ("recommended", "contacted", "meeting", "intention", "signed", "landed")
OTHERS = [v for v in VARIANTS if v != "standard"]
N_FIRMS = 2000

# sha256 of enterprises.csv and outcomes.csv of the standard world (2,000 firms, seed 7),
# computed BEFORE the variants existed (commit f87fded) with
# `chainmatch world --firms 2000 --seed 7 --out DIR` and `sha256sum DIR/*.csv`
STANDARD_SHA256 = {
    "enterprises.csv": "c7f2cdd801bbcdcc287cb5e63f9faf8251a789ff50c3f88cf37466610fa3f186",
    "outcomes.csv": "e2bb69a56bb73fdbe6316f2d65167279b9902f2e2a0447e9847733776ccb995b",
}


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


_WORLDS: dict[str, World] = {}


@pytest.fixture(scope="module")
def worlds(reference: Reference) -> dict[str, World]:
    for name in VARIANTS:
        if name not in _WORLDS:
            _WORLDS[name] = generate_world(reference, n_firms=N_FIRMS, seed=7, variant=name)
    return _WORLDS


@pytest.fixture(scope="module")
def world_dirs(
    worlds: dict[str, World], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    out = {}
    for name, w in worlds.items():
        out[name] = tmp_path_factory.mktemp(f"world-{name}")
        write_world(w, out[name])
    return out


def _occasions(world: World) -> pd.DataFrame:
    """Outcome rows with the recommendation date of their occasion."""
    o = world.outcomes.assign(date=pd.to_datetime(world.outcomes["date"]))
    rec = o[o["stage"] == "recommended"][["query_kind", "query_id", "candidate_id", "date"]]
    rec = rec.rename(columns={"date": "rec_date"}).assign(occ_date=lambda f: f["rec_date"])
    return pd.merge_asof(
        o.sort_values("date"),
        rec.sort_values("occ_date"),
        left_on="date",
        right_on="occ_date",
        by=["query_kind", "query_id", "candidate_id"],
    )


def _terms(world: World, kind: str) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    t = world.truth
    assert t.texts is not None
    g = t.pairs[t.pairs["query_kind"] == kind]
    q, c = rows_of(t.model, kind, g["query_id"], g["candidate_id"])
    vw = VariantWorld(t.model, t.texts, get_variant(t.variant))
    return g, vw.terms(kind, q, c, g["date"].to_numpy().astype("datetime64[D]"))


def test_standard_world_is_byte_identical_to_before(reference: Reference, tmp_path: Path) -> None:
    write_world(generate_world(reference, n_firms=N_FIRMS, seed=7), tmp_path)
    got = {f: hashlib.sha256((tmp_path / f).read_bytes()).hexdigest() for f in STANDARD_SHA256}
    assert got == STANDARD_SHA256
    params = load_truth(tmp_path, reference=reference).params
    assert params["variant"] == "standard"
    assert params["utility"]["centre"] == 1.3


def test_every_variant_is_documented_and_structurally_distinct() -> None:
    assert len(OTHERS) >= 4
    assert {VARIANTS[v].form for v in OTHERS} >= {"additive", "interaction", "threshold"}
    for name, v in VARIANTS.items():
        assert v.name == name
        assert re.search(r"[\u4e00-\u9fff]", v.description)
        assert re.search("[a-z]", v.description)
        assert name in RATE_BANDS
    assert any(VARIANTS[v].view for v in OTHERS)  # reciprocity
    assert any(VARIANTS[v].noise_sd > 1.0 for v in OTHERS)  # weak signal-to-noise
    assert all(VARIANTS[v].rule_early is not None for v in OTHERS)  # drifting exposure
    with pytest.raises(InvalidInputError, match="unknown world variant 'nope'; known: standard"):
        get_variant("nope")


@pytest.mark.parametrize("name", OTHERS)
def test_variant_world_passes_the_import_checks(
    name: str, worlds: dict[str, World], reference: Reference
) -> None:
    w = worlds[name]
    e = w.enterprises
    assert valid_uscc_mask(e["uscc"]).all()
    assert e["uscc"].is_unique
    code_of = dict(zip(reference.cities["name"], reference.cities["city_code"], strict=True))
    assert (e["uscc"].str[2:8] == e["city"].map(code_of)).all()
    names = set(reference.cities["name"])
    assert set(e["city"]) <= names
    assert set(w.events["city"]) <= names
    assert set(w.needs["owner_id"]) <= set(e["uscc"]) | set(w.parks["park_id"])
    o = _occasions(w)
    assert o["rec_date"].notna().all()
    assert (o["date"] - o["rec_date"]).dt.days.between(0, 180).all()
    key = ["query_kind", "query_id", "candidate_id", "rec_date"]
    assert (o.groupby([*key, "stage"]).size() == 1).all()
    wide = o.pivot_table(index=key, columns="stage", values="date", aggfunc="min")
    for earlier, later in itertools.pairwise(FUNNEL):
        reached = wide[later].notna()
        assert wide.loc[reached, earlier].notna().all(), f"{later} without {earlier}"
        assert (wide.loc[reached, later] >= wide.loc[reached, earlier]).all()
    declined = wide["declined"].notna()
    assert wide.loc[declined, "contacted"].notna().all()
    assert wide.loc[declined, "meeting"].isna().all()
    assert pd.to_datetime(w.outcomes["date"]).max() <= pd.Timestamp(END)
    assert set(o["query_kind"]) == {"supplier", "investor", "customer"}
    assert w.upcoming_event not in set(w.outcomes["event_id"])


@pytest.mark.parametrize("name", list(VARIANTS))
def test_rates_lie_in_the_documented_bands(name: str, worlds: dict[str, World]) -> None:
    o = _occasions(worlds[name])
    o = o[o["rec_date"] <= pd.Timestamp(END) - pd.Timedelta(days=180)]
    n = (o["stage"] == "recommended").sum()
    share = {s: (o["stage"] == s).sum() / n for s in (*FUNNEL, "declined")}
    for stage, (lo, hi) in RATE_BANDS[name].items():
        assert lo <= share[stage] <= hi, f"{name} {stage} {share[stage]:.3f}"
    held = share["meeting"] / (share["contacted"] - share["declined"])
    assert HELD_BAND[0] <= held <= HELD_BAND[1]
    assert share["landed"] < share["signed"] < share["intention"] < share["meeting"]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_truth_read_back_reproduces_every_drawn_utility(
    name: str, world_dirs: dict[str, Path], reference: Reference
) -> None:
    truth = load_truth(world_dirs[name], reference=reference)
    assert truth.variant == name
    for kind, g in truth.pairs.groupby("query_kind"):
        u = true_utility(truth, str(kind), g["query_id"], g["candidate_id"], as_of=g["date"])
        np.testing.assert_allclose(u, g["utility"].to_numpy(), rtol=0, atol=1e-12)
    # expected grades of drawn pairs track their realised grades (quintiles of the expectation)
    p = truth.pairs
    eg = np.concatenate(
        [
            expected_grade(truth, str(k), g["query_id"], g["candidate_id"], as_of=g["date"])
            for k, g in p.groupby("query_kind")
        ]
    )
    grade = np.concatenate([g["grade"].to_numpy() for _, g in p.groupby("query_kind")])
    assert ((eg >= 0) & (eg <= 4)).all()
    assert abs(eg.mean() - grade.mean()) < 0.03
    bins = pd.qcut(eg, 5, labels=False)
    realised = pd.Series(grade).groupby(bins).mean().to_numpy()
    assert (np.diff(realised) > 0).all()


@pytest.mark.parametrize("name", list(VARIANTS))
def test_expected_grade_is_monotone_in_both_utilities(name: str, worlds: dict[str, World]) -> None:
    truth = worlds[name].truth
    params = UtilityParams.from_dict(truth.params["utility"])
    u = np.linspace(-5, 8, 200)
    g = grade_of_utility(params, u)
    assert (np.diff(g) > 0).all()
    assert g[0] < 0.01
    assert g[-1] > 2.0
    if VARIANTS[name].view is not None:
        vc = truth.params["calibration"]["view_centre"]
        for v in (vc - 2.0, vc, vc + 2.0):
            assert (
                np.diff(grade_of_utility(params, u, view=np.full(200, v), view_centre=vc)) > 0
            ).all()
        gv = grade_of_utility(params, np.full(200, 2.0), view=u, view_centre=vc)
        assert (np.diff(gv) > 0).all()


@pytest.mark.parametrize("reciprocal", [False, True])
def test_expected_grade_matches_a_monte_carlo_of_the_funnel(
    reciprocal: bool, worlds: dict[str, World]
) -> None:
    """Hand-built: 5 utility levels (x 3 view levels) on one event day, drawn by the funnel."""
    model = worlds["standard"].truth.model
    lead = np.flatnonzero(model.f_leading)[:30]
    sup = np.flatnonzero(~model.f_leading)[:1500]
    q, c = np.repeat(lead, len(sup)), np.tile(sup, len(lead))
    n = len(q)
    levels = np.array([-1.0, 0.5, 1.3, 2.5, 4.0])
    views = np.array([-1.0, 0.5, 2.0])
    u = levels[np.arange(n) % 5]
    v = views[(np.arange(n) // 5) % 3]
    shown = pd.DataFrame(
        {
            "kind": "supplier",
            "q": q,
            "c": c,
            "date": np.datetime64("2023-06-01", "s"),
            "event_id": "E1",
            "position": 1,
        }
    )
    params = UtilityParams()
    hooks = VariantHooks(
        base=lambda _k, _q, _c, _d: u,
        w_tie=0.0,
        view=(lambda _k, _q, _c, _d: v) if reciprocal else None,
        view_centre=0.5,
        view_sd=0.6,
        position_bias=0.0,
        lag_mean_days=0.0,
        rng=np.random.default_rng(2),
    )
    _, pairs, _ = draw_funnel(model, shown, params, np.random.default_rng(1), end=END, hooks=hooks)
    grade = pairs["grade"].to_numpy()
    groups = pd.DataFrame({"u": u, "v": v, "g": grade}).groupby(["u", "v"])["g"]
    mean = groups.mean()
    se: pd.Series = groups.std() / np.sqrt(groups.size())
    uu = mean.index.get_level_values("u").to_numpy()
    vv = mean.index.get_level_values("v").to_numpy()
    want = grade_of_utility(params, uu, view=vv if reciprocal else None, view_centre=0.5)
    assert np.all(np.abs(mean.to_numpy() - want) <= 4 * se.to_numpy() + 0.005), (mean, want)
    assert want.max() - want.min() > 0.5  # the levels really differ


def test_true_grades_for_query_cover_the_eligible_pool(worlds: dict[str, World]) -> None:
    truth = worlds["reciprocal"].truth
    m = truth.model
    lead_id = str(m.firm_ids[np.flatnonzero(m.f_leading)[0]])
    sup_id = str(m.firm_ids[np.flatnonzero(~m.f_leading)[0]])
    park_id = str(m.park_ids[0])
    day = date(2025, 6, 1)
    ids, g = true_grades_for_query(truth, "supplier", lead_id, day)
    assert len(ids) == (~m.f_leading).sum()
    assert lead_id not in set(ids)
    np.testing.assert_allclose(
        g, expected_grade(truth, "supplier", [lead_id] * len(ids), ids, as_of=day), atol=1e-12
    )
    ids, _ = true_grades_for_query(truth, "customer", sup_id, day)
    assert set(ids) == set(m.firm_ids[m.f_leading])
    ids, g = true_grades_for_query(truth, "investor", park_id, day)
    assert set(ids) == set(m.firm_ids[m.f_helping_side])
    assert g.std() > 0.05  # the pool is not flat


def test_capability_pays_when_the_candidate_has_what_the_need_requires(
    worlds: dict[str, World],
) -> None:
    w = worlds["capability"]
    assert w.needs["description"].str.contains("要求具备.+能力").mean() > 0.4
    assert (
        w.enterprises["products"].str.contains("精密加工|洁净车间|车规级认证|GMP认证").mean() > 0.3
    )
    for kind in ("supplier", "investor"):
        g, t = _terms(w, kind)
        req = (t["cap_have"] + t["cap_lack"]) > 0
        have = g["grade"].to_numpy()[req & (t["cap_have"] == 1)].mean()
        lack = g["grade"].to_numpy()[req & (t["cap_lack"] == 1)].mean()
        assert have > 2.5 * lack, (kind, have, lack)  # measured: 0.73 vs 0.13, 0.90 vs 0.15


def test_preferences_show_in_need_texts_and_in_history(worlds: dict[str, World]) -> None:
    w = worlds["preference"]
    said = w.needs["description"].str.contains("优先考虑专精特新企业|优先在皖北就近布局产能")
    assert said.sum() >= 10
    g, t = _terms(w, "supplier")
    grade = g["grade"].to_numpy()
    assert grade[t["pref"] == 1].mean() > 2 * grade[t["pref"] == 0].mean()  # 0.65 vs 0.23
    # history: partners that leading firms preferring 专精特新 met are 专精特新 more often
    truth = w.truth
    assert truth.texts is not None
    q, c = rows_of(truth.model, "supplier", g["query_id"], g["candidate_id"])
    met = grade >= 1
    prefers = truth.texts.e_pref_srdi[q]
    srdi = truth.texts.f_srdi[c]
    shown_share = srdi[prefers].mean()
    assert srdi[prefers & met].mean() > 1.5 * shown_share
    assert srdi[~prefers & met].mean() < srdi[prefers & met].mean()


def test_keyword_overlap_pays_only_for_wanbei_candidates(worlds: dict[str, World]) -> None:
    w = worlds["preference"]
    g, t = _terms(w, "supplier")
    truth = w.truth
    assert truth.texts is not None
    _, c = rows_of(truth.model, "supplier", g["query_id"], g["candidate_id"])
    u = g["utility"].to_numpy()
    wb = truth.texts.f_wanbei[c]
    # the same pairs without the term: kw_wb moves u by its weight exactly on Wanbei candidates
    weights = dict(get_variant("preference").weights)
    assert (t["kw_wb"][~wb] == 0).all()
    assert t["kw_wb"][wb].sum() >= 20
    grade = g["grade"].to_numpy()
    assert grade[t["kw_wb"] == 1].mean() > 2 * grade[wb & (t["kw_wb"] == 0)].mean()
    assert weights["kw_wb"] > 0
    assert u[t["kw_wb"] == 1].mean() > u[wb & (t["kw_wb"] == 0)].mean()


def test_reciprocity_declines_follow_the_candidates_own_view(worlds: dict[str, World]) -> None:
    w = worlds["reciprocal"]
    o = _occasions(w)
    key = ["query_kind", "query_id", "candidate_id", "rec_date"]
    stages = o.pivot_table(index=key, columns="stage", values="date", aggfunc="size").notna()
    stages = stages.reset_index().rename(columns={"rec_date": "date"})
    p = w.truth.pairs.merge(stages, on=["query_kind", "query_id", "candidate_id", "date"])
    con = p[p["contacted"]]
    decl = con["declined"].to_numpy(float)
    by_view = pd.Series(decl).groupby(pd.qcut(con["view"].to_numpy(), 4, labels=False)).mean()
    by_u = pd.Series(decl).groupby(pd.qcut(con["utility"].to_numpy(), 4, labels=False)).mean()
    assert by_view.iloc[0] - by_view.iloc[-1] > 0.25  # low view: declined far more often
    assert abs(by_u.iloc[0] - by_u.iloc[-1]) < (by_view.iloc[0] - by_view.iloc[-1]) / 2
    # other variants decline by the query's own utility
    assert w.truth.pairs["view"].notna().all()
    assert worlds["capability"].truth.pairs["view"].isna().all()


def test_shanghai_pairs_at_district_level_and_cobuilt_parks(worlds: dict[str, World]) -> None:
    w = worlds["reciprocal"]
    g, t = _terms(w, "investor")
    grade = g["grade"].to_numpy()
    cob = t["cobuilt"]
    assert (cob == 1).sum() > 100
    assert (cob == 0.3).sum() > 100
    assert grade[cob == 1].mean() > grade[cob == 0.3].mean() > grade[cob == 0].mean()
    # a Shanghai district that is not the partner counts a little, never fully
    truth = w.truth
    m = truth.model
    minhang = m.f_city == int(np.flatnonzero(load_reference().cities["city_code"] == "310112")[0])
    pudong = m.f_city == int(np.flatnonzero(load_reference().cities["city_code"] == "310115")[0])
    huainan = np.flatnonzero(
        m.f_city == int(np.flatnonzero(load_reference().cities["city_code"] == "340400")[0])
    )
    buyer = np.flatnonzero(~m.f_leading & (m.f_city == m.f_city[huainan[0]]))[:1]
    assert minhang.any()
    assert pudong.any()
    assert len(buyer)
    a, b = np.flatnonzero(minhang)[0], np.flatnonzero(pudong)[0]
    assert truth.texts is not None
    vw = VariantWorld(m, truth.texts, get_variant("reciprocal"))
    day = np.array(["2024-01-01"], "datetime64[D]")
    ta = vw.terms("customer", buyer, np.array([a]), day)
    tb = vw.terms("customer", buyer, np.array([b]), day)
    assert ta["paired"][0] == 1
    assert ta["sh_other"][0] == 0
    assert tb["paired"][0] == 0
    assert tb["sh_other"][0] == 1


def test_distance_matters_only_for_chain_pairs_in_the_interaction_world(
    worlds: dict[str, World],
) -> None:
    g, t = _terms(worlds["interaction"], "supplier")
    w = get_variant("interaction").weights
    u = g["utility"].to_numpy() - w["hidden"] * t["hidden"] - w["tie"] * g["tie"].to_numpy()
    chain0 = t["chain"] == 0
    # without a chain term the utility does not move with distance at all
    near, far = chain0 & (t["dist_km"] < 250), chain0 & (t["dist_km"] > 500)
    rest = w["io"] * t["io"] * t["size_tri"] * (1 + w["national"] * t["national"])
    np.testing.assert_allclose((u - w["need"] * t["need"])[chain0], rest[chain0], atol=1e-12)
    assert t["near"][chain0].std() > 0.1  # distances vary among those pairs
    grade = g["grade"].to_numpy()
    ch1 = t["chain"] >= 1
    gap_chain = grade[ch1 & (t["dist_km"] < 250)].mean() - grade[ch1 & (t["dist_km"] > 500)].mean()
    gap_none = abs(grade[near].mean() - grade[far].mean())
    assert gap_chain > 0.2
    assert gap_none < gap_chain / 3  # measured: 0.39 vs 0.01


def test_noisy_world_has_a_weaker_signal(worlds: dict[str, World]) -> None:
    def corr(name: str) -> float:
        p = worlds[name].truth.pairs
        return float(np.corrcoef(p["utility"], p["realised"])[0, 1])

    assert corr("noisy") < 0.7 < min(corr(v) for v in VARIANTS if v != "noisy")


def test_exposure_drifts_and_lower_positions_are_contacted_less(worlds: dict[str, World]) -> None:
    w = worlds["capability"]
    g, t = _terms(w, "investor")
    day = pd.to_datetime(g["date"])
    early, late = day < pd.Timestamp("2023-07-01"), day >= pd.Timestamp("2025-07-01")
    chain = (t["chain"] > 0).astype(float)
    assert chain[early.to_numpy()].mean() > chain[late.to_numpy()].mean() + 0.15
    assert t["near"][late.to_numpy()].mean() > t["near"][early.to_numpy()].mean()
    o = _occasions(w)
    contacted = o[o["stage"] == "contacted"][["query_kind", "query_id", "candidate_id", "rec_date"]]
    p = w.truth.pairs.merge(
        contacted.rename(columns={"rec_date": "date"}).assign(c=1),
        on=["query_kind", "query_id", "candidate_id", "date"],
        how="left",
    )
    p = p[pd.to_datetime(p["date"]) <= pd.Timestamp(END) - pd.Timedelta(days=60)]
    p["c"] = p["c"].fillna(0)
    p["ubin"] = pd.qcut(p["utility"], 5, labels=False)
    top = p[p["position"] <= 5].groupby("ubin")["c"].mean()
    low = p[p["position"] >= 30].groupby("ubin")["c"].mean()
    assert ((top - low) > 0.05).all()  # same utility, lower position: contacted less


def test_recording_lag_thins_the_last_weeks(worlds: dict[str, World]) -> None:
    def observed_share(name: str) -> float:
        p = worlds[name].truth.pairs
        recent = (pd.to_datetime(p["date"]) > pd.Timestamp(END) - pd.Timedelta(days=90)) & (
            p["grade"] > 0
        )
        return float((p.loc[recent, "grade_observed"] > 0).mean())

    assert observed_share("noisy") < observed_share("capability") < observed_share("standard") - 0.1


def test_features_never_read_the_world() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in (root / "features").rglob("*.py"):
        assert "training" not in re.findall(
            r"^\s*(?:from|import)\s+(\w+)", path.read_text("utf-8"), re.M
        ), path


def test_cli_refuses_an_unknown_variant_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["world", "--firms", "100", "--out", str(tmp_path), "--variant", "nope"]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "nope" in lines[0]
    assert "standard" in lines[0]
    assert "noisy" in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", OTHERS)
def test_variant_world_imports_into_the_database(
    name: str, reference: Reference, tmp_path: Path, sqlite_url: str
) -> None:
    """The real import (``chainmatch import-dir``'s path) takes every row of every file."""
    from recommender.db import migrate
    from recommender.db.engine import make_engine, make_session_factory
    from recommender.ingest import import_dir

    w = generate_world(reference, n_firms=300, seed=3, start=date(2025, 1, 1), variant=name)
    write_world(w, tmp_path / "world")
    migrate.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with make_session_factory(engine)() as session:
        reports = import_dir(session, directory=tmp_path / "world", reference=reference)
    engine.dispose()
    inserted = {r.kind: r.inserted for r in reports}
    assert inserted == {
        "enterprises": 300,
        "parks": len(w.parks),
        "needs": len(w.needs),
        "events": len(w.events),
        "participants": len(w.participants),
        "outcomes": len(w.outcomes),
    }
