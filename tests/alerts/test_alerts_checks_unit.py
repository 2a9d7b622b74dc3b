"""The alert checks' logic on small recorded frames (what the recorder writes; the live, real-Prometheus versions
are in test_alerts_checks_live.py, slow), and the PromQL metric-name lexer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.alert_breaches import breaches
from analysis.checks.alerts import evaluate_alerts
from analysis.cluster import ClusterData
from harness.promql_names import metric_names

T0 = 1_800_000_000.0


def streams(seconds: int, bad: tuple[float, float] | None = None, per_s: int = 20, slow: float = 0.0):
    """per_s streams a second; those scheduled inside `bad` fail (or take `slow` s when slow > 0)."""
    sched = T0 + np.arange(seconds * per_s) / per_s
    inside = np.zeros(len(sched), bool) if bad is None else (sched >= T0 + bad[0]) & (sched < T0 + bad[1])
    took = np.where(inside & (slow > 0), slow, 0.5)
    outcome = np.where(inside & (slow == 0), "http_error", "ok")
    return pd.DataFrame({"stream_id": np.arange(len(sched)).astype(str), "pod": "p", "scheduled": sched,
                         "sent": sched, "headers": sched, "first_token": sched, "end": sched + took,
                         "outcome": outcome, "error": None})


def rule(name, expr, for_s=60.0, range_s=60.0, missing=(), tops=None):
    return {"time": T0, "group": "g", "rule": name, "health": "ok", "last_error": None, "expr": expr,
            "for_s": for_s, "range_s": range_s, "metrics": "[]", "missing": json.dumps(list(missing)),
            "top_buckets": json.dumps(tops or {}), "interval_s": 3.0}


def firing(name, start, end):
    times = T0 + np.arange(start, end, 1.0)
    return pd.DataFrame({"time": times, "alert": name, "group": "g", "state": "firing", "active_at": T0 + start,
                         "labels": "{}", "value": 1.0})


def cluster(stream_frame, rules, alerts=None):
    frames = {"alert_rules": pd.DataFrame(rules),
              "alerts": alerts if alerts is not None else pd.DataFrame(columns=["time", "alert", "state"])}
    return ClusterData(None, frames, None, {}, {}, None, stream_frame)


def checks(c):
    return {r.name: r for r in evaluate_alerts(c, T0)}


ERR = rule("HighErrorRate", "sum(rate(x[60s])) > 0.01")


def test_breach_intervals_follow_the_client_measure():
    found = breaches(streams(400, bad=(100, 250)), "errors", 0.01, 60.0)
    assert len(found) == 1 and 99 <= found[0].start - T0 <= 102 and 248 <= found[0].end - T0 <= 312
    slow = breaches(streams(200, bad=(50, 120), slow=12.0), "latency", 10.0, 60.0)
    assert len(slow) == 1 and slow[0].peak == pytest.approx(12.0)
    down = breaches(streams(200, bad=(50, 120)), "down", 1.0, 0.0)
    assert len(down) == 1 and 50 <= down[0].start - T0 <= 56


def test_fired_when_due_fails_naming_the_window_and_passes_with_the_alert():
    data = streams(400, bad=(100, 250))
    missed = checks(cluster(data, [ERR]))["alerts.fired_when_due"]
    assert missed.verdict == "fail" and "HighErrorRate (error rate > 1 %) +1" in missed.evidence.sentence
    assert "nobody was paged" in missed.evidence.sentence
    paged = checks(cluster(data, [ERR], firing("HighErrorRate", 170, 300)))["alerts.fired_when_due"]
    assert paged.verdict == "pass" and 65 <= paged.measured <= 75


def test_a_breach_shorter_than_for_is_reported_not_failed():
    result = checks(cluster(streams(400, bad=(100, 130)), [rule("HighErrorRate", "x", for_s=300.0)]))
    fired = result["alerts.fired_when_due"]
    assert fired.verdict == "pass" and "no rule could have caught it" in fired.evidence.sentence


def test_no_false_alarm_fails_when_clients_were_fine():
    alarm = checks(cluster(streams(300), [ERR], firing("HighErrorRate", 100, 150)))["alerts.no_false_alarm"]
    assert alarm.verdict == "fail" and "HighErrorRate firing +1" in alarm.evidence.sentence
    fine = checks(cluster(streams(400, bad=(100, 250)), [ERR], firing("HighErrorRate", 170, 300)))
    assert fine["alerts.no_false_alarm"].verdict == "pass"


def test_rule_health_names_missing_series_and_unreachable_quantiles():
    rules = [rule("HighErrorRate", "x", missing=["agentflow_requests_total"]),
             rule("HighLatency", "histogram_quantile(0.99, sum by (le) (rate(h_bucket[60s]))) > 10",
                  tops={"h_bucket": 10.0}),
             rule("Fine", "histogram_quantile(0.99, sum by (le) (rate(h_bucket[60s]))) > 5", tops={"h_bucket": 10.0})]
    health = checks(cluster(streams(100), rules))["alerts.rule_health"]
    assert health.verdict == "fail" and health.measured == 2
    assert "agentflow_requests_total had no series" in health.evidence.sentence
    assert "top finite bucket (10)" in health.evidence.sentence and "Fine" not in health.evidence.objects
    assert checks(cluster(streams(100), [rules[2]]))["alerts.rule_health"].verdict == "pass"


def test_no_rules_recorded_means_no_alert_checks():
    assert evaluate_alerts(ClusterData(None, {}, None, {}, {}, None, streams(10)), T0) == []


@pytest.mark.parametrize(("expr", "names"), [
    ('sum(rate(a_total{status="5xx", path!~"/x|/y"}[5m])) / sum(rate(a_total[5m])) > 0.01', ["a_total"]),
    ("histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m]))) > 10", ["h_bucket"]),
    ('(sum(up{job="agentflow"}) or vector(0)) == 0', ["up"]),
    ("x / on(pod) group_left(node) y offset 5m > bool 1e3", ["x", "y"]),
])
def test_metric_names(expr, names):
    assert metric_names(expr) == names


def test_a_breach_paged_by_another_symptom_alert_is_not_missed():
    down = rule("AgentFlowDown", "x", for_s=12.0, range_s=0.0)
    data = streams(400, bad=(100, 250))
    result = checks(cluster(data, [ERR, down], firing("AgentFlowDown", 120, 250)))["alerts.fired_when_due"]
    assert result.verdict == "pass" and "paged by AgentFlowDown" in result.evidence.sentence
