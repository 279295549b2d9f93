"""``chainmatch dashboard`` and ``chainmatch chain-targets``: programme results and 以商招商
from the command line, through the same facade as the API and the pages."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add ``dashboard`` and ``chain-targets`` to ``app``."""

    @app.command("dashboard")
    def dashboard_(
        year: int | None = typer.Option(None, "--year", help="calendar year (default this year)"),
        out: Path | None = typer.Option(None, "--out", help="write the workbook (.xlsx)"),
        as_json: bool = typer.Option(False, "--json", help="print the whole answer as JSON"),
    ) -> None:
        """Signed projects and 协议投资额 per pairing (all eight: the CLI reads as an admin)."""
        from recommender.commands.io import user_errors
        from recommender.projects import service
        from recommender.projects.export import dashboard_xlsx
        from recommender.runtime import Runtime
        from recommender.security import Principal
        from recommender.settings import get_settings

        if out is not None and out.suffix.lower() != ".xlsx":
            raise typer.BadParameter(f"--out must end in .xlsx, got {out.name!r}")
        with user_errors("dashboard"):
            runtime = Runtime(get_settings())
            with runtime.session_factory() as session:
                board = service.dashboard_for(
                    session, principal=Principal(key_id=None, role="admin"),
                    cities=runtime.reference.cities, year=year,
                )  # fmt: skip
            if out is not None:
                out.write_bytes(dashboard_xlsx(board))
                typer.echo(f"dashboard {board['year']}: wrote {out}")
                return
        if as_json:
            typer.echo(json.dumps(board, ensure_ascii=False, default=str, indent=1))
            return
        typer.echo(
            f"{board['year']} 年  皖北城市 ← 结对城市: 签约项目 / 协议投资额(亿元) [全部来源]"
        )
        for b in board["pairings"]:
            typer.echo(
                f"  {b['wanbei_name']} ← {b['partner_name']}: {b['signed_projects']} / "
                f"{b['agreed_investment_yi']:.2f}  [{b['city']['signed_projects']} / "
                f"{b['city']['agreed_investment_yi']:.2f}]"
            )

    @app.command("chain-targets")
    def chain_targets_(
        park_id: str = typer.Argument(..., help="park id, e.g. CB10"),
        anchor: str | None = typer.Option(None, "--anchor", help="one anchor firm's USCC"),
        k: int = typer.Option(20, "-k", help="list length (1-200)"),
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """以商招商: the 沪苏浙 suppliers/customers of the firms already in PARK_ID."""
        from dataclasses import asdict

        from recommender.commands.io import user_errors
        from recommender.projects import service
        from recommender.runtime import Runtime
        from recommender.security import Principal
        from recommender.settings import get_settings

        with user_errors("chain-targets"):
            runtime = Runtime(get_settings())
            with runtime.session_factory() as session:
                got = service.chain_targets_for(
                    session, principal=Principal(key_id=None, role="admin"),
                    ranker=runtime.ranking.get, park_id=park_id, anchor=anchor, k=k,
                )  # fmt: skip
        if as_json:
            typer.echo(json.dumps(asdict(got), ensure_ascii=False, indent=1))
            return
        typer.echo(
            f"{park_id}: {len(got.anchors)} anchor firms, model {', '.join(got.model_versions)}"
        )
        for t in got.targets:
            reason = t.reasons_zh[0] if t.reasons_zh else ""
            typer.echo(f"  {t.rank:>3} {t.candidate_id} {t.name} ({t.city_name})  {reason}")
