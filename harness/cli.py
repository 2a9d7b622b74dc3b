"""The `afsuite` command line (typer). `main()` only dispatches; each command lives in its own module."""

from __future__ import annotations

import typer

from harness.demo import demo_command

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="AgentFlow load & chaos suite")
app.command("demo")(demo_command)


@app.callback()
def _root() -> None:
    """AgentFlow load & chaos suite: load runs, chaos experiments, the local cluster, reports."""


def main() -> None:
    app()
