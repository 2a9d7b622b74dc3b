"""The `afsuite` command line (typer). `main()` only dispatches; each command lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="AgentFlow load & chaos suite")


@app.callback()
def _root() -> None:
    """AgentFlow load & chaos suite."""


def main() -> None:
    app()
