"""The report's `experiment.<name>` check proves the fault's effect from the observed data: PASS only when it
happened and the run covered it plus its tail; INCOMPLETE ("the fault had no effect") when the fault was a
no-op, for every experiment; FAIL when the effect began but never completed (a finding, not a no-op)."""

from __future__ import annotations

import pytest
from cluster_runs import T0, pod_name
from effect_runs import KINDS, happened, no_op, run_data

from analysis.checks.experiments import evaluate_experiments
from analysis.checks.result import EXIT_CODES, CheckResult, Evidence, overall_verdict


def check(experiment: str, data) -> CheckResult:
    (result,) = evaluate_experiments(data, {"experiments": [experiment]}, T0)
    return result


@pytest.mark.parametrize("experiment", sorted(KINDS))
def test_a_fault_that_took_effect_passes_with_the_effect_named(experiment):
    result = check(experiment, run_data(experiment, happened(experiment)))
    assert result.verdict == "pass", result.evidence.sentence
    assert result.evidence.details["effect"] == "proven"
    assert "took effect" in result.evidence.sentence


@pytest.mark.parametrize("experiment", sorted(KINDS))
def test_a_no_op_fault_is_incomplete_for_every_experiment(experiment):
    """The fault's selector matched nothing: the journal may even say completed, the check is never a pass."""
    for method_failed in (False, True):
        result = check(experiment, run_data(experiment, no_op(experiment), status="none",
                                            method_failed=method_failed))
        assert result.verdict == "incomplete", result.evidence.sentence
        assert "the fault had no effect" in result.evidence.sentence


def test_the_replaced_pods_and_their_replacements_are_named():
    result = check("rolling-restart", run_data("rolling-restart", happened("rolling-restart")))
    sentence = result.evidence.sentence
    assert all(pod_name(i) in sentence and pod_name(f"n{i}") in sentence for i in range(3)), sentence
    assert "Ready by +22.0 s" in sentence and "10 s tail" in sentence


def test_a_rolling_restart_that_replaced_only_some_pods_is_not_proven():
    tl = happened("rolling-restart")
    tl.pods[pod_name(2)].last, tl.pods[pod_name(2)].terminating_from = 1e9, 1e9  # the last old pod stayed
    del tl.pods[pod_name("n2")]
    result = check("rolling-restart", run_data("rolling-restart", tl))
    assert result.verdict == "incomplete" and pod_name(2) in result.evidence.sentence


@pytest.mark.parametrize(("observer_end", "load_end", "gap"), [(25.0, 60.0, "observer"), (60.0, 25.0, "load")])
def test_a_run_that_stops_before_the_effect_plus_its_tail_is_incomplete(observer_end, load_end, gap):
    """pod-kill: replacement Ready at 20 s, 10 s tail: the observer and the load must reach 28 s (2 s slack)."""
    result = check("pod-kill", run_data("pod-kill", happened("pod-kill"), observer_end=observer_end,
                                        load_end=load_end))
    assert result.verdict == "incomplete"
    assert f"the {gap} stopped at +2" in result.evidence.sentence, result.evidence.sentence


def test_an_effect_that_began_but_never_completed_is_a_fail_not_incomplete():
    tl = happened("pod-kill")
    tl.pods[pod_name("n1")].ready_from = 1e9  # the replacement never became Ready
    result = check("pod-kill", run_data("pod-kill", tl, status="timeout", method_failed=True))
    assert result.verdict == "fail" and "never completed" in result.evidence.sentence


def test_a_drain_refused_by_the_pdb_had_an_effect_and_fails_for_it():
    tl = happened("node-drain")
    tl.pods = {p: tl.pods[p] for p in (pod_name(0), pod_name(2))} | {pod_name(1): type(tl.pods[pod_name(0)])(
        "node-b1")}  # nothing was evicted
    tl.effect["refused"] = True
    tl.records["drains"][0].update(status="stuck", denials=[{"pod": pod_name(1), "message": "budget"}])
    result = check("node-drain", run_data("node-drain", tl, method_failed=True))
    assert result.verdict == "fail", result.evidence.sentence
    assert "refused by the PodDisruptionBudget" in result.evidence.sentence


def test_a_zone_fault_must_reach_every_node_of_the_zone():
    tl = happened("zone-outage")
    del tl.cordoned["node-b2"]
    result = check("zone-outage", run_data("zone-outage", tl))
    assert result.verdict == "incomplete"
    assert "node-b2 of zone zone-b never seen cordoned" in result.evidence.sentence
    assert "node-b2" in result.evidence.objects


def test_a_hard_zone_failure_must_take_the_zone_pods_out_of_service():
    tl = happened("zone-outage-hard")
    tl.pods[pod_name(1)].ready_until = 1e9  # NotReady nodes, yet the pod stayed Ready
    result = check("zone-outage-hard", run_data("zone-outage-hard", tl))
    assert result.verdict == "incomplete" and pod_name(1) in result.evidence.sentence


def test_a_run_without_effect_records_is_incomplete_and_says_how_to_record_them():
    result = check("pod-kill", run_data("pod-kill", happened("pod-kill"), with_records=False))
    assert result.verdict == "incomplete"
    assert "record_workload" in result.evidence.sentence and "fault_took_effect" in result.evidence.sentence


def test_a_dry_run_had_no_effect():
    result = check("pod-kill", run_data("pod-kill", no_op("pod-kill"), status="dry-run"))
    assert result.verdict == "incomplete" and "dry run" in result.evidence.sentence


def test_a_journal_whose_method_never_ran_keeps_its_fail():
    data = run_data("pod-kill", no_op("pod-kill"), with_records=False, ran=False)
    data.journals["pod-kill"]["status"] = "failed"
    assert check("pod-kill", data).verdict == "fail"


def test_incomplete_is_the_overall_verdict_unless_something_failed_or_is_invalid():
    def made(verdict: str) -> CheckResult:
        return CheckResult(verdict, verdict, None, None, "", Evidence(verdict))  # type: ignore[arg-type]

    assert overall_verdict([made("pass"), made("incomplete")]) == "incomplete"
    assert overall_verdict([made("incomplete"), made("fail")]) == "fail"
    assert overall_verdict([made("incomplete"), made("invalid")]) == "invalid"
    assert EXIT_CODES["incomplete"] == 3 and EXIT_CODES["fail"] == 1 and EXIT_CODES["pass"] == 0


def test_a_later_experiment_of_the_campaign_does_not_count():
    """The observer goes on after the experiment (a campaign): a pod another experiment kills at 58 s (after this
    journal's end at 55 s) is not one of this fault's targets."""
    tl = happened("pod-kill")
    tl.pods[pod_name(0)].terminating_from, tl.pods[pod_name(0)].last = 58, 60
    result = check("pod-kill", run_data("pod-kill", tl, observer_end=70, load_end=70))
    assert result.verdict == "pass", result.evidence.sentence
    assert pod_name(1) in result.evidence.sentence and pod_name(0) not in result.evidence.sentence
