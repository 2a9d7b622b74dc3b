"""Control: run a Locust load profile in the background for the whole experiment, writing its streams into the
same run directory (env `AFSUITE_RUN_DIR`), so faults are judged against real traffic.

Locust runs in its OWN process (`python -m locust -f loadtests/locustfile.py --headless ...`): its gevent
monkey-patching must never reach chaostoolkit, whose `run_experiment` needs the main thread. The process is
stopped by its PID after the experiment (SIGTERM, so it flushes its records; SIGKILL after `stop_timeout`).
Arguments: `profile` (default `chaos-background`), `host` (default configuration `agentflow_url` or env
`AGENTFLOW_URL`), `processes` (default 1), `stop_timeout` (default 30 s), `warmup` (seconds to let load start
before the experiment's first activity, default 5). The API key reaches Locust through the environment only.
When env `AFSUITE_EXTERNAL_LOAD=1` (a campaign runs one load for all its experiments), this control does nothing.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from chaoslib.exceptions import InterruptExecution
from chaoslib.types import Configuration, Experiment, Journal, Secrets

from experiments.afchaos import journal, plan, safety
from experiments.afchaos.controls import children, safeguard
from rundir.launch import locust_argv

_state: dict[str, Any] = {}


def locustfile() -> Path:
    spec = importlib.util.find_spec("loadtests")
    if spec is None or not spec.submodule_search_locations:
        raise InterruptExecution("the loadtests package is not installed: cannot start background load")
    return Path(next(iter(spec.submodule_search_locations))) / "locustfile.py"


def before_experiment_control(context: Experiment, configuration: Configuration = None, secrets: Secrets = None,
                              profile: str = "chaos-background", host: str | None = None, processes: int = 1,
                              warmup: float = 5.0, **kwargs: Any) -> None:
    if os.environ.get("AFSUITE_EXTERNAL_LOAD") == "1":
        return
    if safety.dry_run(configuration=configuration):
        plan.add(activity="background load", decision="not run",
                 note=f"would run load profile {profile} against the service for the whole experiment; a dry run "
                      "sends no traffic")
        return
    run_dir = journal.run_dir()
    if run_dir is None:
        raise InterruptExecution("background load needs a run directory: set AFSUITE_RUN_DIR (afsuite chaos does)")
    host = host or (configuration or {}).get("agentflow_url") or os.environ.get("AGENTFLOW_URL")
    if not host:
        raise InterruptExecution("background load needs the service URL: configuration agentflow_url or AGENTFLOW_URL")
    (run_dir / "locust").mkdir(parents=True, exist_ok=True)
    argv = locust_argv(locustfile(), profile, host, run_dir, processes=processes,
                       extra_args=["--loglevel", "WARNING"])
    log = open(run_dir / "locust" / "locust.log", "ab")  # noqa: SIM115 - closed when the process is stopped
    # its own session (a terminal's Ctrl-C reaches only chaostoolkit, which stops it after the rollbacks), and
    # it dies with this process if this one is killed (children.launcher)
    proc = children.spawn(argv, role="locust (background load of the experiment)", run_dir=run_dir, stdout=log,
                          stderr=subprocess.STDOUT)
    _state.update(proc=proc, log=log, started=time.time())
    journal.record("load", {"pid": proc.pid, "profile": profile, "host": host, "started": _state["started"]})
    deadline = time.monotonic() + warmup
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    if proc.poll() is not None:
        raise InterruptExecution(f"background load exited at once with code {proc.returncode}; "
                                 f"see {run_dir / 'locust' / 'locust.log'}")


def after_experiment_control(context: Experiment, state: Journal, configuration: Configuration = None,
                             secrets: Secrets = None, stop_timeout: float = 30.0, **kwargs: Any) -> None:
    safeguard.disarm()  # the errors of a stopping load must not interrupt an experiment that has ended
    stop_load(stop_timeout)


def stop_load(timeout: float = 30.0) -> int | None:
    """Stop the background Locust by its PID; returns its exit code (None if none was running)."""
    proc: subprocess.Popen | None = _state.pop("proc", None)
    if proc is None:
        return None
    children.stop(proc, timeout)
    _state.pop("log").close()
    journal.record("load", {"pid": proc.pid, "stopped": time.time(), "returncode": proc.returncode})
    run_dir = journal.run_dir()
    if run_dir is not None and any((run_dir / "streams").glob("part-*.parquet")):
        # Locust was killed before it consolidated: merge what it left (a separate process: no plane import).
        subprocess.run([sys.executable, "-m", "loadtests.salvage", str(run_dir)], check=False, timeout=120)
    return proc.returncode
