"""``chainmatch backup --out FILE`` and ``chainmatch restore FILE``: database, models, reports."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to ``app``."""

    @app.command("backup")
    def backup(
        out: Path = typer.Option(..., "--out", help="the backup file to write, e.g. cm.tar.gz"),
    ) -> None:
        """Back up the database (online: the API may keep serving), models and reports."""
        from recommender.commands.audit import record_shell
        from recommender.db import backup as backups
        from recommender.errors import ChainmatchError
        from recommender.settings import get_settings

        try:
            info = backups.create_backup(get_settings(), out)
        except ChainmatchError as exc:
            typer.echo(f"error: 备份失败 (backup failed): {exc}", err=True)
            raise typer.Exit(2) from exc
        record_shell("backup.create", str(out), {"rows": info.rows, "files": len(info.files)})
        typer.echo(
            f"wrote {out}: {info.backend} database at revision {info.revision}, "
            f"{info.rows} rows in {len(info.tables)} tables, {len(info.files) - 1} model/report "
            "files"
        )

    @app.command("restore")
    def restore(
        file: Path = typer.Argument(..., help="a file written by `chainmatch backup`"),
        yes: bool = typer.Option(False, "--yes", help="do not ask before replacing the data"),
    ) -> None:
        """Replace the database, models and reports by those of a backup (checked first)."""
        from recommender.commands.audit import record_shell
        from recommender.db import backup as backups
        from recommender.errors import ChainmatchError
        from recommender.settings import get_settings

        settings = get_settings()
        try:
            info = backups.read_backup(file)
            if not yes:
                typer.confirm(
                    f"用 {file} ({info.created_at}, {info.rows} 行) 替换当前数据库、模型和报告? "
                    "(replace the current data?)",
                    abort=True,
                )
            backups.restore_backup(settings, file)
        except ChainmatchError as exc:
            typer.echo(f"error: 恢复失败 (restore failed): {exc}", err=True)
            raise typer.Exit(2) from exc
        record_shell("backup.restore", str(file), {"created_at": info.created_at})
        typer.echo(
            f"restored {file} (made {info.created_at}): {info.rows} rows in "
            f"{len(info.tables)} tables, {len(info.files) - 1} model/report files"
        )
