"""`afsuite recover`: undo what an interrupted or killed run may have left behind, in this order.

1. Processes. Every run directory records its processes (`pids.jsonl`: afsuite, `chaos run`, Locust, the
   reference server, a local cluster started for a soak). A run whose afsuite is gone is abandoned: each of its
   processes still alive is stopped by PID, `chaos run` first with SIGTERM (so it interrupts its activity and
   runs its rollbacks) and the rest after, SIGKILL when they do not stop in time. A PID is signalled only when
   the process there still has the recorded create time (a reused PID belongs to someone else). Run
   directories: `--run-dir` (repeatable), else every one under ./runs. A run whose afsuite still runs is left
   alone.
2. The abandoned run directory is finalised: part files consolidated, manifest marked interrupted.
3. Nodes: every node the suite cordoned (label `afsuite.agentflow.dev/cordoned=true`) is uncordoned through
   the same rollback the experiments use, and the local cluster's node fault annotation is cleared, in a child
   process with the target's KUBECONFIG / KUBERNETES_CONTEXT (the kubernetes client reads KUBECONFIG when it is
   imported) and the safety guard (restoring changes; a dry run changes nothing). Nodes cordoned by anyone else
   are left alone.
4. HPAs: every HPA of the target's namespace that a killed `afsuite sweep` left held (annotation
   `afsuite.agentflow.dev/sweep-held`, which keeps its bounds from before) gets those bounds back, in the same
   child process.
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

from experiments.afchaos import plan
from experiments.afchaos.k8s import LOCAL_FAULT, Api, namespace, set_local_fault
from experiments.afchaos.node.actions import uncordon_suite_nodes
from harness import leftovers
from harness.sweep_cluster import HELD_ANNOTATION, release_patch
from harness.target import Target
from harness.targets import resolve_target_or_exit

REPO_ROOT = Path(__file__).resolve().parents[1]


def recover_env(target: Target) -> dict[str, str]:
    """The child's environment: ours with the target's KUBECONFIG / KUBERNETES_CONTEXT (or without them)."""
    env = dict(os.environ)
    env["AGENTFLOW_NAMESPACE"] = target.namespace
    for key, value in (("KUBECONFIG", target.kubeconfig), ("KUBERNETES_CONTEXT", target.context)):
        if value:
            env[key] = str(Path(value).expanduser().resolve()) if key == "KUBECONFIG" else value
        else:
            env.pop(key, None)
    return env


def clear_local_faults(api: Api) -> list[str]:
    """Remove the local fault annotation from every node that has it; returns those nodes."""
    cleared = []
    with plan.intent("clear_local_faults", f"node carries {LOCAL_FAULT}", restoring=True):
        for node in api.items("/api/v1/nodes"):
            if LOCAL_FAULT in (node["metadata"].get("annotations") or {}):
                name = node["metadata"]["name"]
                set_local_fault(api, name, None)
                cleared.append(name)
    return cleared


def release_held_hpas(api: Api, ns: str) -> list[str]:
    """Put back every HPA of `ns` a killed `afsuite sweep` left held (its annotation keeps the bounds it had);
    returns those HPAs."""
    released = []
    with plan.intent("release_held_hpas", f"HPA carries {HELD_ANNOTATION}", restoring=True):
        for hpa in api.items(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers"):
            held = (hpa["metadata"].get("annotations") or {}).get(HELD_ANNOTATION)
            if held:
                name = hpa["metadata"]["name"]
                api.patch(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/{name}", release_patch(held))
                released.append(name)
    return released


def recover_here() -> dict[str, Any]:
    """In a process whose env names the cluster: uncordon the suite's nodes, clear local faults, put back HPAs a
    sweep held."""
    uncordoned = uncordon_suite_nodes()
    api = Api()
    try:
        cleared = clear_local_faults(api)
        released = release_held_hpas(api, namespace())
    finally:
        api.close()
    return {"uncordoned": uncordoned, "faults_cleared": cleared, "hpas_released": released}


def _child() -> None:
    print(json.dumps(recover_here()))


def recover(target: Target, timeout: float = 120.0) -> dict[str, Any]:
    """Uncordon the suite's nodes and clear local faults on `target`; returns {uncordoned, faults_cleared}."""
    proc = subprocess.run([sys.executable, "-c", "from harness.recover import _child; _child()"],
                          env=recover_env(target), capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(last)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_recover(target: Target | None, run_dirs: list[Path], echo: Callable[[str], None] = print) -> int:
    for line in leftovers.clean_up(run_dirs):
        echo(line)
    if target is None:
        return 0
    try:
        done = recover(target)
    except Exception as exc:  # API unreachable, denied, bad kubeconfig: say so, exit 1
        echo(f"error: recover on target {target.name} failed: {exc}")
        return 1
    echo(f"uncordoned {len(done['uncordoned'])} node(s) cordoned by the suite: "
         f"{', '.join(done['uncordoned']) or '-'}")
    echo(f"cleared the local fault annotation on {len(done['faults_cleared'])} node(s): "
         f"{', '.join(done['faults_cleared']) or '-'}")
    echo(f"put back {len(done['hpas_released'])} HPA(s) a killed sweep held: {', '.join(done['hpas_released']) or '-'}")
    return 0


def recover_command(
    target: Path | None = typer.Option(None, "--target", help="target file (YAML); default: the local cluster"),
    state_dir: Path | None = typer.Option(None, "--state-dir", help="local cluster state directory"),
    run_dir: list[Path] = typer.Option([], "--run-dir", help="a run directory to clean up after (repeatable; "
                                       "default: every run under ./runs)"),
) -> None:
    """Stop what killed runs left running, then uncordon nodes the suite cordoned and clear local node faults."""
    tgt = resolve_target_or_exit(target, state_dir, without="only leftover processes are cleaned up")
    raise typer.Exit(run_recover(tgt, list(run_dir) or leftovers.run_dirs_under(Path("runs")), typer.echo))
