"""The ``chainmatch`` command: one Typer app; each area registers its commands."""

from __future__ import annotations

import logging

import typer

from recommender.commands import REGISTRARS

app = typer.Typer(
    name="chainmatch",
    help="chainmatch: 沪苏浙–皖北 partner matching (ranking, events, learning from outcomes).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """chainmatch: 沪苏浙–皖北 partner matching."""


for _register in REGISTRARS:
    _register(app)


def main() -> None:
    """Entry point of the console script: configure logging once, then run."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app()
