"""``chainmatch train`` and ``chainmatch models list|show|promote|rollback``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import pandas as pd

    from training.registry import ModelRegistry
    from training.run import RunSummary


def metrics_table(metrics: dict[str, dict[str, dict[str, float]]], *, k: int = 10) -> str:
    """NDCG@k by model (rows) and query kind (columns), with the lift over the rule baseline."""
    from training.report import MODEL_ORDER as _MODELS  # matplotlib: only when a table is shown

    kinds = ["all", *sorted({kd for per in metrics.values() for kd in per} - {"all"})]
    models = [m for m in _MODELS if m in metrics] + sorted(set(metrics) - set(_MODELS))
    name = f"ndcg@{k}"
    lines = [f"{name:<12}" + "".join(f"{kd:>10}" for kd in kinds) + f"{'×rule(all)':>12}"]
    rule = metrics.get("rule", {}).get("all", {}).get(name, float("nan"))
    for m in models:
        row = [metrics[m].get(kd, {}).get(name, float("nan")) for kd in kinds]
        lift = row[0] / rule if rule > 0 else float("nan")
        lines.append(f"{m:<12}" + "".join(f"{v:>10.4f}" for v in row) + f"{lift:>12.2f}")
    return "\n".join(lines)


def print_summary(summary: RunSummary) -> None:
    """The metrics table, the decision and where the report is."""
    typer.echo(metrics_table(summary.metrics))
    typer.echo(f"rows: {summary.n_rows}  windows: {summary.windows}")
    typer.echo(f"model {summary.version} registered ({summary.seconds:.1f} s)")
    typer.echo(f"decision: {summary.decision.reason}")
    typer.echo(
        f"promoted: {'yes' if summary.promoted else 'no'}; "
        f"production: {summary.production_after or '-'}"
    )
    typer.echo(f"report: {summary.report_path}")


def _registry() -> ModelRegistry:
    from recommender.settings import get_settings
    from training.registry import ModelRegistry

    return ModelRegistry(get_settings().models_dir)


def _mirror(version: str) -> None:
    """Keep the model_versions table in step with the registry (if the database exists)."""
    from recommender.db.engine import make_engine, make_session_factory, session_scope
    from recommender.models.training import mirror_version
    from recommender.settings import get_settings

    engine = make_engine(get_settings().effective_database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            mirror_version(session, _registry(), version)
    finally:
        engine.dispose()


def _train(
    *,
    kinds: list[str] | None,
    as_of: pd.Timestamp | None,
    promote_if_better: bool,
    tolerance: float,
    scheduler: str | None,
    workers: int,
) -> RunSummary:
    """One training run from the database; with ``scheduler`` the ranker is fitted on Dask
    (:class:`training.dask_fit.DaskFit`) and everything else (metrics, registry, promotion
    guard) is the in-process run's."""
    from recommender.models.training import train_from_database
    from recommender.settings import get_settings

    settings = get_settings()
    if scheduler is None:
        return train_from_database(
            settings, kinds=kinds, as_of=as_of, promote_if_better=promote_if_better,
            tolerance=tolerance,
        )  # fmt: skip
    from recommender.ranking.bulk import open_client
    from training.dask_fit import DaskFit
    from training.pipeline import TrainConfig

    with open_client(scheduler, workers=workers) as client:
        n = len(client.scheduler_info()["workers"])
        return train_from_database(
            settings, kinds=kinds, as_of=as_of, promote_if_better=promote_if_better,
            tolerance=tolerance, config=TrainConfig(fit=DaskFit(client)),
            notes=f"fitted with lightgbm.dask on {scheduler} ({n} workers)",
        )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``train`` and the ``models`` group to ``app``."""

    @app.command("train")
    def train(
        kind: list[str] = typer.Option(
            [], "--kind", help="query kind(s) to train on (repeatable; default: all)"
        ),
        as_of: str | None = typer.Option(
            None, "--as-of", help="train on what was known on this date (YYYY-MM-DD)"
        ),
        promote_if_better: bool = typer.Option(
            False, "--promote-if-better", help="promote unless worse than production"
        ),
        tolerance: float = typer.Option(
            0.005, "--tolerance", help="NDCG@10 the new model may lose to production"
        ),
        scheduler: str | None = typer.Option(
            None, "--scheduler", help="fit on Dask (lightgbm.dask): local | tcp://HOST:8786"
        ),
        workers: int = typer.Option(2, "--workers", help="with --scheduler local"),
    ) -> None:
        """Train on the database's outcomes, compare with production and baselines, report
        (the model fitted in-process, or on a Dask cluster with --scheduler)."""
        import pandas as pd

        try:
            when = pd.Timestamp(as_of) if as_of else None
            summary = _train(
                kinds=kind or None,
                as_of=when,
                promote_if_better=promote_if_better,
                tolerance=tolerance,
                scheduler=scheduler,
                workers=workers,
            )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        print_summary(summary)

    models = typer.Typer(
        help="The model registry: list, show, promote, rollback.", no_args_is_help=True
    )
    app.add_typer(models, name="models")

    @models.command("list")
    def list_() -> None:
        """Every registered version, oldest first; * marks production."""
        infos = _registry().list()
        from training.run import primary_keys

        typer.echo(
            "  version                 created_at           kinds   ndcg@10  measured on  features"
        )
        for i in infos:
            key, _ = primary_keys(i.metadata.metrics)
            ndcg = i.metadata.metrics.get(key, {}).get("all", {}).get("ndcg@10")
            where = "full path" if key == "full_path" else "logged"
            mark = "*" if i.production else " "
            typer.echo(
                f"{mark} {i.version}  {i.created_at:%Y-%m-%d %H:%M:%S}  "
                f"{','.join(i.metadata.kinds):<7} "
                f"{'-' if ndcg is None else f'{ndcg:.4f}':>8}  {where:<11}  "
                f"{i.metadata.feature_set_version}"
            )
        if not infos:
            typer.echo("(no models yet: run `chainmatch train`)")

    @models.command("show")
    def show(version: str = typer.Argument(..., help="a version id from `models list`")) -> None:
        """A version's metadata (JSON) and whether its file passes the checksum."""
        from training.errors import ModelIntegrityError, ModelNotFoundError

        reg = _registry()
        try:
            info = reg.show(version)
        except ModelNotFoundError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        try:
            reg.verify(version)
            check = "ok"
        except ModelIntegrityError as exc:
            check = f"FAILED: {exc}"
        record = {
            "version": info.version,
            "created_at": info.created_at.isoformat(),
            "production": info.production,
            "sha256": info.sha256,
            "checksum": check,
            **info.metadata.to_json_dict(),
        }
        record.pop("calibration", None)
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        if check != "ok":
            raise typer.Exit(1)

    @models.command("promote")
    def promote(version: str = typer.Argument(..., help="a version id from `models list`")) -> None:
        """Make VERSION the production model (its checksum is verified first)."""
        from recommender.commands.audit import record_shell
        from training.errors import TrainingError

        try:
            _registry().promote(version)
        except TrainingError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        _mirror(version)
        record_shell("model.promote", version, {"production": version})
        typer.echo(f"production: {version}")

    @models.command("rollback")
    def rollback() -> None:
        """Return production to the version promoted before the current one."""
        from recommender.commands.audit import record_shell
        from training.errors import TrainingError

        try:
            version = _registry().rollback()
        except TrainingError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        _mirror(version)
        record_shell("model.rollback", version, {"production": version})
        typer.echo(f"production: {version}")
