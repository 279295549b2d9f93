"""``chainmatch rank``: ranked, explained candidate lists from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

FORMATS = ("table", "json", "csv", "xlsx")


def register(app: typer.Typer) -> None:
    """Add ``rank`` to ``app``."""

    @app.command()
    def rank(
        kind: str = typer.Argument(..., help="supplier | investor | customer"),
        query_id: str | None = typer.Argument(None, help="uscc (supplier/customer) or park_id"),
        k: int = typer.Option(20, "-k", help="list length"),
        fmt: str = typer.Option("table", "--format", help="table | json | csv | xlsx"),
        out: Path | None = typer.Option(None, "--out", help="output file (csv/xlsx)"),
        queries: Path | None = typer.Option(
            None, "--queries", help="file with one query id per line (batch lists)"
        ),
        province: list[str] = typer.Option([], "--province", help="e.g. 浙江省 (repeatable)"),
        city: list[str] = typer.Option([], "--city", help="city adcode (repeatable)"),
        min_srdi: str = typer.Option("", "--min-srdi", help="province | national"),
        size_band: str = typer.Option("", "--size", help="micro | small | medium | large"),
        industry: str = typer.Option("", "--industry", help="GB/T code prefix"),
        node: str = typer.Option("", "--node", help="chain node id"),
    ) -> None:
        """Rank candidates for one query, or for every query in --queries (a batch)."""
        from recommender.ranking import export
        from recommender.ranking.service import RankFilters
        from recommender.runtime import Runtime
        from recommender.settings import get_settings

        if fmt not in FORMATS:
            raise typer.BadParameter(f"--format must be one of {FORMATS}, got {fmt!r}")
        if fmt in ("csv", "xlsx") and out is None:
            raise typer.BadParameter(f"--format {fmt} needs --out FILE")
        ids: list[str]
        if queries is not None:
            ids = [
                line.strip()
                for line in queries.read_text(encoding="utf-8-sig").splitlines()
                if line.strip()
            ]
        elif query_id:
            ids = [query_id]
        else:
            raise typer.BadParameter("give a QUERY_ID or --queries FILE")
        filters = RankFilters(
            provinces=tuple(province),
            city_codes=tuple(city),
            min_srdi=min_srdi,
            size_band=size_band,
            industry_prefix=industry,
            chain_node=node,
        )
        service = Runtime(get_settings()).ranking.get()
        lists = service.rank_batch(kind, ids, k=k, filters=filters)
        if fmt == "xlsx":
            assert out is not None
            export.write_xlsx(lists, out)
            typer.echo(f"wrote {sum(len(r.candidates) for r in lists)} rows to {out}")
        elif fmt == "csv":
            assert out is not None
            export.write_csv(lists, out)
            typer.echo(f"wrote {sum(len(r.candidates) for r in lists)} rows to {out}")
        elif fmt == "json":
            frame = export.lists_to_frame(lists)
            typer.echo(json.dumps(frame.to_dict(orient="records"), ensure_ascii=False, indent=1))
        else:
            for r in lists:
                typer.echo(f"# {r.query_name} ({r.kind}, model {r.model_version})")
                for c in r.candidates:
                    reasons = "；".join(x.text_zh for x in c.reasons)
                    p = "" if c.p_success is None else f" p={c.p_success:.2f}"
                    typer.echo(
                        f"{c.rank:3d}. {c.name} [{c.city_name}] {c.final_score:.3f}{p}  {reasons}"
                    )
