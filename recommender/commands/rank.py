"""``chainmatch rank``: ranked, explained candidate lists from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from features.context import FeatureContext
    from recommender.ranking.service import RankedList

FORMATS = ("table", "json", "csv", "xlsx")
_SUFFIX_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}


def output_format(fmt: str, out: Path | None) -> str:
    """The format to write: ``--format`` if given, else the ``--out`` suffix, else a table.

    Raises ``typer.BadParameter`` for an unknown format or suffix, or when they disagree.
    """
    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {FORMATS}, got {fmt!r}")
    if out is None:
        if fmt in ("csv", "xlsx"):
            raise typer.BadParameter(f"--format {fmt} needs --out FILE")
        return fmt
    by_suffix = _SUFFIX_FORMATS.get(out.suffix.lower())
    if by_suffix is None:
        raise typer.BadParameter(
            f"--out must end in {', '.join(_SUFFIX_FORMATS)}, got {out.name!r}"
        )
    if fmt not in ("table", by_suffix):
        raise typer.BadParameter(f"--format {fmt} does not match --out {out.name}")
    return by_suffix


def register(app: typer.Typer) -> None:
    """Add ``rank`` to ``app``."""

    @app.command()
    def rank(
        kind: str = typer.Argument(..., help="supplier | investor | customer"),
        query_id: str | None = typer.Argument(None, help="uscc (supplier/customer) or park_id"),
        k: int = typer.Option(20, "-k", help="list length"),
        fmt: str = typer.Option("table", "--format", help="table | json | csv | xlsx"),
        out: Path | None = typer.Option(
            None, "--out", help="output file; .csv, .xlsx or .json sets the format"
        ),
        queries: Path | None = typer.Option(
            None,
            "--queries",
            help="CSV/XLSX of queries, header optional (统一社会信用代码 / 园区编号 / 企业名称)",
        ),
        province: list[str] = typer.Option([], "--province", help="e.g. 浙江省 (repeatable)"),
        city: list[str] = typer.Option([], "--city", help="宁波, 闵行区 or 330200 (repeatable)"),
        min_srdi: str = typer.Option("", "--min-srdi", help="province | national"),
        size_band: str = typer.Option("", "--size", help="micro | small | medium | large"),
        industry: str = typer.Option("", "--industry", help="GB/T code prefix"),
        node: str = typer.Option("", "--node", help="chain node id"),
        all_: bool = typer.Option(
            False, "--all", help="every query of KIND (or --where ones) to a Parquet dataset"
        ),
        where: list[str] = typer.Option(
            [], "--where", help="with --all: city=蚌埠 or province=安徽省 (repeatable)"
        ),
        scheduler: str | None = typer.Option(
            None, "--scheduler", help="with --all: local | tcp://HOST:8786 (Dask)"
        ),
        workers: int = typer.Option(2, "--workers", help="with --scheduler local"),
        partition_size: int = typer.Option(200, "--partition-size", help="queries per task"),
        as_of: str | None = typer.Option(None, "--as-of", help="with --all: YYYY-MM-DD"),
        excel_dir: Path | None = typer.Option(
            None, "--excel-dir", help="with --all: also one workbook per query city here"
        ),
    ) -> None:
        """Rank candidates for one query, for every query in --queries (a batch), or for
        every query of KIND with --all (in-process, or on Dask with --scheduler)."""
        if all_:
            filter_args = (tuple(province), tuple(city), min_srdi, size_band, industry, node)
            if query_id or queries is not None:
                raise typer.BadParameter("--all ranks every query: give no QUERY_ID or --queries")
            if out is None:
                raise typer.BadParameter("--all needs --out DIR (a Parquet dataset)")
            run = (where, scheduler, workers, partition_size, as_of, excel_dir)
            _rank_all(kind, k, out, run, filter_args)
            return
        from recommender.commands.io import user_errors
        from recommender.ranking import lists as ranked_lists
        from recommender.runtime import Runtime
        from recommender.settings import get_settings

        fmt = output_format(fmt, out)
        if queries is None and not query_id:
            raise typer.BadParameter("give a QUERY_ID or --queries FILE")
        runtime = Runtime(get_settings())
        with user_errors(f"rank {kind}"):
            service = runtime.ranking.get()
            ids = _query_ids(service.ctx, kind, queries) if queries else [str(query_id)]
            filters = ranked_lists.filters_for(
                service.ctx.reference.cities, provinces=province, city=city, industry=industry,
                node=node, size=size_band, min_srdi=min_srdi, what="--city",
            )  # fmt: skip
            # logged like every list the API and the pages show (no key: the server's shell)
            lists = ranked_lists.rank_lists(
                service, runtime.recommendation_log, session=None, principal=None, kind=kind,
                query_ids=ids, k=k, filters=filters,
            )  # fmt: skip
            runtime.close()
            _write(lists, fmt, out)
        if out is not None:  # a list leaving the system is audited like a download
            from recommender.commands.audit import record_shell

            record_shell(
                "list.export", f"chainmatch rank {kind} -> {out}", {"query_ids": ids[:200]}
            )


def _query_ids(ctx: FeatureContext, kind: str, path: Path) -> list[str]:
    """The queries of a batch file; skipped rows are reported by line (stderr)."""
    from recommender.ingest.queries import read_query_file, resolve_queries

    cells, column, _ = read_query_file(path)
    found = resolve_queries(cells, kind=kind, firms=ctx.firms, parks=ctx.parks, column=column)
    for problem in found.skipped:
        typer.echo(f"  {path}: skipped {problem}", err=True)
    if not found.ids:
        typer.echo(f"{path}: no usable query in {len(cells)} row(s); nothing ranked", err=True)
        raise typer.Exit(1)
    if found.skipped:
        typer.echo(
            f"{path}: ranking {len(found.ids)} queries, skipped {len(found.skipped)} row(s)",
            err=True,
        )
    return found.ids


def _write(lists: list[RankedList], fmt: str, out: Path | None) -> None:
    """Write or print the lists in ``fmt`` (see :func:`output_format`)."""
    from recommender.ranking import export

    if fmt == "xlsx" and out is not None:
        export.write_xlsx(lists, out)
        typer.echo(f"wrote {sum(len(r.candidates) for r in lists)} rows to {out}")
    elif fmt == "csv" and out is not None:
        export.write_csv(lists, out)
        typer.echo(f"wrote {sum(len(r.candidates) for r in lists)} rows to {out}")
    elif fmt == "json":
        frame = export.lists_to_frame(lists)
        text = json.dumps(frame.to_dict(orient="records"), ensure_ascii=False, indent=1)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
            typer.echo(f"wrote {len(frame)} rows to {out}")
    else:
        for r in lists:
            typer.echo(f"# {r.query_name} ({r.kind}, model {r.model_version})")
            for c in r.candidates:
                reasons = "；".join(x.text_zh for x in c.reasons)
                p = "" if c.p_success is None else f" p={c.p_success:.2f}"
                typer.echo(
                    f"{c.rank:3d}. {c.name} [{c.city_name}] {c.final_score:.3f}{p}  {reasons}"
                )


def _rank_all(
    kind: str,
    k: int,
    out: Path,
    run: tuple[list[str], str | None, int, int, str | None, Path | None],
    filter_args: tuple[tuple[str, ...], tuple[str, ...], str, str, str, str],
) -> None:
    """``rank KIND --all``: :func:`recommender.ranking.bulk.run`, a summary, an audit record."""
    import pandas as pd

    from recommender.commands.audit import record_shell
    from recommender.commands.io import user_errors
    from recommender.errors import ValidationError
    from recommender.ingest.cities import city_codes
    from recommender.ranking import bulk
    from recommender.ranking.service import RankFilters
    from recommender.runtime import Runtime
    from recommender.settings import get_settings

    where, scheduler, workers, partition_size, as_of, excel_dir = run
    provinces, cities, min_srdi, size_band, industry, node = filter_args
    with user_errors(f"rank {kind} --all"):
        settings = get_settings()
        reference = Runtime(settings).reference
        try:
            day = pd.Timestamp(as_of or pd.Timestamp.now()).normalize()
        except ValueError as err:
            raise ValidationError(f"--as-of must be a date YYYY-MM-DD, got {as_of!r}") from err
        spec = bulk.BulkSpec(
            kind=kind,
            as_of=day,
            k=k,
            filters=RankFilters(
                provinces=provinces,
                city_codes=city_codes(cities, reference.cities, what="--city"),
                min_srdi=min_srdi,
                size_band=size_band,
                industry_prefix=industry,
                chain_node=node,
            ),
            selection=bulk.parse_where(where, reference.cities),
            partition_size=partition_size,
        )
        report = bulk.run(settings, spec, out, scheduler=scheduler, workers=workers)
        books = bulk.write_city_workbooks(out, excel_dir) if excel_dir is not None else []
    typer.echo(
        f"wrote {report.n_rows} rows for {report.n_queries} queries in "
        f"{len(report.partitions)} partitions to {out} ({report.seconds:.1f} s, "
        f"model {report.model_version})"
    )
    if books:
        typer.echo(f"wrote {len(books)} workbooks (one per query city) to {excel_dir}")
    record_shell(
        "list.export",
        f"chainmatch rank {kind} --all -> {out}",
        {"n_queries": report.n_queries, "where": list(where), "scheduler": report.scheduler},
    )
