"""Business rules: the rules file, diversity ordering, exposure counting (hand-worked)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.errors import ValidationError
from recommender.ranking.rules import (
    Diversity,
    ExposureCounter,
    Rules,
    load_rules,
    rerank,
    rules_from_dict,
)


def test_no_file_gives_the_documented_defaults() -> None:
    r = load_rules(None)
    assert r == Rules()
    assert (r.boosts.official_pair, r.boosts.co_built_park) == (0.03, 0.02)
    assert not r.exclusions.existing_partners  # past partners stay, with their history
    assert r.exclusions.no_thanks
    assert r.exclusions.declined_within_months == 12
    assert (r.diversity.max_per_city, r.diversity.max_per_node) == (5, 6)
    assert r.diversity.tolerance == 0.03
    assert r.exposure.max_per_candidate_per_batch == 0  # off unless asked for


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        "[boosts]\nofficial_pair = 1\n[diversity]\nmax_per_city = 2\n", encoding="utf-8"
    )
    r = load_rules(path)
    assert r.boosts.official_pair == 1.0
    assert isinstance(r.boosts.official_pair, float)
    assert r.boosts.co_built_park == 0.02
    assert r.diversity == Diversity(max_per_city=2, max_per_node=6, tolerance=0.03)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[boosts]\noficial_pair = 0.2\n",
            r"rules\.toml: unknown key boosts\.oficial_pair, expected one of "
            r"\['co_built_park', 'official_pair'\]",
        ),
        ("[boost]\nofficial_pair = 0.2\n", r"unknown section \[boost\], expected one of"),
        (
            "[diversity]\nmax_per_city = 'five'\n",
            r"diversity\.max_per_city must be int, got 'five'",
        ),
        ("[exclusions]\nno_thanks = 1\n", r"exclusions\.no_thanks must be bool, got 1"),
        ("[diversity]\nmax_per_city = true\n", r"diversity\.max_per_city must be int, got True"),
        ("[exposure]\nmax_per_candidate_per_batch = -1\n", r"must be >= 0, got -1"),
        ("boosts = 3\n", r"\[boosts\] must be a table, got 3"),
        ("[boosts\n", r"is not valid TOML"),
    ],
)
def test_bad_rules_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        load_rules(path)


def test_a_missing_rules_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"rules file .*nope\.toml does not exist"):
        load_rules(tmp_path / "nope.toml")


def test_rules_from_dict_names_its_source() -> None:
    with pytest.raises(ValidationError, match=r"^env: unknown key"):
        rules_from_dict({"exposure": {"cap": 1}}, source="env")


def _order(scores: list[float], cities: list[int], nodes: list[int], rules: Rules) -> list[int]:
    return rerank(
        np.array(scores),
        np.arange(len(scores)),
        city=np.array(cities),
        node=np.array(nodes),
        rules=rules,
    ).order.tolist()


def test_rerank_orders_by_score_and_breaks_ties_by_id() -> None:
    off = Rules(diversity=Diversity(0, 0))
    assert _order([0.1, 0.5, 0.5, 0.3], [0, 0, 0, 0], [-1] * 4, off) == [1, 2, 3, 0]


def test_a_firm_over_a_city_cap_is_passed_only_by_firms_within_the_tolerance() -> None:
    # cities:   A     A     A     B     A     C
    scores = [0.90, 0.80, 0.70, 0.68, 0.50, 0.40]
    cities = [0, 0, 0, 1, 0, 2]
    rules = Rules(diversity=Diversity(max_per_city=2, max_per_node=0, tolerance=0.05))
    # the third A (0.70) drops to 0.65: below B (0.68), still above C (0.40); the fourth A
    # (0.50) drops to 0.45, still above C
    assert _order(scores, cities, [-1] * 6, rules) == [0, 1, 3, 2, 4, 5]
    wide = Rules(diversity=Diversity(max_per_city=2, max_per_node=0, tolerance=0.5))
    assert _order(scores, cities, [-1] * 6, wide) == [0, 1, 3, 5, 2, 4]


def test_the_list_follows_the_shown_score_and_flags_the_moved_firms() -> None:
    scores = np.array([0.90, 0.80, 0.70, 0.68, 0.50, 0.40])
    rules = Rules(diversity=Diversity(max_per_city=2, max_per_node=0, tolerance=0.05))
    r = rerank(
        scores, np.arange(6), city=np.array([0, 0, 0, 1, 0, 2]), node=np.full(6, -1), rules=rules
    )
    shown = r.shown_score[r.order]
    assert np.all(np.diff(shown) <= 0)
    assert r.demoted.tolist() == [False, False, True, False, True, False]
    np.testing.assert_allclose(r.shown_score, [0.90, 0.80, 0.65, 0.68, 0.45, 0.40])


def test_rerank_node_cap_ignores_firms_without_a_node() -> None:
    rules = Rules(diversity=Diversity(max_per_city=0, max_per_node=1, tolerance=10.0))
    # nodes 7, 7, none, none, 8 -> the second 7 goes last; the node-less ones stay
    assert _order([5, 4, 3, 2, 1], [0] * 5, [7, 7, -1, -1, 8], rules) == [0, 2, 3, 4, 1]


def test_zero_tolerance_switches_diversity_off() -> None:
    rules = Rules(diversity=Diversity(max_per_city=1, max_per_node=1, tolerance=0.0))
    r = rerank(
        np.array([3.0, 2.0, 1.0]),
        np.arange(3),
        city=np.zeros(3, dtype=np.int64),
        node=np.zeros(3, dtype=np.int64),
        rules=rules,
    )
    assert r.order.tolist() == [0, 1, 2]
    assert not r.demoted.any()


def test_exposure_counter_counts_and_caps() -> None:
    c = ExposureCounter(2)
    ids = np.array(["a", "b", "c"], dtype=object)
    assert c.allowed(ids).tolist() == [True, True, True]
    c.record(np.array(["a", "b"], dtype=object))
    c.record(np.array(["a"], dtype=object))
    assert c.counts == {"a": 2, "b": 1}
    assert c.allowed(ids).tolist() == [False, True, True]
    off = ExposureCounter(0)
    off.record(ids)
    off.record(ids)
    assert off.allowed(ids).all()
    with pytest.raises(ValidationError, match="exposure cap must be an integer >= 0, got -1"):
        ExposureCounter(-1)
