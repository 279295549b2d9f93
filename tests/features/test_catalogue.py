"""The catalogue lists every feature once, and `chainmatch features list` prints it."""

from __future__ import annotations

from typer.testing import CliRunner

from features.catalogue import FAMILIES, FEATURE_NAMES, FEATURES
from recommender.cli import app


def test_every_feature_has_one_entry_with_both_meanings() -> None:
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES))
    for f in FEATURES:
        assert f.meaning_zh
        assert f.meaning_en
        assert f.as_of_rule
    assert set(FAMILIES) == {
        "kind",
        "chain",
        "text",
        "geo",
        "programme",
        "quality",
        "history",
        "reciprocity",
        "park",
        "asks",
    }


def test_history_features_say_they_use_only_the_past() -> None:
    for f in FEATURES:
        if f.family in ("history", "reciprocity"):
            assert "before as-of" in f.as_of_rule


def test_cli_lists_every_feature_and_filters_by_family() -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["features", "list"])
    assert out.exit_code == 0, out.output
    for name in FEATURE_NAMES:
        assert f"\n{name} " in out.output
    park = runner.invoke(app, ["features", "list", "--family", "park", "--lang", "en"])
    assert park.exit_code == 0
    assert "3 features" in park.output
    assert "hist_pair_records" not in park.output
    bad = runner.invoke(app, ["features", "list", "--family", "nope"])
    assert bad.exit_code != 0
