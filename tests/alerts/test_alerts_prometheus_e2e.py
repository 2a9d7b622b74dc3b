"""The local cluster's Prometheus is Debian's real binary, scraping the pods and the cluster's exporter endpoint
over HTTP and evaluating the (time-scaled) rules; it stops with the cluster and keeps its TSDB in the state
directory. One cluster for the whole module (the default suite's one e2e case of the feature)."""

from __future__ import annotations

import os
import shutil

import httpx
import psutil
import pytest
from prom_helpers import need_binary, query, wait_for

from localcluster.handle import LocalCluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    need_binary("prometheus")
    with LocalCluster(tmp_path_factory.mktemp("lc"), time_scale="fast", prometheus=True, cpu_scale=10,
                      timeout=120) as lc:
        yield lc


def test_prometheus_is_the_real_binary_with_its_tsdb_in_the_state_dir(cluster):
    prom = cluster.state["prometheus"]
    proc = psutil.Process(prom["pid"])
    assert proc.exe() == os.path.realpath(shutil.which("prometheus"))
    assert f"--storage.tsdb.path={cluster.state_dir / 'prometheus' / 'data'}" in proc.cmdline()
    assert prom["url"].startswith("http://127.0.0.1:")
    assert httpx.get(f"{prom['url']}/api/v1/status/buildinfo", timeout=5).json()["data"]["version"]


def test_every_pod_is_scraped_over_http_with_the_servicemonitor_labels(cluster):
    url = cluster.state["prometheus"]["url"]
    pods = httpx.get(f"{cluster.api_url}/api/v1/namespaces/{cluster.namespace}/pods", timeout=5).json()["items"]
    names = {p["metadata"]["name"] for p in pods}

    def agentflow_targets():
        active = httpx.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        mine = [t for t in active if t["labels"]["job"] == "agentflow" and t["health"] == "up"]
        return mine if {t["labels"]["pod"] for t in mine} == names else None

    targets = wait_for("every pod scraped and up", agentflow_targets)
    for t in targets:
        assert t["scrapeUrl"].startswith("http://127.0.0.1:") and t["scrapeUrl"].endswith("/metrics")
        assert (t["labels"]["namespace"], t["labels"]["container"]) == (cluster.namespace, "agentflow")
    # PromQL evaluated by Prometheus itself over what it scraped (the probes' requests are counted by AgentFlow)
    def per_pod():
        got = query(url, 'sum by (pod) (agentflow_http_requests_total{job="agentflow"})')
        return {s["metric"]["pod"] for s in got} == names

    wait_for("agentflow_http_requests_total scraped from every pod", per_pod)


def test_cadvisor_and_kube_state_metrics_from_real_data(cluster):
    url = cluster.state["prometheus"]["url"]
    limits = wait_for("kube_pod_container_resource_limits", lambda: query(
        url, 'kube_pod_container_resource_limits{container="agentflow", resource="cpu", unit="core"}'))
    assert sorted(float(s["value"][1]) for s in limits) == [2.0] * len(limits) and len(limits) == 3
    cpu = wait_for("CPU seconds of every pod", lambda: (lambda r: r if len(r) == 3 else None)(query(
        url, 'container_cpu_usage_seconds_total{container="agentflow", job="kubelet"}')))
    assert all(float(s["value"][1]) > 0 for s in cpu)  # the start-up's CPU seconds of each real process, x 10
    memory = query(url, 'container_memory_working_set_bytes{container="agentflow"}')
    assert len(memory) == 3 and all(float(s["value"][1]) > 10 * 1e6 for s in memory)  # RSS x cpu scale 10
    for name in ("kube_deployment_status_replicas_available", "kube_horizontalpodautoscaler_status_desired_replicas",
                 "kube_poddisruptionbudget_status_current_healthy"):
        assert wait_for(name, lambda n=name: [s for s in query(url, n) if float(s["value"][1]) >= 2])


def test_rules_loaded_time_scaled_and_healthy(cluster):
    url = cluster.state["prometheus"]["url"]
    groups = wait_for("rules evaluated", lambda: [
        g for g in httpx.get(f"{url}/api/v1/rules", timeout=5).json()["data"]["groups"]
        if all(r.get("lastEvaluation", "").startswith("2") and not r["lastEvaluation"].startswith("0001")
               for r in g["rules"])])
    rules = {r["name"]: r for r in groups[0]["rules"]}
    assert set(rules) == {"AgentFlowDown", "HighErrorRate", "HighLatency", "HighCPU", "HighMemory", "PodRestarts"}
    assert rules["AgentFlowDown"]["duration"] == 12 and rules["HighErrorRate"]["duration"] == 60  # 1m, 5m / 5
    assert all(r["health"] == "ok" for r in rules.values())
    assert cluster.state["prometheus"]["interval_seconds"] == 3.0


def test_stopping_the_cluster_stops_prometheus(tmp_path):
    need_binary("prometheus")
    lc = LocalCluster(tmp_path / "lc", time_scale="fast", prometheus=True, wait_ready=False, timeout=60).start()
    pid = lc.state["prometheus"]["pid"]
    assert psutil.pid_exists(pid)
    lc.stop()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert (tmp_path / "lc" / "prometheus" / "data").is_dir()  # the TSDB lives in the state dir, removed with it


def test_the_observer_records_the_rules_of_the_local_clusters_prometheus(cluster, tmp_path):
    from harness.observer import Observer
    from harness.targets import local_target

    target = local_target(cluster.state_dir)
    assert target.prometheus_url == cluster.state["prometheus"]["url"]
    observer = Observer(target, tmp_path)
    observer.start()
    wait_for("alert rule samples", lambda: any((tmp_path / "cluster" / "alert_rules").glob("part-*")), timeout=30)
    counts = observer.stop()
    assert counts["alert_rules"] >= 6 and counts["alerts"] == 0  # a healthy cluster: nothing pending or firing
