"""The ranking service end to end on the small world: ordering, filters, rules, reasons,
probabilities and hot reload of a newly promoted model."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from features.catalogue import FEATURE_NAMES
from features.context import FeatureContext
from features.pairs import pair_features
from features.reference import load_reference
from recommender.db.engine import make_engine, make_session_factory
from recommender.errors import NotFoundError, ValidationError
from recommender.ranking.factory import _context, load_frames
from recommender.ranking.matrix import feature_matrix
from recommender.ranking.models import ModelProvider, why_not_servable
from recommender.ranking.rules import Boosts, Diversity, Exclusions, Exposure, Rules
from recommender.ranking.service import (
    SCORED_KEEP,
    RankedList,
    RankFilters,
    RankingService,
)
from training.registry import ModelRegistry

if TYPE_CHECKING:
    from tests.conftest import SmallWorld

pytestmark = pytest.mark.slow

AS_OF = pd.Timestamp("2026-01-01")
NO_RULES = Rules(
    boosts=Boosts(official_pair=0.0, co_built_park=0.0),
    exclusions=Exclusions(existing_partners=False, declined_within_months=0, no_thanks=False),
    diversity=Diversity(max_per_city=0, max_per_node=0),
    exposure=Exposure(max_per_candidate_per_batch=0),
)
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class World:
    ctx: FeatureContext
    frames: dict[str, pd.DataFrame]
    provider: ModelProvider
    registry: ModelRegistry
    service: RankingService
    leading: list[str]
    supporting: list[str]
    parks: list[str]

    def service_with(self, rules: Rules, **kwargs: Any) -> RankingService:
        kw: dict[str, Any] = {
            "outcomes": self.frames["outcomes"],
            "events": self.frames["events"],
            **kwargs,
        }
        return RankingService(self.ctx, self.provider, rules, **kw)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, small_world: SmallWorld) -> World:
    home = tmp_path_factory.mktemp("ranking")
    engine = make_engine(small_world.install(home))
    with make_session_factory(engine)() as session:
        frames = load_frames(session)
    engine.dispose()
    ctx, frames = _context(frames, load_reference())
    registry = ModelRegistry(home / "models")
    provider = ModelProvider(registry)
    service = RankingService(
        ctx, provider, Rules(), outcomes=frames["outcomes"], events=frames["events"]
    )
    firms = ctx.firms
    leading = firms.loc[firms["is_leading"].astype(bool), "uscc"].astype(str).tolist()
    supporting = firms.loc[~firms["is_leading"].astype(bool), "uscc"].astype(str).tolist()
    parks = ctx.parks["park_id"].astype(str).tolist()
    return World(ctx, frames, provider, registry, service, leading, supporting, parks)


def _queries(w: World) -> list[tuple[str, str]]:
    return [("supplier", w.leading[0]), ("investor", w.parks[0]), ("customer", w.supporting[0])]


def _ids(r: RankedList) -> list[str]:
    return [c.candidate_id for c in r.candidates]


def _row(w: World, uscc: str) -> pd.Series:
    firms = w.ctx.firms
    return firms.loc[firms["uscc"].astype(str) == uscc].iloc[0]


# --------------------------------------------------------------------------- ordering
@pytest.mark.parametrize("kind", ["supplier", "investor", "customer"])
def test_list_is_the_top_k_by_model_score_plus_boost(world: World, kind: str) -> None:
    """Independent check: generate, pair_features, predict, add the boost, sort."""
    rules = replace(NO_RULES, boosts=Boosts(official_pair=0.3, co_built_park=0.1))
    service = world.service_with(rules)
    query = dict(_queries(world))[kind]
    got = service.rank(kind, query, k=15, as_of=AS_OF)

    cands = service.generator.generate(kind, query, n=service.caps[kind], as_of=AS_OF)
    X = pair_features(
        world.ctx,
        kind=kind,
        query_ids=np.full(len(cands), query, dtype=object),
        candidate_ids=cands,
        as_of=AS_OF,
    )
    model = world.provider.current()
    M = X[list(model.feature_names)].to_numpy()
    score = model.booster.predict(M)
    final = score + 0.3 * X["official_pair"].to_numpy() + 0.1 * X["cobuilt_partner"].to_numpy()
    # the rules see the best SCORED_KEEP by the model's score (all when there are fewer)
    kept = np.argsort(-score, kind="stable")[:SCORED_KEEP]
    expected = (
        pd.DataFrame({"id": cands.astype(str)[kept], "final": final[kept]})
        .sort_values(["final", "id"], ascending=[False, True], kind="stable")
        .head(15)
    )
    assert _ids(got) == expected["id"].tolist()
    np.testing.assert_allclose([c.final_score for c in got.candidates], expected["final"], 1e-6)
    finals = [c.final_score for c in got.candidates]
    assert finals == sorted(finals, reverse=True)
    assert [c.rank for c in got.candidates] == list(range(1, 16))
    assert got.model_version == model.version
    assert got.n_generated == len(cands)


@pytest.mark.parametrize("kind", ["supplier", "investor", "customer"])
def test_feature_matrix_equals_pair_features(world: World, kind: str) -> None:
    query = dict(_queries(world))[kind]
    rows = world.service.generator.generate_rows(kind, query, as_of=AS_OF)
    model = world.provider.current()
    q = int(world.ctx.ids.get_loc(query))
    day = int((AS_OF - pd.Timestamp("1900-01-01")).days)
    got = feature_matrix(world.ctx, kind=kind, query=q, candidates=rows, day=day, model=model)
    X = pair_features(
        world.ctx,
        kind=kind,
        query_ids=np.full(len(rows), query, dtype=object),
        candidate_ids=world.ctx.ids[rows].to_numpy(dtype=object),
        as_of=AS_OF,
    )[list(model.feature_names)].to_numpy(dtype=np.float32)
    np.testing.assert_array_equal(got, X)


@pytest.mark.parametrize("kind", ["supplier", "investor", "customer"])
def test_candidates_match_the_kind_and_probabilities_are_probabilities(
    world: World, kind: str
) -> None:
    query = dict(_queries(world))[kind]
    r = world.service.rank(kind, query, k=20, as_of=AS_OF)
    assert len(r.candidates) == 20
    assert query not in _ids(r)
    leading = {str(u) for u in world.leading}
    if kind == "customer":
        assert set(_ids(r)) <= leading
    elif kind == "supplier":
        assert not set(_ids(r)) & leading
    else:  # investor: 沪苏浙 firms
        provinces = {_row(world, c)["city_code"][:2] for c in _ids(r)}
        assert provinces <= {"31", "32", "33"}
    p = [c.p_success for c in r.candidates]
    assert all(x is not None and 0.0 <= x <= 1.0 for x in p)
    scores = [c.score for c in r.candidates]
    assert not np.allclose(scores, scores[0])  # the model separates candidates


def test_unknown_and_wrong_queries_are_refused(world: World) -> None:
    with pytest.raises(NotFoundError, match="park 'NOPE' does not exist"):
        world.service.rank("investor", "NOPE")
    with pytest.raises(NotFoundError, match="enterprise"):
        world.service.rank("supplier", world.parks[0])
    with pytest.raises(ValidationError, match="leading firm"):
        world.service.rank("supplier", world.supporting[0])
    with pytest.raises(ValidationError, match="k must be an integer from 1 to 500, got 0"):
        world.service.rank("supplier", world.leading[0], k=0)
    with pytest.raises(ValidationError, match="kind must be one of"):
        world.service.rank("partner", world.leading[0])


# --------------------------------------------------------------------------- filters
def _firm_values(w: World, ids: list[str], col: str) -> list[Any]:
    firms = w.ctx.firms.set_index(w.ctx.firms["uscc"].astype(str))
    return firms.loc[ids, col].tolist()


def test_province_and_city_filters(world: World) -> None:
    s = world.service_with(NO_RULES)
    base = s.rank("investor", world.parks[0], k=40, as_of=AS_OF)
    cities = _firm_values(world, _ids(base), "city_code")
    assert {c[:2] for c in cities} > {"33"}  # the unfiltered list is not all Zhejiang
    zj = s.rank(
        "investor", world.parks[0], k=40, as_of=AS_OF, filters=RankFilters(provinces=("浙江省",))
    )
    assert zj.candidates
    assert {c.city_code[:2] for c in zj.candidates} == {"33"}
    assert zj.n_after_filters < base.n_after_filters
    city = cities[0]
    one = s.rank(
        "investor", world.parks[0], k=40, as_of=AS_OF, filters=RankFilters(city_codes=(city,))
    )
    assert {c.city_code for c in one.candidates} == {city}
    assert one.candidates[0].candidate_id == base.candidates[0].candidate_id


def test_srdi_size_and_industry_filters(world: World) -> None:
    s = world.service_with(NO_RULES)
    q = world.leading[0]
    base = s.rank("supplier", q, k=60, as_of=AS_OF)
    srdi = _firm_values(world, _ids(base), "srdi_level")
    assert "none" in set(srdi)  # some of the plain list are not SRDI
    got = s.rank("supplier", q, k=60, as_of=AS_OF, filters=RankFilters(min_srdi="province"))
    assert got.candidates
    assert set(_firm_values(world, _ids(got), "srdi_level")) <= {"province", "national"}
    nat = s.rank("supplier", q, k=60, as_of=AS_OF, filters=RankFilters(min_srdi="national"))
    assert set(_firm_values(world, _ids(nat), "srdi_level")) <= {"national"}
    assert nat.n_after_filters < got.n_after_filters < base.n_after_filters

    small = s.rank("supplier", q, k=60, as_of=AS_OF, filters=RankFilters(size_band="small"))
    emp = _firm_values(world, _ids(small), "employees")
    assert small.candidates
    assert all(20 <= e < 100 for e in emp)
    assert small.n_after_filters < base.n_after_filters

    prefix = base.candidates[0].industry_code[:3]
    ind = s.rank("supplier", q, k=60, as_of=AS_OF, filters=RankFilters(industry_prefix=prefix))
    assert ind.candidates
    assert all(c.industry_code.startswith(prefix) for c in ind.candidates)
    assert ind.candidates[0].candidate_id == base.candidates[0].candidate_id


def test_chain_node_and_exclude_filters(world: World) -> None:
    s = world.service_with(NO_RULES)
    q = world.leading[0]
    base = s.rank("supplier", q, k=30, as_of=AS_OF)
    ctx = world.ctx
    node = str(ctx.firms.loc[ctx.firms["uscc"] == base.candidates[0].candidate_id,
                             "chain_nodes"].iloc[0]).split(";")[0]  # fmt: skip
    assert node
    got = s.rank("supplier", q, k=30, as_of=AS_OF, filters=RankFilters(chain_node=node))
    assert got.candidates
    declared = [str(x) for x in _firm_values(world, _ids(got), "chain_nodes")]
    # a firm makes the node it declares; one that declares none, the nodes its products name
    assert all(node in x.split(";") or x in ("", "nan", "None") for x in declared)
    assert sum(node in x.split(";") for x in declared) >= len(declared) // 2
    assert got.n_after_filters < base.n_after_filters
    with pytest.raises(ValidationError, match="chain_node must be a chain node id"):
        s.rank("supplier", q, filters=RankFilters(chain_node="no.such_node"))

    drop = tuple(_ids(base)[:3])
    ex = s.rank("supplier", q, k=30, as_of=AS_OF, filters=RankFilters(exclude_ids=drop))
    assert not set(drop) & set(_ids(ex))
    assert _ids(ex)[:5] == _ids(base)[3:8]


# --------------------------------------------------------------------------- rules
def test_official_pair_boost_lifts_a_paired_city_candidate(world: World) -> None:
    ctx = world.ctx
    # a Wanbei park whose city has an official partner
    cities = ctx.reference.cities.set_index("city_code")
    park = next(
        p
        for p, c in zip(ctx.parks["park_id"], ctx.parks["city_code"], strict=True)
        if cities.loc[c, "partner_code"]
    )
    partner = str(cities.loc[ctx.parks.set_index("park_id").loc[park, "city_code"], "partner_code"])
    plain = world.service_with(NO_RULES).rank("investor", park, k=100, as_of=AS_OF)
    ranks = {c.candidate_id: c.rank for c in plain.candidates if c.city_code == partner}
    lifted_id, before = max(ranks.items(), key=lambda kv: kv[1])
    assert before > 1
    boosted = world.service_with(
        replace(NO_RULES, boosts=Boosts(official_pair=0.5, co_built_park=0.0))
    ).rank("investor", park, k=100, as_of=AS_OF)
    after = {c.candidate_id: c for c in boosted.candidates}[lifted_id]
    assert after.rank < before
    assert after.final_score == pytest.approx(after.score + 0.5)
    other = next(c for c in boosted.candidates if c.city_code != partner)
    assert other.final_score == pytest.approx(other.score)


def _outcomes(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["query_kind", "query_id", "candidate_id", "stage", "date"]
    ).assign(date=lambda f: pd.to_datetime(f["date"]))


def test_exclusions_drop_signed_partners_and_recent_declines(world: World) -> None:
    q = world.leading[0]
    plain = world.service_with(NO_RULES).rank("supplier", q, k=30, as_of=AS_OF)
    signed, declined, reverse = _ids(plain)[:3]
    outcomes = _outcomes(
        [
            ("supplier", q, signed, "signed", "2025-03-01"),
            ("supplier", q, declined, "declined", "2025-06-01"),
            ("customer", reverse, q, "declined", "2025-06-01"),  # the other side said no
        ]
    )
    # the documented defaults keep signed partners; switched on, they are dropped
    rules = replace(NO_RULES, exclusions=Exclusions(existing_partners=True))

    def ids(as_of: str, r: Rules = rules) -> set[str]:
        s = world.service_with(r, outcomes=outcomes)
        return set(_ids(s.rank("supplier", q, k=30, as_of=pd.Timestamp(as_of))))

    at = ids("2025-09-01")
    assert not {signed, declined, reverse} & at
    defaults = ids("2025-09-01", replace(NO_RULES, exclusions=Exclusions()))
    assert signed in defaults
    assert not {declined, reverse} & defaults
    # declines older than 12 months no longer exclude; a signed partner always does
    later = ids("2026-09-01")
    assert {declined, reverse} <= later
    assert signed not in later
    # before the signing the pair is still a candidate
    assert signed in ids("2025-02-01")
    # a decline recorded on the as-of day itself already excludes (unlike features)
    assert declined not in ids("2025-06-01")
    assert declined in ids("2025-05-31")
    # no_thanks off: only declines recorded for this query's own requests count
    own_only = ids("2025-09-01", replace(rules, exclusions=Exclusions(no_thanks=False)))
    assert reverse in own_only
    assert declined not in own_only


def test_diversity_caps_candidates_per_city_in_the_top_k(world: World) -> None:
    q = world.parks[0]
    plain = world.service_with(NO_RULES).rank("investor", q, k=10, as_of=AS_OF)
    counts = pd.Series([c.city_code for c in plain.candidates]).value_counts()
    assert counts.max() > 2  # without the cap one city holds more than 2 of the top 10
    # a tolerance wider than any score gap makes the soft cap a hard one
    capped = world.service_with(
        replace(NO_RULES, diversity=Diversity(max_per_city=2, max_per_node=0, tolerance=100.0))
    ).rank("investor", q, k=10, as_of=AS_OF)
    counts = pd.Series([c.city_code for c in capped.candidates]).value_counts()
    assert len(capped.candidates) == 10
    assert counts.max() <= 2
    assert capped.candidates[0].candidate_id == plain.candidates[0].candidate_id
    assert not any(r.family == "rule" for c in capped.candidates for r in c.reasons)


def test_the_list_is_ordered_by_the_probability_it_shows(world: World) -> None:
    service = world.service_with(
        replace(NO_RULES, diversity=Diversity(max_per_city=2, max_per_node=2, tolerance=0.05))
    )
    moved = 0
    for q in world.parks[:3]:
        ranked = service.rank("investor", q, k=30, as_of=AS_OF)
        shown = [c.final_score for c in ranked.candidates]
        assert shown == sorted(shown, reverse=True)
        p = [c.p_success for c in ranked.candidates]
        if p[0] is not None:
            assert p == sorted(p, reverse=True)
        # a demoted firm lost exactly the tolerance (no boosts here) and says so
        for c in ranked.candidates:
            if any(r.family == "rule" for r in c.reasons):
                moved += 1
                assert c.final_score == pytest.approx(c.score - 0.05)
    assert moved > 0


def test_exposure_cap_across_a_batch(world: World) -> None:
    queries = world.leading[:6]
    free = world.service_with(NO_RULES).rank_batch("supplier", queries, k=10, as_of=AS_OF)
    seen = pd.Series([c for r in free for c in _ids(r)]).value_counts()
    assert seen.max() > 1  # without a cap some firm is in several lists
    capped = world.service_with(
        replace(NO_RULES, exposure=Exposure(max_per_candidate_per_batch=1))
    ).rank_batch("supplier", queries, k=10, as_of=AS_OF)
    seen = pd.Series([c for r in capped for c in _ids(r)]).value_counts()
    assert seen.max() == 1
    assert all(len(r.candidates) == 10 for r in capped)
    assert _ids(capped[0]) == _ids(free[0])  # the first list is never affected


# --------------------------------------------------------------------------- reasons
@pytest.mark.parametrize("kind", ["supplier", "investor", "customer"])
def test_top_candidates_have_concrete_chinese_reasons(world: World, kind: str) -> None:
    query = dict(_queries(world))[kind]
    r = world.service.rank(kind, query, k=10, as_of=AS_OF)
    for c in r.candidates[:5]:
        assert c.reasons, c
        assert len(c.reasons) <= 3
        contribs = [x.contribution for x in c.reasons]
        assert contribs == sorted(contribs, reverse=True)
        assert all(x > 0 for x in contribs)
        for reason in c.reasons:
            assert CJK.search(reason.text_zh), reason
            assert reason.text_en
            assert not CJK.search(reason.text_en.split(":")[0])
            assert reason.family != "kind"
    texts = [x.text_zh for c in r.candidates for x in c.reasons]
    concrete = re.compile(
        r"^(产业链对口：|上游供货：|产品对得上：|官方结对：\S+和\S+是|区县结对：|路程：|"
        r"企业实力：|企业规模：|见过面：|对接记录好：|对方常做这一行：|合作惯例：|补链：|"
        r"对口园区主导产业|行业上下游：|共建园区：|在沪苏浙—皖北结对合作范围内)"
    )
    assert all(concrete.match(t) for t in texts), texts


def test_paired_city_reason_names_both_cities(world: World) -> None:
    ctx = world.ctx
    cities = ctx.reference.cities.set_index("city_code")
    service = world.service_with(replace(NO_RULES, boosts=Boosts(official_pair=1.0)))
    for park, city in zip(ctx.parks["park_id"], ctx.parks["city_code"], strict=True):
        partner = cities.loc[city, "partner_code"]
        if not partner:
            continue
        r = service.rank("investor", park, k=10, as_of=AS_OF)
        texts = [x.text_zh for c in r.candidates for x in c.reasons if x.family == "programme"]
        want = (
            f"官方结对：{cities.loc[partner, 'short_name']}和{cities.loc[city, 'short_name']}"
            "是沪苏浙—皖北结对合作城市"
        )
        if want in texts:
            return
    pytest.fail("no paired-city reason in any park's list")


# --------------------------------------------------------------------------- hot reload
def test_promoting_a_model_reaches_the_next_request_and_spares_one_in_flight(
    world: World, tmp_path: Path
) -> None:
    registry = world.registry
    old = registry.production()
    assert old is not None
    provider = ModelProvider(registry)
    service = RankingService(world.ctx, provider, Rules(), outcomes=world.frames["outcomes"])
    q = world.leading[1]
    assert service.rank("supplier", q, k=5, as_of=AS_OF).model_version == old

    # a request that holds the old model and is stopped inside predict
    model = provider.current()
    real = model.booster.predict
    entered, release = threading.Event(), threading.Event()

    def slow_predict(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    model.booster.predict = slow_predict  # type: ignore[method-assign]
    box: dict[str, Any] = {}

    def in_flight() -> None:
        try:
            box["list"] = service.rank("supplier", q, k=5, as_of=AS_OF)
        except Exception as exc:  # pragma: no cover - reported below
            box["error"] = exc

    t = threading.Thread(target=in_flight)
    t.start()
    try:
        assert entered.wait(30)
        info = registry.show(old)
        new = registry.register(
            (registry.root / old / "model.txt").read_text(encoding="utf-8"),
            replace(info.metadata, notes="second model"),
        )
        registry.promote(new)
        fresh = service.rank("supplier", q, k=5, as_of=AS_OF)
        assert fresh.model_version == new
        assert provider.version == new
    finally:
        release.set()
        t.join(30)
        del model.booster.predict
        registry.promote(old)  # leave production as the module found it
    assert "error" not in box
    assert box["list"].model_version == old
    assert _ids(box["list"]) == _ids(fresh)  # same model text, same answer
    assert service.rank("supplier", q, k=5, as_of=AS_OF).model_version == old


def test_a_model_of_another_feature_catalogue_is_named_not_servable(world: World) -> None:
    registry = world.registry
    current = registry.production()
    assert current is not None
    assert why_not_servable(registry, current) is None
    info = registry.show(current)
    older = [*FEATURE_NAMES[:-1], "retired_feature"]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((200, len(older))), columns=older)
    booster = lgb.train(
        {"objective": "regression", "verbosity": -1, "num_threads": 1},
        lgb.Dataset(X, label=rng.random(200)),
        num_boost_round=2,
    )
    stale = registry.register(
        booster.model_to_string(), replace(info.metadata, feature_names=older, notes="old")
    )
    why = why_not_servable(registry, stale)
    assert why == (
        f"model {stale} was trained on features of another catalogue "
        f"(new: {FEATURE_NAMES[-1]}; gone: retired_feature)"
    )
    assert registry.production() == current  # registering promoted nothing
    assert "no model" in (why_not_servable(registry, "20000101T000000-000000") or "")


# --------------------------------------------------------------------- offline evaluation
def test_the_evaluated_path_is_the_served_path(world: World) -> None:
    """A model that is not in production, wrapped by ranker_factory, ranks exactly as the
    service would rank with it; a query the service refuses gets an empty list."""
    from recommender.ranking.offline import ranker_factory

    model = world.provider.current()
    ranker = ranker_factory(outcomes=world.frames["outcomes"], events=world.frames["events"])(
        world.ctx, model.booster, model.calibrator
    )
    for kind, query in _queries(world):
        listed = list(ranker.top(kind, query, as_of=AS_OF, k=12))
        served = _ids(world.service.rank(kind, query, k=12, as_of=AS_OF))
        assert listed == served
        assert len(listed) == 12
    assert list(ranker.top("customer", world.leading[0], as_of=AS_OF, k=5)) == []


def test_pair_scores_are_the_scores_rank_shows(world: World) -> None:
    service = world.service_with(NO_RULES)
    q = world.leading[0]
    ranked = service.rank("supplier", q, k=8, as_of=AS_OF)
    ids = _ids(ranked)
    raw, p, version = service.pair_scores("supplier", [q] * len(ids), ids, as_of=AS_OF)
    np.testing.assert_allclose(raw, [c.score for c in ranked.candidates], rtol=1e-12)
    assert version == ranked.model_version
    if p is not None:
        np.testing.assert_allclose(p, [c.p_success for c in ranked.candidates], rtol=1e-12)
