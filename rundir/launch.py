"""The command line that starts one headless load run writing into a run directory.

The load plane's entry point is Locust with the suite's locustfile and two options of its own (``--profile``,
``--run-dir``); Locust's CSV and HTML outputs go under ``locust/`` of the run directory. Both planes that start
a load (the harness's ``afsuite load`` and the fault plane's background-load control) build the argv here, so
the two cannot drift. No secret is ever in it: the API key travels in the environment only.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from rundir.layout import LOCUST_DIR


def locust_argv(locustfile: Path, profile: str, host: str, run_dir: Path, *, processes: int = 1,
                extra_args: Sequence[str] = ()) -> list[str]:
    """``python -m locust -f LOCUSTFILE --headless --host HOST --profile PROFILE --run-dir RUN --csv
    RUN/locust/stats --html RUN/locust/report.html [--processes N] [extra args]``."""
    locust_dir = Path(run_dir) / LOCUST_DIR
    argv = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host,
            "--profile", profile, "--run-dir", str(run_dir), "--csv", str(locust_dir / "stats"),
            "--html", str(locust_dir / "report.html")]
    if processes > 1:
        argv += ["--processes", str(processes)]
    return argv + list(extra_args)
