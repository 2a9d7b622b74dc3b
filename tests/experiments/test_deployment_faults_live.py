"""The alerting campaign's Deployment faults (experiments/afchaos/deployment/faults.py) against the local
cluster: each saves what it replaces in an annotation in the same patch and its restore puts exactly that back;
an original saved by a fault that was never rolled back is kept (scale_to_zero_for used to save the leftover
0 replicas as 1 and so restored 1 replica, not the original count)."""

from __future__ import annotations

import pytest

from experiments.afchaos.deployment.faults import (
    ORIGINAL_ARGS,
    ORIGINAL_REPLICAS,
    restore_fault_knobs,
    restore_replicas,
    scale_to_zero_for,
    set_fault_knobs,
)
from experiments.afchaos.k8s import Api
from localcluster.handle import LocalCluster

pytestmark = pytest.mark.slow
PATH = "/apis/apps/v1/namespaces/agentflow/deployments/agentflow"


@pytest.fixture(scope="module")
def lc(tmp_path_factory):
    with LocalCluster(tmp_path_factory.mktemp("lc"), time_scale="fast", timeout=90, service_port=0) as cluster:
        yield cluster


def _state(api: Api) -> tuple[list[str], int, dict[str, str]]:
    dep = api.get(PATH)
    container = next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "agentflow")
    return list(container.get("args") or []), int(dep["spec"]["replicas"]), dep["metadata"].get("annotations") or {}


def test_fault_knobs_are_set_and_put_back(kube_env):
    args, _, _ = _state(kube_env)
    done = set_fault_knobs({"--error-rate": "0.2"}, timeout=120)
    assert done["args_before"] == args and done["args_after"][-2:] == ["--error-rate", "0.2"]
    now, _, notes = _state(kube_env)
    assert now == done["args_after"] and ORIGINAL_ARGS in notes
    assert restore_fault_knobs(timeout=120) == {"deployment": "agentflow", "restored": True, "args": args}
    now, _, notes = _state(kube_env)
    assert now == args and ORIGINAL_ARGS not in notes
    assert restore_fault_knobs(timeout=120) == {"deployment": "agentflow", "restored": False}


def test_scale_to_zero_restores_the_original_count_even_over_a_leftover(kube_env):
    _, replicas, _ = _state(kube_env)
    assert replicas >= 2
    assert scale_to_zero_for(0, timeout=120)["replicas"] == replicas
    assert _state(kube_env)[1] == replicas and ORIGINAL_REPLICAS not in _state(kube_env)[2]
    # a scale-to-zero whose rollback never ran: 0 replicas, the original saved
    kube_env.patch(PATH, {"metadata": {"annotations": {ORIGINAL_REPLICAS: str(replicas)}}, "spec": {"replicas": 0}})
    assert scale_to_zero_for(0, timeout=120)["replicas"] == replicas
    assert _state(kube_env)[1] == replicas and ORIGINAL_REPLICAS not in _state(kube_env)[2]
    assert restore_replicas(timeout=120) == {"deployment": "agentflow", "restored": False}
