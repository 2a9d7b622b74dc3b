"""`afsuite cluster` (the typer sub-app) end to end with the known-bad `no-prestop` variant: up (detached)
merging the context into an existing kubeconfig, status, the endpoint-removal race that variant must show
(new requests refused/reset through the service during the propagation delay), zone failure and recovery
through the fault API, and down leaving nothing running."""

from __future__ import annotations

import json
import subprocess
import time

import yaml
from proc_alive import still_running
from service_probe import probe_loop
from typer.testing import CliRunner

from harness.cluster_cmd import cluster_app
from localcluster.handle import session_pids
from localcluster.workload.manifests import DEFAULT_FILE, find, load_manifests

runner = CliRunner()


def run(*args):
    result = runner.invoke(cluster_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def kubectl(kubeconfig, *args):
    done = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "--context", "agentflow-local", *args],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def manifests_without_warmup(path):
    """The default manifests minus `--warmup 2`: the no-prestop variant switches to the agentflow-1.11
    lifecycle, which rejects --warmup (reported to the lead: variants.no_prestop should drop it)."""
    docs = load_manifests(DEFAULT_FILE)
    container = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    i = container["args"].index("--warmup")
    del container["args"][i:i + 2]
    path.write_text(yaml.safe_dump_all(docs))
    return path


def test_cli_up_status_race_faults_down(tmp_path):
    state = tmp_path / "state"
    manifests = manifests_without_warmup(tmp_path / "agentflow.yaml")
    kubeconfig = tmp_path / "kube" / "config"
    kubeconfig.parent.mkdir()
    kubeconfig.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "other",
                                          "clusters": [{"name": "other", "cluster": {"server": "https://x"}}],
                                          "users": [{"name": "other", "user": {}}],
                                          "contexts": [{"name": "other", "context": {"cluster": "other",
                                                                                     "user": "other"}}]}))
    t0 = time.monotonic()
    out = run("up", "--variant", "no-prestop", "--time-scale", "fast", "--service-port", "0", "--state-dir",
              str(state), "--kubeconfig", str(kubeconfig), "--timeout", "60", "--manifests", str(manifests))
    pid = None
    try:
        assert "ready_replicas:  3/3" in out, out
        assert time.monotonic() - t0 < 60
        status = json.loads(run("status", "--json", "--state-dir", str(state)))
        pid = status["pid"]
        for key in ("kubeconfig", "context", "namespace", "service_url", "api_url", "variant", "time_scale"):
            assert status[key], key
        assert status["variant"] == "no-prestop" and status["workload"]["ready"] == 3
        merged = yaml.safe_load(kubeconfig.read_text())
        assert {c["name"] for c in merged["contexts"]} == {"other", "agentflow-local"}
        assert merged["current-context"] == "other"  # merging never switches the user's context
        api_key = (state / "api-key").read_text().strip()
        assert oct((state / "api-key").stat().st_mode & 0o777) == "0o600" and api_key not in out

        # the known-bad variant: endpoint removal races SIGTERM -> refused/reset connections
        pods = json.loads(kubectl(kubeconfig, "get", "pods", "-n", "agentflow", "-o", "json"))["items"]
        kubectl(kubeconfig, "delete", "pod", pods[0]["metadata"]["name"], "-n", "agentflow", "--wait=false")
        ok, failed, _ = probe_loop(status["service_url"], 3.0)
        assert failed > 0, f"no-prestop: expected refused connections during the propagation delay ({ok} ok)"
        assert ok > 0

        assert "node-a1" in run("fail-zone", "zone-a", "--state-dir", str(state))
        nodes = json.loads(kubectl(kubeconfig, "get", "nodes", "-o", "json"))["items"]
        failed_nodes = {n["metadata"]["name"] for n in nodes
                        if (n["metadata"].get("annotations") or {}).get("localcluster.agentflow.dev/fault") == "fail"}
        assert failed_nodes == {f"node-a{i}" for i in range(1, 8)}
        bad = runner.invoke(cluster_app, ["fail-zone", "zone-z", "--state-dir", str(state)])
        assert bad.exit_code == 1 and "zone-z" in bad.output
        out = run("recover", "--all", "--state-dir", str(state))
        assert out.count("node-a") == 7
    finally:
        members = session_pids(pid) if pid else []
        down = runner.invoke(cluster_app, ["down", "--state-dir", str(state)])
    assert down.exit_code == 0, down.output
    assert "nothing left running" in down.output
    assert members and session_pids(pid) == []
    assert not still_running(members)
    assert runner.invoke(cluster_app, ["status", "--state-dir", str(state)]).exit_code == 1
