"""`afsuite cluster ...`: the embedded local cluster (up, status, down, variants, fail-node, fail-zone, recover).

`up` starts `python -m localcluster serve` detached (its own session, log in STATE_DIR/cluster.log) and
returns once the default workload is Available with every replica Ready; on failure it stops what it
started and prints the log tail. `down` stops every process the cluster started, checked by PID.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from localcluster.api.kubeconfig import write_kubeconfig
from localcluster.config import default_state_dir, read_state
from localcluster.handle import LocalCluster, LocalClusterError, stop_cluster
from localcluster.kubelet import faults
from localcluster.workload.variants import VARIANTS

cluster_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                          help="The embedded local Kubernetes-compatible cluster running AgentFlow")

_STATE_DIR = typer.Option(None, "--state-dir", help="cluster state directory (default: .localcluster/ in the repo, "
                                                    "else ~/.cache/afsuite/localcluster)")


def _dir(state_dir: Path | None) -> Path:
    return (state_dir or default_state_dir()).expanduser().resolve()


def _running_state(state_dir: Path) -> dict[str, Any]:
    try:
        state = read_state(state_dir)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if state is None:
        typer.echo(f"no local cluster runs from {state_dir}; start one with `afsuite cluster up`", err=True)
        raise typer.Exit(1)
    return state


@cluster_app.command("up")
def up(
    variant: str = typer.Option("good", help="workload variant (`afsuite cluster variants`)"),
    kubeconfig: Path | None = typer.Option(None, help="also merge the agentflow-local context into this kubeconfig"),
    time_scale: str = typer.Option("real", help="real | fast (controllers and kubelet 5x faster, for CI)"),
    cpu_scale: float | None = typer.Option(None, help="pods' resource metrics = real process CPU (and RSS) x this "
                                                      "(default 1; 10 lets a 2-core machine drive the production "
                                                      "HPA 3..20, as make demo and hpa-range do; docs/hpa.md)"),
    state_dir: Path | None = _STATE_DIR,
    topology: str = typer.Option("3x7", help="ZONESxNODES"),
    service_port: int = typer.Option(18080, help="service proxy port on 127.0.0.1 (0 = any free port)"),
    propagation_delay: float = typer.Option(1.0, help="seconds before the proxy applies endpoint changes"),
    manifests: Path | None = typer.Option(None, help="workload manifests instead of the AgentFlow default"),
    timeout: float = typer.Option(90.0, help="seconds to wait for the workload to be Ready"),
    no_prometheus: bool = typer.Option(False, "--no-prometheus", help="do not run Prometheus and the alerting "
                                       "rules (docs/alerts.md)"),
    alert_rules: Path | None = typer.Option(None, help="PrometheusRule manifest or rules file to load (default: "
                                            "the corrected set; the guide's for --variant guide-alerts)"),
) -> None:
    """Start the local cluster in the background; returns when the workload is Ready."""
    directory = _dir(state_dir)
    if variant not in VARIANTS:
        raise typer.BadParameter(f"unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}",
                                 param_hint="--variant")
    if cpu_scale is not None and not 0 < cpu_scale <= 1000:
        raise typer.BadParameter(f"must be > 0 and <= 1000, got {cpu_scale:g}", param_hint="--cpu-scale")
    if not no_prometheus:
        _check_prometheus(alert_rules)
    typer.echo(f"starting the local cluster ({topology}, variant {variant}, time scale {time_scale}) in {directory}")
    cluster = LocalCluster(directory, variant=variant, time_scale=time_scale, topology=topology,
                           service_port=service_port, propagation_delay=propagation_delay,
                           manifests=manifests, timeout=timeout, cpu_scale=cpu_scale,
                           prometheus=not no_prometheus, alert_rules=alert_rules)
    try:
        cluster.start()
    except LocalClusterError as exc:
        typer.echo(f"afsuite cluster up failed: {exc}", err=True)
        raise typer.Exit(1) from None
    if kubeconfig is not None:
        write_kubeconfig(kubeconfig, cluster.api_url, namespace=cluster.namespace, merge=True)
    _print_status(cluster.status(), str(kubeconfig) if kubeconfig else None)


def _check_prometheus(alert_rules: Path | None) -> None:
    """Before anything starts: the prometheus binary is there and --alert-rules is a usable rules file."""
    from localcluster.prometheus.process import PrometheusError, find_binary
    from localcluster.prometheus.rules import RulesError, load_rule_groups

    try:
        find_binary()
        if alert_rules is not None:
            load_rule_groups(alert_rules)
    except PrometheusError as exc:
        raise typer.BadParameter(str(exc), param_hint="--no-prometheus") from None
    except RulesError as exc:
        raise typer.BadParameter(str(exc), param_hint="--alert-rules") from None


def _print_status(state: dict[str, Any], kubeconfig: str | None = None) -> None:
    work = state.get("workload") or {}
    rows = [
        ("running", "yes" if state.get("running") else "no"),
        ("kubeconfig", kubeconfig or state.get("kubeconfig")),
        ("context", state.get("context")),
        ("namespace", state.get("namespace")),
        ("service_url", state.get("service_url")),
        ("api_url", state.get("api_url")),
        ("api_key_file", state.get("api_key_file")),
        ("pid", state.get("pid")),
        ("variant", state.get("variant")),
        ("time_scale", state.get("time_scale")),
        ("cpu_scale", _cpu_scale(state)),
        ("topology", state.get("topology")),
        ("ready_replicas", f"{work.get('ready', '?')}/{work.get('replicas', '?')}"),
        ("hpa_sync_period", (state.get("controllers") or {}).get("hpa_sync_period")),
        ("prometheus", _prometheus(state)),
        ("log", state.get("log_file")),
    ]
    for key, value in rows:
        typer.echo(f"{key + ':':16} {value}")


def _cpu_scale(state: dict[str, Any]) -> str:
    scale = state.get("cpu_scale")
    if scale is None:
        return "n/a"
    return f"{scale:g} (resource metrics = real process CPU and memory x {scale:g})"


def _prometheus(state: dict[str, Any]) -> str:
    prom = state.get("prometheus")
    if not prom:
        return "off (--no-prometheus)"
    return f"{prom['url']} (rules {prom['rules_source']}; {prom['scaling']})"


@cluster_app.command("status")
def status(
    state_dir: Path | None = _STATE_DIR,
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Where the running cluster is (kubeconfig, context, namespace, service URL) and how ready it is."""
    directory = _dir(state_dir)
    state = _running_state(directory)
    handle = LocalCluster(directory, wait_ready=False)
    handle.state = state
    full = handle.status()
    if as_json:
        typer.echo(json.dumps(full, indent=2, sort_keys=True))
    else:
        _print_status(full)
    if not full.get("running"):
        raise typer.Exit(1)


@cluster_app.command("down")
def down(state_dir: Path | None = _STATE_DIR) -> None:
    """Stop the cluster and every process it started."""
    directory = _dir(state_dir)
    state = _running_state(directory)
    leftover = stop_cluster(directory, pid=int(state["pid"]))
    if leftover:
        typer.echo(f"processes still running after stop: {leftover}", err=True)
        raise typer.Exit(1)
    typer.echo(f"local cluster (pid {state['pid']}) stopped; nothing left running")


@cluster_app.command("variants")
def variants() -> None:
    """List the workload variants (good and the known-bad ones)."""
    width = max(len(n) for n in VARIANTS)
    for name, (_, description) in VARIANTS.items():
        typer.echo(f"{name:{width}}  {description}")


def _api(state_dir: Path | None) -> str:
    return str(_running_state(_dir(state_dir))["api_url"])


def _fault(fn: Any, *args: Any) -> list[str]:
    try:
        return list(fn(*args))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@cluster_app.command("fail-node")
def fail_node(
    name: str = typer.Argument(..., help="node name, e.g. node-a1"), state_dir: Path | None = _STATE_DIR
) -> None:
    """Hard-fail a node: its pod processes are SIGKILLed and its heartbeats stop."""
    typer.echo(f"failed: {', '.join(_fault(faults.fail_node, _api(state_dir), name))}")


@cluster_app.command("fail-zone")
def fail_zone(zone: str = typer.Argument(..., help="zone, e.g. zone-a"), state_dir: Path | None = _STATE_DIR) -> None:
    """Hard-fail every node of a zone."""
    typer.echo(f"failed: {', '.join(_fault(faults.fail_zone, _api(state_dir), zone))}")


@cluster_app.command("recover")
def recover(
    names: list[str] = typer.Argument(None, help="nodes to recover"),
    all_nodes: bool = typer.Option(False, "--all", help="recover every failed node"),
    state_dir: Path | None = _STATE_DIR,
) -> None:
    """Recover failed nodes (their kubelet resumes; pods still bound there restart)."""
    if not names and not all_nodes:
        raise typer.BadParameter("name the nodes to recover, or pass --all")
    done = _fault(faults.recover, _api(state_dir), None if all_nodes else list(names))
    typer.echo(f"recovered: {', '.join(done) or 'none (no node was failed)'}")
