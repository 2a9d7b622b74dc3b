"""Run one Chaos Toolkit experiment against a target into a run directory, and judge it from its journal.

The experiment runs as plain `chaos run` in its own process (so `chaos run experiments/<x>.yaml` and this are
the same thing, and Locust's gevent never shares a process with chaostoolkit), in a session of its own, dying
with afsuite (`harness.processes`). Credentials and the safety policy reach it through the environment only:
KUBECONFIG, KUBERNETES_CONTEXT, AGENTFLOW_NAMESPACE, AGENTFLOW_URL, AGENTFLOW_API_KEY, AFSUITE_RUN_DIR and the
run's AFSUITE_* policy, written last so nothing (a campaign step's env, the caller's environment) can make it
less cautious. When afsuite is told to stop, the experiment gets SIGTERM (chaostoolkit then interrupts the
activity and runs the rollbacks) and up to `STOP_GRACE` seconds; if it must be killed, the suite's own
rollback (uncordon what it cordoned, clear local faults) runs from here instead.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from experiments.afchaos.policy import SafetyPolicy
from harness import live, processes
from harness.journal import ExperimentVerdict, read_verdict
from harness.target import Target

EXPERIMENTS_DIR = Path(__file__).resolve().parents[1] / "experiments"
STOP_GRACE = 60.0  # seconds an interrupted experiment gets for its rollbacks before it is killed


def experiment_path(name: str) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml", ".json") and path.exists():
        return path
    path = EXPERIMENTS_DIR / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.yaml")))
        raise ValueError(f"experiment {name!r}: no file {path}; known experiments: {known}")
    return path


def chaos_env(target: Target, run_dir: Path, policy: SafetyPolicy, extra: Mapping[str, str] | None = None,
              experiment: str | None = None) -> dict[str, str]:
    """The environment of the chaos process: the target's coordinates and key, nothing on the command line;
    the run's safety policy last (it is already the most cautious of every source, the caller's env included)."""
    env = dict(os.environ)
    env.update({"AFSUITE_RUN_DIR": str(run_dir), "AGENTFLOW_NAMESPACE": target.namespace,
                "AGENTFLOW_URL": target.service_url})
    if target.kubeconfig:
        env["KUBECONFIG"] = str(Path(target.kubeconfig).expanduser())
    if target.context:
        env["KUBERNETES_CONTEXT"] = target.context
    key = target.api_key()
    if key:
        env["AGENTFLOW_API_KEY"] = key
    env.update(extra or {})
    if experiment:
        env["AFSUITE_EXPERIMENT"] = experiment
    env.update(policy.to_env())
    return env


def run_experiment(name: str, target: Target, run_dir: Path, *, policy: SafetyPolicy,
                   extra_env: Mapping[str, str] | None = None, echo: Callable[[str], None] = print,
                   quiet: bool = False, on_stop: Callable[[], object] | None = None) -> ExperimentVerdict:
    """Run experiment `name` (a name under experiments/ or a path); returns its verdict from the journal.
    When this process is told to stop, the experiment gets SIGTERM at once and `on_stop` (e.g. stopping the
    campaign's load) runs while its rollbacks run."""
    path = experiment_path(name)
    chaos_dir = run_dir / "chaos"
    chaos_dir.mkdir(parents=True, exist_ok=True)
    journal = chaos_dir / f"{path.stem}.journal.json"
    argv = [sys.executable, "-m", "chaostoolkit", "--log-file", str(chaos_dir / f"{path.stem}.log"),
            "run", "--journal-path", str(journal), str(path)]
    if not quiet:
        echo(f"chaos run {path.name} -> {journal}")
    output = _output(quiet, chaos_dir / f"{path.stem}.console.log")
    proc = processes.spawn(argv, role=f"chaos run {path.stem}", run_dir=run_dir,
                           env=chaos_env(target, run_dir, policy, extra_env, path.stem), **output)
    try:
        proc.wait()
    except KeyboardInterrupt:
        echo(f"stopping experiment {path.stem}: its rollbacks run (up to {STOP_GRACE:.0f} s) ...")
        processes.send(proc)
        started = time.monotonic()
        if on_stop is not None:
            on_stop()
        code = processes.stop(proc, max(0.0, STOP_GRACE - (time.monotonic() - started)), sig=None)
        if code == -9:
            echo(f"experiment {path.stem} did not stop in {STOP_GRACE:.0f} s and was killed; running the suite's "
                 "rollback (uncordon, clear local faults) from here")
            _rollback(target, echo)
        raise
    finally:
        for handle in output.values():
            handle.close()
    return read_verdict(journal, path.stem)


def _output(quiet: bool, console_log: Path) -> dict[str, IO[bytes]]:
    """Where chaostoolkit's own output goes: nowhere when quiet, its console log when the live view shows
    (harness/live.py), else the terminal."""
    if quiet:
        return {"stdout": open(os.devnull, "wb"), "stderr": open(os.devnull, "wb")}
    if live.enabled():
        handle = open(console_log, "ab")  # noqa: SIM115 - closed after the run
        return {"stdout": handle, "stderr": handle}
    return {}


def _rollback(target: Target, echo: Callable[[str], None]) -> None:
    from harness.recover import recover

    try:
        done = recover(target)
        echo(f"uncordoned {len(done['uncordoned'])} node(s): {', '.join(done['uncordoned']) or '-'}")
    except Exception as exc:  # the API is gone: say so; `afsuite recover` can do it later
        echo(f"rollback failed ({exc}); run `afsuite recover` once the API answers")
