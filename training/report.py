"""Evaluation report: one self-contained HTML page with PNG plots, plus a JSON summary.

The page shows the headline metric (NDCG@k) by model and query kind, the lift over the rule
baseline, every metric in a table, the feature importance (gain, top 20), the calibration
reliability curve and the promotion decision. Plots are drawn with matplotlib's Agg canvas
(no pyplot, no global state) and embedded as base64 PNG, so the HTML file can be mailed.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "MODEL_LABELS",
    "MODEL_ORDER",
    "EvaluationResults",
    "lift_table",
    "summary",
    "write_report",
]

# display names; models not listed are shown by their key
MODEL_LABELS: Mapping[str, str] = {
    "full_path": "全流程 full path（主指标 primary）",
    "production_full_path": "生产模型全流程 production full path",
    # the key names the new model's figures on the logged pairs (kept from older metadata)
    "lambdarank": "新模型·重排已展示对 new model, logged pairs",
    "production": "生产模型 production",
    "rule": "规则基线 rule baseline",
    "logistic": "逻辑回归 logistic regression",
    "logreg": "逻辑回归 logistic regression",
    "popularity": "热度 popularity",
    "oracle": "理论上限 oracle",
}
MODEL_ORDER = (
    "full_path",
    "production_full_path",
    "lambdarank",
    "production",
    "rule",
    "logistic",
    "logreg",
    "popularity",
    "oracle",
)
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class EvaluationResults:
    """Everything a report shows.

    Attributes
    ----------
    metrics : model -> query kind (``"all"`` allowed) -> metric name -> value, e.g.
        ``metrics["lambdarank"]["supplier"]["ndcg@10"]``; extra entries such as
        ``n_queries`` are shown in the full table.
    feature_importance : columns ``feature`` and ``gain``.
    calibration : :func:`training.calibration.reliability_table` output, or None.
    windows : split boundaries by name, e.g. ``{"train_start": "2024-01-01", ...}``.
    promotion : the promotion decision, in words.
    model_version : the evaluated model's registry version, if registered.
    k : cutoff of the headline metric ``ndcg@k``.
    baseline : the model lifts are measured against.
    brier : Brier score of the calibrated probabilities, if known.
    n_rows : row counts by split, shown beside the windows.
    title : page title.
    """

    metrics: Mapping[str, Mapping[str, Mapping[str, float]]]
    feature_importance: pd.DataFrame
    calibration: pd.DataFrame | None
    windows: Mapping[str, str]
    promotion: str
    model_version: str | None = None
    k: int = 10
    baseline: str = "rule"
    brier: float | None = None
    n_rows: Mapping[str, int] = field(default_factory=dict)
    title: str = "chainmatch 模型评估 model evaluation"

    @property
    def headline(self) -> str:
        """Name of the headline metric, ``ndcg@k``."""
        return f"ndcg@{self.k}"

    def models(self) -> list[str]:
        """Models in display order: the known ones first, then the rest by name."""
        known = [m for m in MODEL_ORDER if m in self.metrics]
        return known + sorted(set(self.metrics) - set(known))

    def kinds(self) -> list[str]:
        """Query kinds present, ``all`` first."""
        found = {kind for per_kind in self.metrics.values() for kind in per_kind}
        return [k for k in ("all",) if k in found] + sorted(found - {"all"})


def _value(results: EvaluationResults, model: str, kind: str, metric: str) -> float:
    return float(results.metrics.get(model, {}).get(kind, {}).get(metric, math.nan))


def lift_table(results: EvaluationResults) -> dict[str, dict[str, float]]:
    """Headline metric of each model divided by the baseline's, per kind (NaN if undefined)."""
    out: dict[str, dict[str, float]] = {}
    for model in results.models():
        if model == results.baseline:
            continue
        out[model] = {}
        for kind in results.kinds():
            base = _value(results, results.baseline, kind, results.headline)
            val = _value(results, model, kind, results.headline)
            out[model][kind] = val / base if base > 0 else math.nan
    return out


def _json_ready(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def summary(results: EvaluationResults) -> dict[str, Any]:
    """The report's figures as a JSON-ready dict (NaN becomes null)."""
    top = results.feature_importance.sort_values("gain", ascending=False).head(20)
    calibration = None if results.calibration is None else results.calibration.to_dict("records")
    out: dict[str, Any] = _json_ready(
        {
            "title": results.title,
            "model_version": results.model_version,
            "headline": results.headline,
            "baseline": results.baseline,
            "metrics": results.metrics,
            "lift": lift_table(results),
            "windows": dict(results.windows),
            "n_rows": dict(results.n_rows),
            "promotion": results.promotion,
            "brier": results.brier,
            "feature_importance": top[["feature", "gain"]].to_dict("records"),
            "calibration": calibration,
        }
    )
    return out


def _png(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _grouped_bars(
    values: Mapping[str, Mapping[str, float]], kinds: list[str], *, ylabel: str, hline: float | None
) -> str:
    # plot labels stay English: the default fonts carry no CJK glyphs
    fig = Figure(figsize=(8, 3.6))
    ax = fig.add_subplot()
    models = list(values)
    width = 0.8 / max(len(models), 1)
    x = np.arange(len(kinds))
    for i, model in enumerate(models):
        ys = [values[model].get(kind, math.nan) for kind in kinds]
        ax.bar(x + i * width - 0.4 + width / 2, ys, width, label=model)
    if hline is not None:
        ax.axhline(hline, color="grey", linestyle="--", linewidth=1)
    ax.set_xticks(x, kinds)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    return _png(fig)


def _importance_plot(importance: pd.DataFrame) -> str:
    top = importance.sort_values("gain", ascending=False).head(20).iloc[::-1]
    fig = Figure(figsize=(7, max(2.0, 0.3 * len(top) + 1)))
    ax = fig.add_subplot()
    ax.barh(top["feature"].astype(str), top["gain"].to_numpy(dtype=float))
    ax.set_xlabel("gain")
    return _png(fig)


def _reliability_plot(table: pd.DataFrame) -> str:
    fig = Figure(figsize=(4.5, 4.5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    shown = table[table["n"] > 0]
    ax.plot(shown["mean_predicted"], shown["observed_rate"], marker="o", label="model")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted P(signed or better)")
    ax.set_ylabel("observed rate")
    ax.legend(fontsize=8)
    return _png(fig)


def _fmt(value: object, name: str = "") -> str:
    """Four decimals for metrics, whole numbers for counts (names starting ``n_``)."""
    if isinstance(value, float | int | np.number) and not isinstance(value, bool):
        v = float(value)
        if math.isnan(v):
            return "–"
        return f"{v:,.0f}" if name.startswith("n_") else f"{v:.4f}"
    return str(value)


def write_report(path: Path, results: EvaluationResults) -> Path:
    """Write the HTML report to ``path`` and its JSON summary beside it (``.json``).

    Parameters
    ----------
    path : the HTML file to write; its directory is created if missing.
    results : the figures to show.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kinds = results.kinds()
    models = results.models()
    headline = {m: {k: _value(results, m, k, results.headline) for k in kinds} for m in models}
    lifts = lift_table(results)
    metric_names: list[str] = []
    for per_kind in results.metrics.values():
        for per_metric in per_kind.values():
            metric_names += [n for n in per_metric if n not in metric_names]
    plots = {
        "ndcg": _grouped_bars(headline, kinds, ylabel=results.headline, hline=None),
        "lift": _grouped_bars(
            lifts, kinds, ylabel=f"{results.headline} / {results.baseline}", hline=1.0
        )
        if lifts
        else None,
        "importance": _importance_plot(results.feature_importance)
        if len(results.feature_importance)
        else None,
        "reliability": _reliability_plot(results.calibration)
        if results.calibration is not None
        else None,
    }
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _fmt
    html = env.get_template("report.html.j2").render(
        r=results,
        kinds=kinds,
        models=models,
        labels=MODEL_LABELS,
        headline=headline,
        lifts=lifts,
        metric_names=metric_names,
        value=lambda m, k, n: _value(results, m, k, n),
        importance=results.feature_importance.sort_values("gain", ascending=False).head(20),
        plots=plots,
    )
    path.write_text(html, encoding="utf-8")
    path.with_suffix(".json").write_text(
        json.dumps(summary(results), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return path
