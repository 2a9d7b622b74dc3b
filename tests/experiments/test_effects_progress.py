"""How far a fault's effect has come between the baseline and now (`experiments.afchaos.effects.workload`), for
each effect the experiments wait for: nothing changed (a no-op), under way, complete."""

from __future__ import annotations

import pytest

from experiments.afchaos.effects.workload import Snapshot, progress


def pod(name, node="n-a1", zone="zone-a", ready=True, terminating=False):
    return {"pod": name, "uid": f"uid-{name}", "node": node, "zone": zone, "ready": ready,
            "terminating": terminating}


def node(name, zone, unschedulable=False, ready="True"):
    return {"node": name, "zone": zone, "unschedulable": unschedulable, "ready": ready, "fault": None}


NODES = {n: node(n, f"zone-{n[2]}") for n in ("n-a1", "n-a2", "n-b1", "n-b2")}
BASE = Snapshot(0.0, {"p1": pod("p1"), "p2": pod("p2", "n-b1", "zone-b")}, NODES, replicas=2)


def now(pods, nodes=None):
    return Snapshot(1.0, {p["pod"]: p for p in pods}, {**NODES, **(nodes or {})})


def test_a_kill_that_deleted_nothing_has_not_started():
    state = progress("pods-replaced", BASE, now([pod("p1"), pod("p2", "n-b1", "zone-b")]), {})
    assert not state.started and not state.complete and state.waiting_for == "no pod was deleted"


def test_a_kill_is_complete_when_the_pod_is_gone_and_replaced_by_a_ready_pod():
    terminating = progress("pods-replaced", BASE, now([pod("p1", terminating=True), pod("p2"), pod("p3", ready=False)]),
                           {})
    assert terminating.started and terminating.target_pods == ["p1"] and "not yet gone: p1" in terminating.waiting_for
    unready = progress("pods-replaced", BASE, now([pod("p2"), pod("p3", ready=False)]), {})
    assert unready.waiting_for == "0 of 1 replacement pod(s) Ready"
    done = progress("pods-replaced", BASE, now([pod("p2"), pod("p3")]), {})
    assert done.complete and done.gone_pods == ["p1"] and done.replacements == ["p3"]


def test_a_rolling_restart_needs_every_old_pod_replaced():
    half = progress("all-pods-replaced", BASE, now([pod("p2"), pod("p3")]), {})
    assert half.started and not half.complete and "p2" in half.waiting_for
    done = progress("all-pods-replaced", BASE, now([pod("p3"), pod("p4")]), {})
    assert done.complete and done.needed == 2


def test_long_stream_pods_come_from_the_terminations_record():
    records = {"terminations": [{"terminated": ["p2"], "time": 0.5}]}
    assert not progress("long-stream-pods-terminated", BASE, now([pod("p1"), pod("p2")]), records).started
    done = progress("long-stream-pods-terminated", BASE, now([pod("p1"), pod("p3")]), records)
    assert done.complete and done.target_pods == ["p2"]
    assert progress("long-stream-pods-terminated", BASE, now([pod("p1")]), {}).waiting_for == "no pod was deleted"


def test_a_drain_needs_its_nodes_cordoned_and_their_pods_replaced_unless_a_pdb_refused_it():
    drain = {"drains": [{"nodes": ["n-a1"], "status": "drained", "denials": []}]}
    cordoned = {"n-a1": node("n-a1", "zone-a", unschedulable=True)}
    assert not progress("nodes-drained", BASE, now([pod("p1"), pod("p2")]), {}).started  # no drain record
    done = progress("nodes-drained", BASE, now([pod("p2"), pod("p3", "n-b2", "zone-b")], cordoned), drain)
    assert done.complete and done.affected_nodes == ["n-a1"] and done.gone_pods == ["p1"]
    stuck = {"drains": [{"nodes": ["n-a1"], "status": "stuck", "denials": [{"pod": "p1"}]}]}
    refused = progress("nodes-drained", BASE, now([pod("p1"), pod("p2")], cordoned), stuck)
    assert refused.complete and refused.refused and refused.gone_pods == []


@pytest.mark.parametrize("effect", ["zone-drained", "zone-failed"])
def test_a_zone_fault_needs_every_node_of_the_zone(effect):
    mark = {"unschedulable": True} if effect == "zone-drained" else {"ready": "Unknown"}
    one = {"n-a1": {**node("n-a1", "zone-a"), **mark}}
    partial = progress(effect, BASE, now([pod("p1", ready=False), pod("p2")], one), {}, zone="zone-a")
    assert partial.started and not partial.complete and "n-a2" in partial.waiting_for
    both = {n: {**node(n, "zone-a"), **mark} for n in ("n-a1", "n-a2")}
    if effect == "zone-failed":
        done = progress(effect, BASE, now([pod("p1", ready=False), pod("p2")], both), {}, zone="zone-a")
        still = progress(effect, BASE, now([pod("p1"), pod("p2")], both), {}, zone="zone-a")
        assert done.complete and not still.complete and "still Ready: p1" in still.waiting_for
    else:  # the zone's pods gone; their replacements may stay Pending (zone spread DoNotSchedule)
        done = progress(effect, BASE, now([pod("p2"), pod("p3", ready=False)], both), {}, zone="zone-a")
        assert done.complete and done.target_nodes == ["n-a1", "n-a2"] and done.needed == 0
    assert not progress(effect, BASE, now([pod("p1"), pod("p2")]), {}, zone="zone-x").started


def test_an_unknown_effect_is_refused_by_name():
    with pytest.raises(ValueError, match="'pods-killed'"):
        progress("pods-killed", BASE, BASE, {})
