"""Run one Chaos Toolkit experiment against a target into a run directory, with the observer sampling the
cluster for the whole time, and judge it from its journal.

The experiment runs as plain `chaos run` in its own process (so `chaos run experiments/<x>.yaml` and this are
the same thing, and Locust's gevent never shares a process with chaostoolkit). Credentials reach it through the
environment only: KUBECONFIG, KUBERNETES_CONTEXT, AGENTFLOW_NAMESPACE, AGENTFLOW_URL, AGENTFLOW_API_KEY,
AFSUITE_RUN_DIR. Ctrl-C reaches the chaos process too (same process group): chaostoolkit then runs the
rollbacks (strategy `always`) before it exits, and this waits for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from experiments.afchaos.safety import SafetyPolicy
from harness.journal import ExperimentVerdict, read_verdict
from harness.target import Target

EXPERIMENTS_DIR = Path(__file__).resolve().parents[1] / "experiments"


def experiment_path(name: str) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml", ".json") and path.exists():
        return path
    path = EXPERIMENTS_DIR / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.yaml")))
        raise ValueError(f"experiment {name!r}: no file {path}; known experiments: {known}")
    return path


def chaos_env(target: Target, run_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the chaos process: the target's coordinates and key, nothing on the command line."""
    env = dict(os.environ)
    env.update({"AFSUITE_RUN_DIR": str(run_dir), "AGENTFLOW_NAMESPACE": target.namespace,
                "AGENTFLOW_URL": target.service_url})
    if target.kubeconfig:
        env["KUBECONFIG"] = target.kubeconfig
    if target.context:
        env["KUBERNETES_CONTEXT"] = target.context
    env.update(SafetyPolicy.from_mapping(target.to_dict()).to_env())
    key = target.api_key()
    if key:
        env["AGENTFLOW_API_KEY"] = key
    env.update(extra or {})
    return env


def run_experiment(name: str, target: Target, run_dir: Path, *, extra_env: Mapping[str, str] | None = None,
                   echo: Callable[[str], None] = print) -> ExperimentVerdict:
    """Run experiment `name` (a name under experiments/ or a path); returns its verdict from the journal."""
    path = experiment_path(name)
    chaos_dir = run_dir / "chaos"
    chaos_dir.mkdir(parents=True, exist_ok=True)
    journal = chaos_dir / f"{path.stem}.journal.json"
    argv = [sys.executable, "-m", "chaostoolkit", "--log-file", str(chaos_dir / f"{path.stem}.log"),
            "run", "--journal-path", str(journal), str(path)]
    echo(f"chaos run {path.name} -> {journal}")
    proc = subprocess.Popen(argv, env=chaos_env(target, run_dir, extra_env))
    try:
        proc.wait()
    except KeyboardInterrupt:
        echo("interrupted: waiting for the experiment's rollbacks to finish ...")
        proc.wait()
        raise
    return read_verdict(journal, path.stem)
