"""The validity gate: a saturated load generator makes every SLO verdict INVALID, never pass or fail."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_runs import T0, checks_of, default_loadgen, fail_streams, make_streams, write_run

from analysis.checks import ProfileError, overall_verdict
from analysis.rundir import load_for_report

PROFILE = {"slos": {"ttft_p99": 10.0, "error_rate": 0.5}}


def _judge(tmp_path, frame, loadgen=None, profile=PROFILE):
    return checks_of(load_for_report(write_run(tmp_path, frame, profile=profile, loadgen=loadgen)))


def test_healthy_generator_passes_the_gate(tmp_path):
    checks = _judge(tmp_path, make_streams(200), default_loadgen())
    gate = [c for c in checks.values() if c.kind == "validity"]
    assert [c.verdict for c in gate] == ["pass"] * 5
    assert overall_verdict(list(checks.values())) == "pass"


def test_saturated_cpu_invalidates_every_slo(tmp_path):
    frame = make_streams(200)
    fail_streams(frame, frame.index[:150], "timeout")  # would be a clear FAIL of error_rate
    loadgen = pd.concat([default_loadgen(), default_loadgen().assign(worker="w1")], ignore_index=True)
    loadgen.loc[loadgen.index[(loadgen["worker"] == "w1") & (loadgen["time"] >= T0 + 20)][:8], "cpu_percent"] = 97.5
    checks = _judge(tmp_path, frame, loadgen)
    cpu = checks["validity.loadgen_cpu"]
    assert cpu.verdict == "invalid" and cpu.measured == 97.5 and cpu.threshold == 90.0
    # the 5 s windows (t-5, t] whose mean is over the limit end at t+24 .. t+27
    assert cpu.evidence.objects == ("w1",) and cpu.evidence.window_s == (19.0, 27.0)
    assert "saturated" in cpu.evidence.sentence and "5 s mean" in cpu.evidence.sentence
    slos = [c for c in checks.values() if c.kind == "slo"]
    assert slos and all(c.verdict == "invalid" for c in slos)
    assert all("validity.loadgen_cpu 97.5 % > limit 90.0 %" in c.evidence.sentence for c in slos)
    assert checks["slo.error_rate"].measured == 0.75  # the measurement is kept for information
    assert overall_verdict(list(checks.values())) == "invalid"


def test_cpu_limit_comes_from_the_profile(tmp_path):
    profile = {**PROFILE, "validity": {"max_cpu_percent": 30}}
    checks = _judge(tmp_path, make_streams(50), default_loadgen(cpu=35.0), profile)
    assert checks["validity.loadgen_cpu"].verdict == "invalid"
    assert checks["slo.ttft_p99"].verdict == "invalid"


def test_dispatch_lag_invalidates(tmp_path):
    frame = make_streams(400)
    late = frame.index[::20]  # 5 % of the streams sent 2 s late: p99 is late
    frame.loc[late, ["sent", "headers", "first_token", "last_token", "end"]] += 2.0
    checks = _judge(tmp_path, frame, default_loadgen())
    lag = checks["validity.dispatch_lag"]
    assert lag.verdict == "invalid" and lag.measured > 1.0 and lag.threshold == 0.1  # the default
    assert lag.evidence.details["late_streams"] == len(late)
    assert checks["slo.ttft_p99"].verdict == "invalid"
    relaxed = _judge(tmp_path / "b", frame, default_loadgen(), {"validity": {"max_dispatch_lag_p99": 5}})
    assert relaxed["validity.dispatch_lag"].verdict == "pass"


def test_closed_loop_has_no_dispatch_lag_gate(tmp_path):
    checks = _judge(tmp_path, make_streams(100, open_loop=False), default_loadgen())
    assert checks["validity.dispatch_lag"].verdict == "skipped"
    assert "closed-loop" in checks["validity.dispatch_lag"].evidence.sentence


def test_dropped_arrivals_invalidate(tmp_path):
    loadgen = default_loadgen()
    loadgen.loc[10:14, "dropped"] = 3  # 15 dropped of 15 + 300 offered = 4.76 %
    checks = _judge(tmp_path, make_streams(300), loadgen)
    dropped = checks["validity.dropped"]
    assert dropped.verdict == "invalid" and dropped.measured == pytest.approx(15 / 315)
    assert dropped.evidence.window_s == (10.0, 14.0) and dropped.evidence.objects == ("w0",)
    assert all(c.verdict == "invalid" for c in checks.values() if c.kind == "slo")


def test_missing_loadgen_file_skips_its_gates(tmp_path):
    checks = _judge(tmp_path, make_streams(50), None)
    for name in ("validity.loadgen_cpu", "validity.dropped"):
        assert checks[name].verdict == "skipped"
        assert "load/loadgen.parquet not found" in checks[name].evidence.sentence
    assert checks["slo.ttft_p99"].verdict == "pass"


@pytest.mark.parametrize("streams", ["empty", "missing"])
def test_no_streams_is_invalid_with_a_clear_reason(tmp_path, streams):
    frame = make_streams(1).iloc[:0] if streams == "empty" else None
    checks = _judge(tmp_path, frame, default_loadgen())
    gate = checks["validity.streams"]
    assert gate.verdict == "invalid" and gate.measured == 0
    reason = "streams.parquet has no rows" if streams == "empty" else "streams.parquet not found"
    assert reason in gate.evidence.sentence
    assert all(c.verdict == "invalid" for c in checks.values() if c.kind == "slo")
    assert overall_verdict(list(checks.values())) == "invalid"


def test_bad_validity_configuration(tmp_path):
    run = load_for_report(write_run(tmp_path, make_streams(5), profile={"validity": {"max_cpu": 50}}))
    with pytest.raises(ProfileError, match=r"validity\.max_cpu: unknown key"):
        checks_of(run)
    assert np.isfinite(run.origin)


def test_one_hot_sample_is_not_saturation_but_a_sustained_window_is(tmp_path):
    """Regression (issue 12): the same overload profile run twice was INVALID once (one CPU sample at 91 %) and
    FAIL the next time. Saturation is judged on a 5 s mean per process, so brief spikes do not flip the verdict
    while a sustained overload is INVALID every time, wherever its samples fall."""
    frame = make_streams(200)
    fail_streams(frame, frame.index[:150], "timeout")
    for shift in range(5):  # the same shape of run, its spikes landing on different seconds
        spiky = default_loadgen(cpu=80.0)
        spiky.loc[[5 + shift, 17 + shift, 40 + shift], "cpu_percent"] = 91.0
        checks = _judge(tmp_path / f"spiky{shift}", frame, spiky)
        cpu = checks["validity.loadgen_cpu"]
        assert cpu.verdict == "pass" and cpu.measured < 90.0, cpu.evidence.sentence
        assert "3 single sample(s) above 90 %" in cpu.evidence.sentence
        assert checks["slo.error_rate"].verdict == "fail"  # FAIL every time, never INVALID by chance
        hot = default_loadgen(cpu=80.0)
        hot.loc[20 + shift: 34 + shift, "cpu_percent"] = 92.0 + shift
        checks = _judge(tmp_path / f"hot{shift}", frame, hot)
        assert checks["validity.loadgen_cpu"].verdict == "invalid"  # INVALID every time
        assert checks["slo.error_rate"].verdict == "invalid"


def test_saturation_window_comes_from_the_profile(tmp_path):
    loadgen = default_loadgen(cpu=50.0)
    loadgen.loc[10:12, "cpu_percent"] = 99.0  # 3 s hot: saturated for a 2 s window, not for the 5 s default
    assert _judge(tmp_path / "a", make_streams(50), loadgen)["validity.loadgen_cpu"].verdict == "pass"
    short = {**PROFILE, "validity": {"saturation_window_s": 2}}
    assert _judge(tmp_path / "b", make_streams(50), loadgen, short)["validity.loadgen_cpu"].verdict == "invalid"


def test_a_refused_api_key_makes_the_run_invalid(tmp_path):
    """Regression (issue 12): a wrong API key gave thousands of 401s and a plain FAIL of the error rate."""
    import json

    refused = make_streams(40)
    fail_streams(refused, refused.index, "http_error", status=401, error="UNAUTHORIZED")
    checks = _judge(tmp_path / "all", refused, default_loadgen())
    assert checks["validity.auth"].verdict == "invalid"
    assert "The API key was refused" in checks["validity.auth"].evidence.sentence
    assert checks["slo.error_rate"].verdict == "invalid"
    assert overall_verdict(list(checks.values())) == "invalid"
    # the load stopped early for it (manifest load.aborted): INVALID even with a stream that got through
    mixed = make_streams(40)
    fail_streams(mixed, mixed.index[1:], "http_error", status=403, error="FORBIDDEN")
    run = write_run(tmp_path / "aborted", mixed, profile=PROFILE, loadgen=default_loadgen())
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["load"] = {"aborted": {"reason": "api_key_refused", "status": 403, "streams": 5}}
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert checks_of(load_for_report(run))["validity.auth"].verdict == "invalid"
    # a few refusals among good streams are not a refused key
    some = make_streams(40)
    fail_streams(some, some.index[:3], "http_error", status=401, error="UNAUTHORIZED")
    assert _judge(tmp_path / "some", some, default_loadgen())["validity.auth"].verdict == "pass"
