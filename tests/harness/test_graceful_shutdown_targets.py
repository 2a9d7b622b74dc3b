"""The graceful-shutdown experiment takes out the pods serving the most long streams, one by default (deleting
every serving pod at once is an outage: Ready replicas drop to 0 and the PDB floor breaks by design)."""

from __future__ import annotations

import pytest
from chaoslib.exceptions import ActivityFailed

from experiments.afchaos.pod import actions
from experiments.afchaos.pod.actions import pods_to_terminate, terminate_pods_serving_long_streams


def test_the_busiest_pod_is_chosen_ties_by_name():
    serving = ["pod-b", "pod-a", "pod-c", "pod-b", "pod-a", "pod-c", "pod-c"]
    assert pods_to_terminate(serving, 1) == ["pod-c"]
    assert pods_to_terminate(serving, 2) == ["pod-c", "pod-a"]
    assert pods_to_terminate(serving, 5) == ["pod-c", "pod-a", "pod-b"]
    assert pods_to_terminate([], 1) == []


def test_max_pods_below_one_is_refused(monkeypatch):
    monkeypatch.setitem(actions._current, "streams", object())
    with pytest.raises(ActivityFailed, match="max_pods must be at least 1"):
        terminate_pods_serving_long_streams(max_pods=0)
