"""``chainmatch serve``: the API and web pages in one process."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="address to bind"),
        port: int = typer.Option(8000, help="port"),
        workers: int = typer.Option(1, help="uvicorn worker processes"),
    ) -> None:
        """Serve the API (/v1, /docs) and the web pages."""
        import os

        import uvicorn

        # the workers read their settings from the environment: a long-lived server keeps
        # its ranking data out of the collector's walks (recommender.ranking.factory)
        os.environ.setdefault("CHAINMATCH_FREEZE_HEAP", "1")

        uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)
