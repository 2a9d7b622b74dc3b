"""`afsuite recover`: undo what an interrupted experiment may have left behind on the target.

1. Uncordon every node the suite cordoned (label `afsuite.agentflow.dev/cordoned=true`), through the same
   rollback the experiments use (`experiments.afchaos.node.actions.uncordon_suite_nodes`), with the target's
   kubeconfig and context passed the way the chaos process gets them (env KUBECONFIG / KUBERNETES_CONTEXT of
   a child process: the kubernetes client reads KUBECONFIG only when it is imported).
   Nodes cordoned by anyone else are left alone.
2. Clear the local cluster's node fault annotation (`localcluster.agentflow.dev/fault`) wherever it is set.
Prints what it did; exits 0, or 1 when the API could not be reached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from experiments.afchaos.k8s import LOCAL_FAULT, Api
from experiments.afchaos.node.actions import uncordon_suite_nodes
from harness.target import Target
from harness.targets import TargetError, resolve_target

REPO_ROOT = Path(__file__).resolve().parents[1]


def recover_env(target: Target) -> dict[str, str]:
    """The child's environment: ours with the target's KUBECONFIG / KUBERNETES_CONTEXT (or without them)."""
    env = dict(os.environ)
    for key, value in (("KUBECONFIG", target.kubeconfig), ("KUBERNETES_CONTEXT", target.context)):
        if value:
            env[key] = str(Path(value).expanduser().resolve()) if key == "KUBECONFIG" else value
        else:
            env.pop(key, None)
    return env


def clear_local_faults(api: Api) -> list[str]:
    """Remove the local fault annotation from every node that has it; returns those nodes."""
    cleared = []
    for node in api.items("/api/v1/nodes"):
        if LOCAL_FAULT in (node["metadata"].get("annotations") or {}):
            name = node["metadata"]["name"]
            api.patch(f"/api/v1/nodes/{name}", {"metadata": {"annotations": {LOCAL_FAULT: None}}})
            cleared.append(name)
    return cleared


def recover_here() -> dict[str, Any]:
    """In a process whose env names the cluster: uncordon the suite's nodes, clear local faults."""
    uncordoned = uncordon_suite_nodes()
    api = Api()
    try:
        cleared = clear_local_faults(api)
    finally:
        api.close()
    return {"uncordoned": uncordoned, "faults_cleared": cleared}


def _child() -> None:
    print(json.dumps(recover_here()))


def recover(target: Target, timeout: float = 120.0) -> dict[str, Any]:
    """Uncordon the suite's nodes and clear local faults on `target`; returns {uncordoned, faults_cleared}.

    Runs in a child process with KUBECONFIG/KUBERNETES_CONTEXT set before the kubernetes client is imported,
    exactly as the chaos process gets them (the client reads KUBECONFIG once, at import time)."""
    proc = subprocess.run([sys.executable, "-c", "from harness.recover import _child; _child()"],
                          env=recover_env(target), capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(last)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_recover(target: Target, echo: Callable[[str], None] = print) -> int:
    try:
        done = recover(target)
    except Exception as exc:  # API unreachable, denied, bad kubeconfig: say so, exit 1
        echo(f"error: recover on target {target.name} failed: {exc}")
        return 1
    echo(f"uncordoned {len(done['uncordoned'])} node(s) cordoned by the suite: "
         f"{', '.join(done['uncordoned']) or '-'}")
    echo(f"cleared the local fault annotation on {len(done['faults_cleared'])} node(s): "
         f"{', '.join(done['faults_cleared']) or '-'}")
    return 0


def recover_command(
    target: Path | None = typer.Option(None, "--target", help="target file (YAML); default: the local cluster"),
    state_dir: Path | None = typer.Option(None, "--state-dir", help="local cluster state directory"),
) -> None:
    """Uncordon nodes the suite cordoned and clear local-cluster node faults (after an interrupted run)."""
    try:
        tgt = resolve_target(target, state_dir)
    except TargetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(run_recover(tgt, typer.echo))
