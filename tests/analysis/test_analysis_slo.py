"""SLO checks: every key passes and fails, per-endpoint overrides, error-rate breakdown, goodput, config errors."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_runs import checks_of, default_loadgen, fail_streams, make_streams, with_profile, write_run

from analysis.checks import ProfileError, parse_slos
from analysis.checks.goodput import good_mask
from analysis.quantiles import weighted_quantile
from analysis.rundir import load_for_report


@pytest.fixture(scope="module")
def frame():
    f = make_streams(900, seed=21)
    f.loc[f["endpoint"] == "agent_run", ["first_token", "last_token", "end"]] += 0.8  # agents answer slower
    fail_streams(f, f.index[[5, 9]], "stream_error", 200, "INTERNAL_ERROR")
    return f


@pytest.fixture(scope="module")
def run(frame, tmp_path_factory):
    return load_for_report(write_run(tmp_path_factory.mktemp("slo"), frame, loadgen=default_loadgen()))


def _expected(frame, key, rows=None):
    ok = (frame["outcome"] == "ok") if rows is None else (frame["outcome"] == "ok") & rows
    metric, pct = key.split("_")
    q = {"p50": 0.5, "p95": 0.95, "p99": 0.99}[pct]
    if metric == "itl":
        samples = frame.loc[ok, "gap_sample"]
        weights = frame.loc[ok, "gap_count"] / samples.map(len)
        return weighted_quantile(np.concatenate(samples.tolist()), [q], np.repeat(weights, samples.map(len)))[0]
    f = frame[ok]
    values = {
        "ttft": f["first_token"] - f["scheduled"],
        "tpot": (f["last_token"] - f["first_token"]) / (f["events"] - 1),
        "e2e": f["end"] - f["scheduled"],
    }[metric]
    return weighted_quantile(values, [q])[0]


@pytest.mark.parametrize("key", ["ttft_p50", "ttft_p95", "ttft_p99", "itl_p99", "tpot_p99", "e2e_p95", "e2e_p99"])
def test_each_latency_slo_passes_and_fails(run, frame, key):
    expected = _expected(frame, key)
    passing = checks_of(with_profile(run, {"slos": {key: expected * 1.0001}}))[f"slo.{key}"]
    failing = checks_of(with_profile(run, {"slos": {key: expected * 0.9999}}))[f"slo.{key}"]
    assert passing.verdict == "pass" and failing.verdict == "fail"
    assert passing.measured == pytest.approx(expected, rel=1e-6) and failing.measured == passing.measured
    assert failing.unit == "s" and failing.threshold == pytest.approx(expected * 0.9999)
    assert "FAIL" in failing.evidence.sentence and failing.evidence.window_s is not None
    assert failing.evidence.objects and failing.evidence.objects[0].startswith("stream w0-")


def test_error_rate_counts_every_non_ok_outcome_with_breakdown(run, frame, tmp_path):
    f = frame.copy()
    fail_streams(f, f.index[10:14], "http_error", 429, "RATE_LIMIT")
    fail_streams(f, f.index[20:23], "truncated")
    fail_streams(f, f.index[30:31], "timeout")
    fail_streams(f, f.index[40:41], "connect_error", 0, "ConnectError")
    checks = checks_of(load_for_report(write_run(tmp_path, f)))
    check = checks["slo.error_rate"]
    assert check.verdict == "fail" and check.threshold == 0.01  # the default
    assert check.measured == 11 / 900
    assert check.evidence.details["by_outcome"] == {
        "http_error": 4, "truncated": 3, "stream_error": 2, "timeout": 1, "connect_error": 1
    }
    assert "http_error status=429 error=RATE_LIMIT: 4" in check.evidence.objects
    assert "stream_error status=200 error=INTERNAL_ERROR: 2" in check.evidence.objects  # mid-stream counts
    assert check.unit == "fraction"


def test_error_rate_passes_under_threshold(run):
    check = checks_of(run)["slo.error_rate"]
    assert check.verdict == "pass" and check.measured == 2 / 900
    loose = checks_of(with_profile(run, {"slos": {"error_rate": "0.1%"}}))["slo.error_rate"]
    assert loose.verdict == "fail" and loose.threshold == pytest.approx(0.001)


def test_defaults_and_disabling_a_default(run):
    checks = checks_of(run)
    assert checks["slo.e2e_p99"].threshold == 10.0 and checks["slo.e2e_p99"].verdict == "pass"
    assert "slo.e2e_p99" not in checks_of(with_profile(run, {"slos": {"e2e_p99": None}}))


def test_per_endpoint_override_takes_its_streams_out_of_the_global_check(run, frame):
    agent = frame["endpoint"] == "agent_run"
    agent_p99 = _expected(frame, "ttft_p99", agent)
    others_p99 = _expected(frame, "ttft_p99", ~agent)
    assert agent_p99 > 0.8 > others_p99
    slos = {"ttft_p99": "800ms", "per_endpoint": {"agent_run": {"ttft_p99": agent_p99 + 0.01}}}
    checks = checks_of(with_profile(run, {"slos": slos}))
    assert checks["slo.ttft_p99"].verdict == "pass" and checks["slo.ttft_p99"].measured == others_p99
    assert "except agent_run" in checks["slo.ttft_p99"].evidence.sentence
    assert checks["slo.ttft_p99[agent_run]"].verdict == "pass"
    assert checks["slo.ttft_p99[agent_run]"].measured == agent_p99
    slos["per_endpoint"]["agent_run"]["ttft_p99"] = agent_p99 - 0.01
    assert checks_of(with_profile(run, {"slos": slos}))["slo.ttft_p99[agent_run]"].verdict == "fail"
    without = checks_of(with_profile(run, {"slos": {"ttft_p99": "800ms"}}))["slo.ttft_p99"]
    assert without.verdict == "fail"  # the slow agent streams now count against the global threshold


def test_per_endpoint_error_rate_and_unknown_endpoint(run):
    slos = {"per_endpoint": {"native_chat": {"error_rate": 0.0}, "chat_v2": {"ttft_p99": 1}}}
    checks = checks_of(with_profile(run, {"slos": slos}))
    native = checks["slo.error_rate[native_chat]"]
    assert native.evidence.details["streams"] == 300
    assert native.verdict == ("fail" if native.measured > 0 else "pass")
    assert checks["slo.error_rate"].evidence.details["streams"] == 600
    assert checks["slo.ttft_p99[chat_v2]"].verdict == "skipped"
    assert "endpoint chat_v2" in checks["slo.ttft_p99[chat_v2]"].evidence.sentence


def test_goodput_counts_streams_meeting_every_slo(run, frame):
    config = parse_slos({"slos": {"ttft_p50": 0.1, "ttft_p99": 0.5, "e2e_p99": 4.0, "itl_p99": 0.1}})
    good = good_mask(run, config)
    ok = frame["outcome"] == "ok"
    expected = (
        ok
        & (frame["first_token"] - frame["scheduled"] <= 0.5)  # the highest configured TTFT percentile
        & (frame["end"] - frame["scheduled"] <= 4.0)
        & (frame["gap_p99"] <= 0.1)
    )
    assert good.sum() == expected.sum() and 0 < good.sum() < len(frame)
    np.testing.assert_array_equal(good, expected.to_numpy())


@pytest.mark.parametrize(
    ("slos", "message"),
    [
        ({"ttft_p90": 1}, r"slos\.ttft_p90: unknown key"),
        ({"per_endpoint": {"agent_run": {"e2e_p50": 1}}}, r"slos\.per_endpoint\.agent_run"),
        ({"ttft_p99": -1}, r"slos\.ttft_p99: must be a positive duration .*, got -1"),
        ({"ttft_p99": "fast"}, r"slos\.ttft_p99: must be a positive duration .*, got 'fast'"),
        ({"error_rate": True}, r"slos\.error_rate: must be a non-negative number no greater than 1, got True"),
        ({"error_rate": "2 percent"}, r"slos\.error_rate: must be a non-negative number"),
    ],
)
def test_bad_slo_configuration_names_the_key(slos, message):
    with pytest.raises(ProfileError, match=message):
        parse_slos({"slos": slos})


def test_threshold_strings():
    config = parse_slos({"slos": {"ttft_p99": "200ms", "e2e_p95": "1.5s", "error_rate": "2%"}})
    assert config.thresholds == {"error_rate": 0.02, "e2e_p99": 10.0, "ttft_p99": 0.2, "e2e_p95": 1.5}
