"""``chainmatch plan-event`` / ``cancel`` / ``schedule``: plan a stored event's meetings."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from recommender.events.service import StoredPlan
    from recommender.planner import CityQuota


def _fmt(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.4f}"


def _quota(text: str) -> CityQuota:
    from recommender.planner import CityQuota

    parts = text.split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        raise typer.BadParameter(f"--quota must look like 340300:330200:3, got {text!r}")
    return CityQuota(parts[0], parts[1], int(parts[2]))


def echo_report(stored: StoredPlan) -> None:
    """Print a plan's figures, unmet minimums with reasons, quotas and re-plan changes."""
    plan, r = stored.plan, stored.plan.report
    typer.echo(f"# {plan.spec.name or plan.spec.event_id} — plan version {stored.version}")
    typer.echo(
        f"model {stored.model_version}; {plan.spec.n_slots} slots × {plan.spec.n_tables} tables "
        f"from {plan.spec.start:%Y-%m-%d %H:%M}"
    )
    typer.echo(f"meetings      {r.n_meetings} ({r.n_dropped} chosen but not schedulable)")
    typer.echo(f"value         {_fmt(r.value)}  (sum of success probabilities)")
    typer.echo(f"objective     {_fmt(r.objective)}  (value minus penalties for unmet minimums)")
    typer.echo(f"LP bound      {_fmt(r.lp_bound)}")
    typer.echo(f"gap           {_fmt(r.gap)}")
    typer.echo(f"solver        {r.solver}; scheduling: {r.schedule_method}")
    if r.unmet_minimums:
        typer.echo(f"unmet minimums ({len(r.unmet_minimums)}):")
        for u in r.unmet_minimums:
            typer.echo(f"  {u.uscc} {u.name}: {u.got}/{u.wanted} — {u.reason}")
    for q in r.quotas:
        state = "met" if q.met else "NOT met"
        typer.echo(
            f"quota {q.wanbei_city_code}↔{q.partner_city_code}: "
            f"{q.achieved}/{q.required} {state}{' (hard)' if q.hard else ' (soft)'}"
        )
    if r.changes is not None:
        counts = r.changes["change"].value_counts().to_dict()
        typer.echo("changes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for rec in r.changes.to_dict("records"):
            typer.echo(
                f"  {rec['change']:8s} {rec['leading_uscc']} ↔ {rec['supporting_uscc']}: "
                f"slot {rec['old_slot']}/table {rec['old_table']} → "
                f"slot {rec['new_slot']}/table {rec['new_table']}"
            )
    for note in r.notes:
        typer.echo(f"note: {note}")


def export(stored: StoredPlan, out: Path | None, html: Path | None) -> None:
    """Write the Excel workbook and/or the printable HTML page."""
    from recommender.planner import render_html, write_excel

    if out is not None:
        write_excel(stored.plan, out)
        typer.echo(f"wrote {out}")
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render_html(stored.plan), encoding="utf-8")
        typer.echo(f"wrote {html}")


def register(app: typer.Typer) -> None:
    """Add ``plan-event``, ``cancel`` and ``schedule`` to ``app``."""

    @app.command("plan-event")
    def plan_event(
        event_id: str = typer.Argument(..., help="event id, e.g. EV202601-037"),
        out: Path | None = typer.Option(None, "--out", help="Excel workbook to write"),
        html: Path | None = typer.Option(None, "--html", help="printable HTML page to write"),
        greedy: bool = typer.Option(False, "--greedy", help="highest-value-first baseline"),
        keep_met_before: bool = typer.Option(
            False, "--keep-met-before", help="down-weight pairs that met before instead of dropping"
        ),
        quota: list[str] = typer.Option(
            [], "--quota", help="WANBEI:PARTNER:N city quota, e.g. 340300:330200:3 (repeatable)"
        ),
    ) -> None:
        """Plan who meets whom, when and at which table, and store it as a new plan version."""
        from recommender.events.service import plan_event_from_db, plans_dir
        from recommender.planner import PlanSettings
        from recommender.runtime import Runtime
        from recommender.settings import get_settings

        settings = PlanSettings(
            exclude_met_before=not keep_met_before, quotas=tuple(_quota(q) for q in quota)
        )
        runtime = Runtime(get_settings())
        service = runtime.ranking.get()
        with runtime.session_factory() as session:
            stored = plan_event_from_db(
                session,
                event_id=event_id,
                ranking=service,
                plans=plans_dir(runtime.settings),
                settings=settings,
                greedy=greedy,
            )
        echo_report(stored)
        export(stored, out, html)

    @app.command()
    def cancel(
        event_id: str = typer.Argument(..., help="event id"),
        uscc: str = typer.Argument(..., help="统一社会信用代码 of the firm that cancelled"),
        out: Path | None = typer.Option(None, "--out", help="Excel workbook to write"),
        html: Path | None = typer.Option(None, "--html", help="printable HTML page to write"),
        allow_moves: bool = typer.Option(
            False, "--allow-moves", help="let new meetings move others to another slot"
        ),
    ) -> None:
        """Re-plan after a cancellation: others keep their slot and table; prints what moved."""
        from recommender.events.service import cancel_participant, plans_dir
        from recommender.runtime import Runtime
        from recommender.settings import get_settings

        runtime = Runtime(get_settings())
        with runtime.session_factory() as session:
            stored = cancel_participant(
                session,
                event_id=event_id,
                uscc=uscc.strip().upper(),
                plans=plans_dir(runtime.settings),
                allow_moves=allow_moves,
            )
        echo_report(stored)
        export(stored, out, html)

    @app.command()
    def schedule(
        event_id: str = typer.Argument(..., help="event id"),
        out: Path | None = typer.Option(None, "--out", help="Excel workbook to write"),
        html: Path | None = typer.Option(None, "--html", help="printable HTML page to write"),
    ) -> None:
        """Show (and export) the latest stored plan of an event."""
        from recommender.events.service import load_schedule, plans_dir
        from recommender.runtime import Runtime
        from recommender.settings import get_settings

        runtime = Runtime(get_settings())
        with runtime.session_factory() as session:
            stored = load_schedule(session, event_id=event_id, plans=plans_dir(runtime.settings))
        echo_report(stored)
        export(stored, out, html)
