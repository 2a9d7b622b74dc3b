"""The alert checks on real data: reference servers, real Prometheus processes evaluating the shipped rules
(time-divided by 30) and client traffic on loopback. Each check FAILS on a known-bad rules set and passes on the
good one, under the same traffic. Slow: about a minute each."""

from __future__ import annotations

import pytest
from alert_scenario import RULE_SETS, run_scenario
from prom_helpers import need_binary

from analysis.checks.alerts import evaluate_alerts

pytestmark = pytest.mark.slow


def verdicts(cluster, origin):
    return {c.name: c for c in evaluate_alerts(cluster, origin)}


def test_error_breach_pages_with_the_corrected_rules_and_not_with_the_guides(tmp_path):
    need_binary("prometheus")
    sets = {name: make() for name, make in RULE_SETS.items()}
    clusters, streams = run_scenario(tmp_path, ["--error-rate", "0.3"], sets, seconds=40)
    assert (streams["outcome"] != "ok").mean() > 0.2  # the fault had its effect on the clients
    origin = float(streams["scheduled"].min())
    good, guide = verdicts(clusters["corrected"], origin), verdicts(clusters["guide"], origin)
    assert good["alerts.fired_when_due"].verdict == "pass", good["alerts.fired_when_due"].evidence.sentence
    assert good["alerts.fired_when_due"].measured is not None  # the delay from breach to firing
    assert good["alerts.no_false_alarm"].verdict == "pass", good["alerts.no_false_alarm"].evidence.sentence
    assert good["alerts.rule_health"].verdict == "pass", good["alerts.rule_health"].evidence.sentence
    missed = guide["alerts.fired_when_due"]
    assert missed.verdict == "fail" and "HighErrorRate (error rate > 1 %)" in missed.evidence.sentence
    assert "nobody was paged" in missed.evidence.sentence
    health = guide["alerts.rule_health"]
    assert health.verdict == "fail"
    assert "agentflow_requests_total" in health.evidence.sentence
    assert "agentflow_request_duration_seconds_bucket" in health.evidence.sentence


def test_false_alarm_and_unreachable_quantile_on_a_healthy_service(tmp_path):
    need_binary("prometheus")
    noisy = [{"name": "noisy", "rules": [
        {"alert": "HighErrorRate", "expr": 'sum(rate(agentflow_http_requests_total{status="2xx"}[5m])) > 0',
         "for": "1m"},
        {"alert": "HighLatency", "expr": "histogram_quantile(0.99, sum by (le) "
                                          "(rate(agentflow_http_request_duration_seconds_bucket[5m]))) > 10",
         "for": "5m"},
    ]}]
    clusters, streams = run_scenario(tmp_path, [], {"corrected": RULE_SETS["corrected"](), "noisy": noisy},
                                     seconds=25)
    assert (streams["outcome"] == "ok").all()
    origin = float(streams["scheduled"].min())
    good, bad = verdicts(clusters["corrected"], origin), verdicts(clusters["noisy"], origin)
    assert good["alerts.no_false_alarm"].verdict == "pass", good["alerts.no_false_alarm"].evidence.sentence
    assert good["alerts.fired_when_due"].verdict == "pass"
    alarm = bad["alerts.no_false_alarm"]
    assert alarm.verdict == "fail" and "HighErrorRate firing" in alarm.evidence.sentence
    health = bad["alerts.rule_health"]
    assert health.verdict == "fail" and "top finite bucket (10)" in health.evidence.sentence
