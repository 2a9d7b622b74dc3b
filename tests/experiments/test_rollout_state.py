"""The rollout rule of `experiments.afchaos.deployment.rollout` step by step: kubectl rollout status's steps and
messages, then the suite's stricter ones (every count equal to spec.replicas, no old ReplicaSet holding pods).
The same rule is run side by side with the real kubectl in tests/e2e/test_rollout_status_kubectl.py."""

from __future__ import annotations

import pytest

from experiments.afchaos.deployment.rollout import REVISION, rollout_state

UID = "dep-uid"


def deployment(generation=2, observed=2, spec=3, updated=3, replicas=3, ready=3, available=3, revision="2",
               reason="NewReplicaSetAvailable"):
    status = {"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated,
              "readyReplicas": ready, "availableReplicas": available,
              "conditions": [{"type": "Progressing", "status": "True", "reason": reason}]}
    return {"metadata": {"name": "agentflow", "uid": UID, "generation": generation,
                         "annotations": {REVISION: revision}},
            "spec": {"replicas": spec}, "status": status}


def replicaset(name, revision, replicas, spec=None, owner=UID):
    return {"metadata": {"name": name, "annotations": {REVISION: revision},
                         "ownerReferences": [{"kind": "Deployment", "controller": True, "uid": owner}]},
            "spec": {"replicas": replicas if spec is None else spec}, "status": {"replicas": replicas}}


NEW = replicaset("agentflow-new", "2", 3)


@pytest.mark.parametrize(("dep", "sets", "message"), [
    # the defect of issue 19: right after the restart patch the counts still describe the old, complete rollout
    (deployment(generation=3, observed=2), [NEW], "Waiting for deployment spec update to be observed..."),
    (deployment(updated=1, replicas=4), [NEW], "1 out of 3 new replicas have been updated..."),
    (deployment(updated=3, replicas=4), [NEW], "1 old replicas are pending termination..."),
    (deployment(available=2, ready=2), [NEW], "2 of 3 updated replicas are available..."),
    (deployment(ready=2), [NEW], "updated 3, ready 2, available 3, want 3 each..."),
    (deployment(), [NEW, replicaset("agentflow-old", "1", 1)], "old ReplicaSet(s) still hold pods: agentflow-old (1)"),
    (deployment(), [NEW, replicaset("agentflow-old", "1", 0, spec=1)], "agentflow-old (1)"),
])
def test_waits_for(dep, sets, message):
    state = rollout_state(dep, sets)
    assert not state.done and not state.failed
    assert message in state.message


def test_done_when_every_step_holds():
    others = [replicaset("agentflow-old", "1", 0), replicaset("someone-else", "1", 2, owner="other")]
    state = rollout_state(deployment(), [NEW, *others])
    assert state.done and state.message == 'deployment "agentflow" successfully rolled out'


def test_a_progress_deadline_exceeded_fails_like_kubectl():
    state = rollout_state(deployment(reason="ProgressDeadlineExceeded", updated=1), [NEW])
    assert state.failed and not state.done and "exceeded its progress deadline" in state.message
