"""Pure parts of the kubelet and the cluster assembly: phase rules, preStop parsing, command lines, env,
probe results, back-off, topology and configuration errors. No processes."""

from __future__ import annotations

import pytest

from localcluster.config import ClusterConfig
from localcluster.kubelet.container import Container
from localcluster.kubelet.env import ConfigError, container_env
from localcluster.kubelet.images import ImageNotFound, PortAllocator, container_ports, launch_spec
from localcluster.kubelet.lifecycle import prestop_seconds
from localcluster.kubelet.probes import run_probe
from localcluster.kubelet.status import pod_phase, pod_status, qos_class
from localcluster.topology import node_object, parse_topology

RUNNING = {"state": {"running": {}}, "lastState": {}, "ready": True, "name": "a"}
WAITING = {"state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}, "ready": False, "name": "a"}
BACKOFF = {"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": 1}},
           "ready": False, "name": "a"}


def done(code):
    return {"state": {"terminated": {"exitCode": code}}, "lastState": {}, "ready": False, "name": "a"}


@pytest.mark.parametrize(("statuses", "policy", "phase"), [
    ([WAITING], "Always", "Pending"),
    ([RUNNING], "Always", "Running"),
    ([BACKOFF], "Always", "Running"),  # restarting containers keep the pod Running upstream
    ([RUNNING, WAITING], "Always", "Pending"),
    ([done(0)], "Never", "Succeeded"),
    ([done(1)], "Never", "Failed"),
    ([done(1)], "OnFailure", "Running"),
    ([done(0), done(0)], "OnFailure", "Succeeded"),
    ([], "Always", "Pending"),
])
def test_pod_phase(statuses, policy, phase):
    assert pod_phase(statuses, policy) == phase


def test_pod_status_keeps_foreign_conditions_and_transition_times():
    pod = {"spec": {"containers": [{"resources": {"requests": {"cpu": "1"}}}]}, "status": {"conditions": [
        {"type": "Ready", "status": "False", "lastTransitionTime": "2020-01-01T00:00:00Z"},
        {"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI"},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2020-01-01T00:00:01Z"}]}}
    st = pod_status(pod, [WAITING], 0.0, "Always")
    conds = {c["type"]: c for c in st["conditions"]}
    assert conds["Ready"]["lastTransitionTime"] == "2020-01-01T00:00:00Z"  # unchanged status: same time
    assert conds["Ready"]["reason"] == "ContainersNotReady" and "[a]" in conds["Ready"]["message"]
    assert conds["DisruptionTarget"]["reason"] == "EvictionByEvictionAPI"
    assert conds["PodScheduled"]["lastTransitionTime"] == "2020-01-01T00:00:01Z"
    assert st["qosClass"] == "Burstable" and st["podIP"] == "127.0.0.1"
    st = pod_status({"spec": {}, "status": st}, [RUNNING], 0.0, "Always")
    assert {c["type"]: c["status"] for c in st["conditions"]}["Ready"] == "True"


def test_qos_class():
    assert qos_class({"containers": [{}]}) == "BestEffort"
    same = {"cpu": "1", "memory": "1Gi"}
    assert qos_class({"containers": [{"resources": {"requests": same, "limits": same}}]}) == "Guaranteed"
    assert qos_class({"containers": [{"resources": {"limits": same}}]}) == "Guaranteed"


@pytest.mark.parametrize(("command", "seconds"), [
    (["sleep", "10"], 10.0), (["/bin/sleep", "2.5"], 2.5), (["/bin/sh", "-c", "sleep 5"], 5.0),
    (["sh", "-c", "exec sleep 3"], 3.0), (["sh", "-c", "rm -rf /"], None), (["echo", "hi"], None), ([], None),
])
def test_prestop_sleep_parsing(command, seconds):
    assert prestop_seconds(command) == seconds


def test_launch_spec_maps_ports_and_rejects_unknown_images():
    container = {"image": "agentflow-reference:1.11.3", "args": ["--port", "8080", "--lifecycle", "graceful"],
                 "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9091}]}
    ports = container_ports(container, PortAllocator())
    assert ports["http"] == ports["8080"] != ports["metrics"] == ports["9091"]
    launch = launch_spec(container, ports, "python")
    assert launch.argv[:3] == ["python", "-m", "localcluster.agentflow"]
    assert launch.argv.count("--port") == 1 and str(ports["http"]) in launch.argv
    assert launch.argv[-2:] == ["--lifecycle", "graceful"]
    with pytest.raises(ImageNotFound, match="nginx"):
        launch_spec({"image": "nginx"}, ports, "python")


def test_env_resolves_secrets_fields_and_drops_inherited_agentflow_vars(monkeypatch):
    monkeypatch.setenv("AGENTFLOW_TTFT", "const:9")
    pod = {"metadata": {"name": "p", "namespace": "ns", "uid": "u"}, "spec": {"nodeName": "n1"}}
    container = {"env": [
        {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "PLAIN", "value": "v"},
        {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "x", "key": "k", "optional": True}}}]}
    env = container_env(pod, container, {("ns", "s"): {"k": "secret"}})
    assert env["KEY"] == "secret" and env["NODE"] == "n1" and env["PLAIN"] == "v" and env["POD_NAME"] == "p"
    assert "OPT" not in env and "AGENTFLOW_TTFT" not in env
    with pytest.raises(ConfigError, match="couldn't find key k2 in Secret ns/s"):
        container_env(pod, {"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k2"}}}]},
                      {("ns", "s"): {"k": "secret"}})


def test_probe_results_against_closed_port():
    res = run_probe({"httpGet": {"path": "/health", "port": "http"}, "timeoutSeconds": 1}, {"http": 1})
    assert not res.ok and "connect" in res.message
    assert not run_probe({"tcpSocket": {"port": 1}}, {"1": 1}).ok
    assert "not a port" in run_probe({"httpGet": {"port": "nope"}}, {}).message
    assert not run_probe({"exec": {"command": ["curl", "x"]}}, {}).ok  # never run on the host


def test_crash_loop_backoff_doubles_and_caps():
    c = Container({"name": "a", "image": "agentflow-reference:1"}, {})
    delays = [c.schedule_restart(100.0, 10, 40, 600) for _ in range(6)]
    assert delays == [0.0, 10, 20, 40, 40, 40]
    c.running_since = 0.0001
    assert c.schedule_restart(10_000.0, 10, 40, 600) == 0.0  # ran long enough: back-off starts over


def test_topology_and_nodes():
    topo = parse_topology("3x7")
    nodes = topo.nodes()
    assert len(nodes) == 21 and nodes[0] == ("node-a1", "zone-a") and nodes[-1] == ("node-c7", "zone-c")
    node = node_object("node-b2", "zone-b")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "node-b2" and labels["topology.kubernetes.io/zone"] == "zone-b"
    assert node["status"]["allocatable"] == {"cpu": "4", "memory": "16Gi", "pods": "110",
                                             "ephemeral-storage": "100Gi"}
    for bad in ("3", "0x2", "axb", "27x1"):
        with pytest.raises(ValueError, match="--topology"):
            parse_topology(bad)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"variant": "nope"}, "--variant: unknown variant 'nope'"),
    ({"time_scale": "slow"}, "--time-scale: unknown time scale 'slow'"),
    ({"service_port": 70000}, "--service-port"),
    ({"manifests": "/nonexistent.yaml"}, "--manifests"),
])
def test_cluster_config_errors_name_the_option(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClusterConfig.build(tmp_path, **kwargs)
