"""The report's building blocks: spike-keeping downsampling, natural units, families and their cards, the folded
per-phase table, the pinned uPlot files."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.checks.result import CheckResult, Evidence
from analysis.report import humanize, vendor
from analysis.report.downsample import minmax
from analysis.report.families import Family, family_of
from analysis.report.folding import phase_table, recovery_rows


def check(name: str, verdict: str = "pass", measured: float | None = 1.0, threshold: float | None = 2.0,
          unit: str = "s", kind: str = "slo", **details) -> CheckResult:
    return CheckResult(name, verdict, measured, threshold, unit, Evidence(f"{name} sentence", (10.0, 20.0),
                                                                         (), details), kind)


def test_minmax_keeps_a_one_sample_spike_and_dip_in_order():
    x = np.arange(100_000, dtype=float)
    y = np.ones_like(x)
    y[53_210], y[80_001] = 50.0, -7.0
    gaps = np.full_like(x, np.nan)
    xs, (ys, gs) = minmax(x, [y, gaps], buckets=500)
    assert len(xs) <= 1000 and np.all(np.diff(xs) >= 0)
    assert ys.max() == 50.0 and ys.min() == -7.0
    assert np.isnan(gs).all()  # no data stays no data
    spike = int(np.argmax(ys))
    assert xs[spike - 1] <= 53_210 <= xs[spike + 1]  # drawn where it happened
    small = np.arange(10.0)
    assert minmax(small, [small], buckets=500)[0].tolist() == small.tolist()  # short series untouched


def test_units_read_naturally():
    assert [humanize.duration(v) for v in (0, 0.000347, 0.347, 1.1449, 45.23, 138, 7260)] == \
        ["0 s", "0.347 ms", "347 ms", "1.14 s", "45.2 s", "2 min 18 s", "2 h 1 min"]
    assert [humanize.percent(v) for v in (0, 0.0042, 0.0123, 0.25)] == ["0 %", "0.42 %", "1.23 %", "25 %"]
    assert humanize.value(3.0, "s") == "3 s" and humanize.value(4, "denials") == "4 denials"
    recovered = check("recovery.pod-kill", measured=0.0, threshold=60.0, kind="recovery")
    assert humanize.recovery(recovered, 10.0) == "back within the first 10 s window after the fault"
    late = check("recovery.pod-kill", measured=20.0, threshold=60.0, kind="recovery")
    assert humanize.recovery(late, 10.0) == "back in the 10 s window starting 20 s after the fault"
    never = check("recovery.pod-kill", "fail", measured=None, threshold=60.0, kind="recovery")
    assert humanize.recovery(never, 10.0) == "not back before the run ended"
    assert humanize.measured_of_threshold(check("slo.ttft_p99", measured=1.14, threshold=3)) == "1.14 s (threshold 3 s)"


def test_families_and_card_status():
    assert [family_of(check(n)) for n in ("validity.streams", "slo.e2e_p99[agent_run]", "phase.fault.error_rate",
                                          "hpa.bounds", "capacity.unschedulable", "pdb.floor", "survival.in_flight",
                                          "experiment.pod-kill", "alerts.fired", "cluster.coverage", "new.thing")] == \
        ["validity", "slo", "slo", "hpa", "hpa", "pdb", "shutdown", "experiments", "alerts", "validity", "other"]
    family = Family("hpa", "HPA", [check("hpa.a"), check("hpa.b", "skipped")])
    assert family.status == "pass" and family.tally == "1 pass, 1 skipped"
    family.checks.append(check("hpa.c", "incomplete"))
    assert family.status == "incomplete"
    family.checks.append(check("hpa.d", "fail"))
    assert family.status == "fail"
    assert Family("x", "X", [check("x.a", "skipped")]).status == "skipped"


def test_per_phase_checks_fold_into_one_table():
    checks = [check(f"phase.{p}.{m}", "fail" if (p, m) == ("fault", "ttft_p99") else "pass", measured=0.5,
                    threshold=3.0 if m != "error_rate" else 0.01, unit="s" if m != "error_rate" else "fraction",
                    kind="phase", streams=100 + i)
              for i, p in enumerate(("steady", "fault", "recovery")) for m in ("error_rate", "ttft_p99")]
    table = phase_table(checks)
    assert table is not None and table.header == ["Phase", "Streams", "Error rate (limit 1 %)",
                                                  "TTFT p99 (limit 3 s)"]
    assert table.text_rows() == [["steady", "100", "50 %", "500 ms"], ["fault", "101", "50 %", "500 ms FAIL"],
                                 ["recovery", "102", "50 %", "500 ms"]]
    assert phase_table([check("slo.ttft_p99")]) is None
    rows = recovery_rows([check("recovery.drain", measured=0.0, threshold=60.0, kind="recovery")])
    assert rows[0][1][:4] == ["drain", "PASS", "back within the first 10 s window after the fault", "60 s"]


def test_vendored_uplot_is_checked_against_its_pinned_sha256(monkeypatch):
    assert "uPlot" in vendor.asset("uplot/uPlot.iife.min.js")
    vendor.asset.cache_clear()
    monkeypatch.setitem(vendor.CHECKSUMS, "uplot/uPlot.min.css", "0" * 64)
    with pytest.raises(vendor.VendorError, match="differs from the pinned"):
        vendor.asset("uplot/uPlot.min.css")
    vendor.asset.cache_clear()


def test_checks_incomplete_for_one_reason_are_shown_once():
    from types import SimpleNamespace

    from analysis.report.families import attention_groups, reason_of

    gap = "the observer did not see hpa during +460.0 s .. +465.8 s"
    checks = [check("hpa.bounds").incomplete(gap), check("hpa.policy").incomplete(gap),
              check("slo.ttft_p99", "fail"), check("pdb.floor").incomplete("no PDB samples")]
    assert reason_of(checks[0]) == gap and reason_of(checks[2]) is None
    groups = attention_groups(SimpleNamespace(checks=checks))
    assert [(v, r, [c.name for c in cs]) for v, r, cs in groups] == [
        ("fail", None, ["slo.ttft_p99"]), ("incomplete", gap, ["hpa.bounds", "hpa.policy"]),
        ("incomplete", "no PDB samples", ["pdb.floor"])]
    from analysis.report.families import without_reason

    assert without_reason(checks[0]) == "hpa.bounds sentence"


def test_alert_checks_become_timeline_bands():
    from types import SimpleNamespace

    from analysis.report.timeline import bands

    a = SimpleNamespace(stage_spans=[("steady", 0.0, 60.0)], mark_spans=[("pod-kill", 20.0, 25.0)],
                        checks=[check("alerts.AgentFlowErrors", "fail"), check("alerts.quiet", "skipped"),
                                check("slo.ttft_p99")])
    assert [(b["kind"], b["label"]) for b in bands(a)] == [("stage", "steady"), ("fault", "pod-kill"),
                                                           ("alert", "alerts.AgentFlowErrors")]
