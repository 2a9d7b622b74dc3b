"""The rules as users deploy them: PrometheusRule or plain rules files read unchanged, the time scale applied to
exactly the durations that decide firing, and both shipped files checked by the real promtool."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from prom_helpers import need_binary

from localcluster.prometheus import CORRECTED_RULES, GUIDE_RULES
from localcluster.prometheus.rules import (
    RulesError,
    format_duration,
    load_rule_groups,
    parse_duration,
    scale_expr,
    scale_groups,
    write_rules,
)


def test_durations_round_trip():
    assert parse_duration("5m") == 300 and parse_duration("1h30m") == 5400 and parse_duration("250ms") == 0.25
    assert format_duration(60) == "60s" and format_duration(0.4) == "400ms"
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        parse_duration("5 minutes")


@pytest.mark.parametrize(("expr", "want"), [
    ("sum(rate(x[5m])) / sum(rate(y[5m])) > 0.01", "sum(rate(x[60s])) / sum(rate(y[60s])) > 0.01"),
    ("max_over_time(rate(x[5m])[30m:1m])", "max_over_time(rate(x[60s])[360s:12s])"),
    ("rate(x[1h] offset 10m)", "rate(x[720s] offset 120s)"),
    ("x[5m:]", "x[60s:]"),
    ("up == 0", "up == 0"),
])
def test_scale_expr_divides_ranges_subqueries_and_offsets(expr, want):
    assert scale_expr(expr, 5.0) == want


def test_scale_groups_changes_only_timing(tmp_path):
    groups = load_rule_groups(GUIDE_RULES)
    scaled = scale_groups(groups, 5.0)
    for old, new in zip(groups[0]["rules"], scaled[0]["rules"], strict=True):
        assert (old["alert"], old["labels"], old["annotations"]) == (new["alert"], new["labels"], new["annotations"])
        if "for" in old:
            assert parse_duration(new["for"]) == parse_duration(old["for"]) / 5
    assert scale_groups(groups, 1.0) == groups  # the real time scale loads the rules as read
    assert "[60s]" in scaled[0]["rules"][1]["expr"] and "[5m]" in groups[0]["rules"][1]["expr"]


def test_plain_rules_file_and_prometheusrule_read_alike(tmp_path):
    plain = write_rules(load_rule_groups(CORRECTED_RULES), tmp_path / "plain.yml")
    assert load_rule_groups(plain) == load_rule_groups(CORRECTED_RULES)


@pytest.mark.parametrize(("text", "message"), [
    ("kind: Deployment\nmetadata: {name: x}\n", "no PrometheusRule document"),
    ("kind: PrometheusRule\nspec: {groups: []}\n", "spec.groups: expected a non-empty list"),
    ("groups:\n  - {name: g}\n", r"groups\[0\]: a rule group needs"),
    ("groups: [\n", "not valid YAML"),
])
def test_bad_rules_files_name_the_file_and_field(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RulesError, match=message) as err:
        load_rule_groups(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("source", [GUIDE_RULES, CORRECTED_RULES], ids=["guide", "corrected"])
@pytest.mark.parametrize("factor", [1.0, 5.0])
def test_promtool_accepts_the_shipped_rules(tmp_path, source, factor):
    promtool = need_binary("promtool")
    path = write_rules(scale_groups(load_rule_groups(source), factor), tmp_path / "rules.yml")
    out = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS: 6 rules found" in out.stdout


def test_promtool_rejects_a_broken_rule(tmp_path):
    """The check above can fail: a rule with a PromQL syntax error is refused by promtool."""
    promtool = need_binary("promtool")
    groups = load_rule_groups(CORRECTED_RULES)
    groups[0]["rules"][1]["expr"] = "sum(rate(agentflow_http_requests_total[5m]) >"
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    out = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0


def test_promtool_scenarios_pass_for_the_corrected_rules_and_name_what_the_guide_misses():
    need_binary("promtool")
    from localcluster.prometheus.promtool import run_scenarios

    assert run_scenarios(CORRECTED_RULES).ok
    guide = run_scenarios(GUIDE_RULES)
    assert not guide.ok
    failed = set(re.findall(r"name: ([\w-]+),\s*alertname: (\w+)", guide.output))
    assert failed == {("errors", "HighErrorRate"), ("latency", "HighLatency"), ("all-down", "AgentFlowDown"),
                      ("one-pod", "AgentFlowDown")}


def test_afsuite_alerts_test_cli(tmp_path):
    need_binary("promtool")
    from typer.testing import CliRunner

    from harness.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["alerts", "test", str(CORRECTED_RULES)]).exit_code == 0
    bad = runner.invoke(app, ["alerts", "test", str(GUIDE_RULES)])
    assert bad.exit_code == 1 and "HighErrorRate" in bad.output
    broken = tmp_path / "x.yaml"
    broken.write_text("kind: Deployment\n")
    out = runner.invoke(app, ["alerts", "test", str(broken)])
    assert out.exit_code == 5 and "no PrometheusRule document" in out.output


def test_cluster_up_refuses_unusable_alert_rules_before_starting_anything(tmp_path):
    from typer.testing import CliRunner

    from harness.cli import app

    need_binary("prometheus")
    bad = tmp_path / "rules.yaml"
    bad.write_text("kind: Deployment\n")
    out = CliRunner().invoke(app, ["cluster", "up", "--alert-rules", str(bad), "--state-dir", str(tmp_path / "lc")])
    assert out.exit_code == 2 and "--alert-rules" in out.output and "no PrometheusRule document" in out.output
    assert not (tmp_path / "lc").exists()
