"""Retrain jobs started from the 分析 page, and the model registry as the page shows it.

A job is a ``retrain_jobs`` row started by :func:`recommender.models.training.start_retrain`
(train on the database's outcomes, promote only if better; one job at a time per database,
the same call as ``POST /v1/models/retrain``) in a background thread of the API process; the
page follows the row's status. Promotion, rollback and reports go through
:mod:`recommender.models.admin` (the pointer the ranking service follows, mirrored into
``model_versions``).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from recommender.db import repo
from recommender.models import admin as model_admin
from recommender.models import training as training_jobs
from recommender.runtime import Runtime
from training.registry import ModelRegistry

KIND_ZH: Final = {"investor": "招商", "supplier": "配套（找供应商）", "customer": "配套（找客户）"}


def job_rows(session: Session, *, limit: int = 10) -> list[dict[str, Any]]:
    """The latest jobs, newest first."""
    return [
        {
            "id": j.id,
            "status": j.status,
            "created_at": j.created_at,
            "started_at": j.started_at,
            "finished_at": j.finished_at,
            "message": j.message,
            "version": j.version,
        }
        for j in repo.list_retrain_jobs(session, limit=limit)
    ]


# ----------------------------------------------------------------------------- models
# metric -> its name on the page; the order is the table's
METRIC_NAMES: Final = (
    ("ndcg@10", "排序质量 NDCG@10"),
    ("map@10", "平均准确率 MAP@10"),
    ("recall@10", "前 10 名召回率 Recall@10"),
    ("mrr", "第一个好结果的排名倒数 MRR"),
    ("n_queries", "测试查询数"),
)
# the guard's tolerance, read from the one place it is set (the retrain job's default)
TOLERANCE: Final = float(
    inspect.signature(training_jobs.train_from_database).parameters["tolerance"].default
)


@dataclass(frozen=True)
class Guard:
    """What the promotion guard made of a version when it was trained."""

    ok: bool | None  # None: nothing to compare with
    text: str


@dataclass(frozen=True)
class VersionRow:
    """One model version as the page lists it."""

    version: str
    created_at: str
    production: bool
    kinds: str
    window: str
    basis: str
    compare: list[tuple[str, float | None, float | None, float | None]]
    guard: Guard
    reports: list[str]


def _all(metrics: dict[str, Any], key: str) -> dict[str, Any]:
    block = metrics.get(key, {})
    got = block.get("all", {}) if isinstance(block, dict) else {}
    return got if isinstance(got, dict) else {}


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def comparison(
    metrics: dict[str, Any],
) -> tuple[str, list[tuple[str, float | None, float | None, float | None]], Guard]:
    """The new model against the production model scored in the same run (same test
    window, same queries), readable metric names, and the guard's verdict.

    The full path (candidate generation + model + rules) is compared when it was measured;
    else the re-ranking of the pairs that have outcomes (as the guard does).
    """
    full = _finite(_all(metrics, "full_path").get("ndcg@10"))
    if full is not None:
        new_key, prod_key = "full_path", "production_full_path"
        basis = "全流程：候选生成 + 模型 + 业务规则，与用户看到的名单一致"
    else:
        new_key, prod_key = "lambdarank", "production"
        basis = "只对已有对接记录的企业重新排序（次要口径）"
    new, prod = _all(metrics, new_key), _all(metrics, prod_key)
    # the rule baseline was measured on the re-ranked pairs only: beside the full path it
    # would compare two different things
    rule = _all(metrics, "rule") if new_key == "lambdarank" else {}
    rows = [
        (label, _finite(new.get(m)), _finite(prod.get(m)), _finite(rule.get(m)))
        for m, label in METRIC_NAMES
    ]
    n, p = _finite(new.get("ndcg@10")), _finite(prod.get("ndcg@10"))
    if n is None or p is None:
        guard = Guard(None, "训练时没有可比较的生产模型（当时还没有上线的模型）")
    elif n >= p - TOLERANCE:
        guard = Guard(
            True,
            f"守门检查通过：同一测试窗口上排序质量 {n:.4f}，生产模型 {p:.4f}"
            f"（允许最多低 {TOLERANCE:.3f}）",
        )
    else:
        guard = Guard(
            False,
            f"守门检查未通过：同一测试窗口上排序质量 {n:.4f}，比当时的生产模型 {p:.4f} "
            f"低 {p - n:.4f}，超过允许的 {TOLERANCE:.3f}",
        )
    return basis, rows, guard


def rollback_target(registry: ModelRegistry) -> str | None:
    """The version a rollback would return to (None if there is none)."""
    stack: list[str] = []
    for event in registry.history():
        version = str(event.get("version"))
        if event.get("action") == "rollback" and version in stack:
            del stack[stack.index(version) + 1 :]
        else:
            stack.append(version)
    return stack[-2] if len(stack) >= 2 else None


def headline_metrics(metrics: dict[str, Any], *, limit: int = 12) -> list[tuple[str, float]]:
    """Numeric metrics flattened to ``a.b.c`` names, NDCG first, at most ``limit``."""
    flat: list[tuple[str, float]] = []
    _flat("", metrics, flat)
    flat.sort(key=lambda kv: (0 if "ndcg" in kv[0].lower() else 1, kv[0]))
    return flat[:limit]


def _flat(prefix: str, value: Any, out: list[tuple[str, float]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out.append((prefix, float(value)))


def versions(runtime: Runtime) -> list[VersionRow]:
    """Registered versions, newest first, with their metrics and report files."""
    files = model_admin.report_names(runtime.settings)
    rows = []
    for info in reversed(model_admin.versions(runtime.registry)):
        own = [f for f in files if info.version in f]
        local = sorted(p.name for p in info.path.glob("*.html")) if info.path.is_dir() else []
        basis, compare, guard = comparison(dict(info.metadata.metrics))
        w = info.metadata.window
        rows.append(
            VersionRow(
                version=info.version,
                created_at=info.created_at.strftime("%Y-%m-%d %H:%M"),
                production=info.production,
                kinds="、".join(KIND_ZH.get(k, k) for k in info.metadata.kinds),
                window=f"{w.start} 至 {w.end}",
                basis=basis,
                compare=compare,
                guard=guard,
                reports=own + [f"{info.version}/{n}" for n in local],
            )
        )
    return rows
