"""The capacity sweep's curve (`sweep.png`): per concurrency level, TTFT p99 and the E2E p99 (stretch or
seconds) against their SLOs, and the pod's CPU as a share of its request against the HPA target; the knee (first
level breaking an SLO) is marked. Numbers and formulas: analysis/capacity.py."""

from __future__ import annotations

from analysis.capacity import LevelStats, SweepSlos, knee
from analysis.report.plots import _figure, _png


def sweep_plot(levels: list[LevelStats], target: float, slos: SweepSlos = SweepSlos()) -> bytes | None:
    if not levels:
        return None
    users = [lv.users for lv in levels]
    fig, (latency, cpu) = _figure(2)
    latency.plot(users, [lv.ttft_p99 for lv in levels], marker="o", label="TTFT p99 (s)")
    stretch = levels[0].stretch
    latency.plot(users, [lv.e2e_p99 for lv in levels], marker="s",
                 label="E2E p99 stretch (actual / expected)" if stretch else "E2E p99 (s)")
    latency.axhline(slos.ttft_p99, color="C0", linestyle=":", linewidth=1, label=f"TTFT SLO {slos.ttft_p99:g} s")
    limit = slos.stretch_p99 if stretch else slos.e2e_p99
    latency.axhline(limit, color="C1", linestyle=":", linewidth=1, label=f"E2E SLO {limit:g}")
    cpu.plot(users, [lv.cpu_util * 100 for lv in levels], marker="o", color="C2", label="CPU / request (%)")
    cpu.axhline(target * 100, color="black", linestyle="--", linewidth=1, label=f"HPA target {target:.0%}")
    _, bad = knee(levels)
    for ax in (latency, cpu):
        if bad is not None:
            ax.axvline(bad.users, color="#d62728", alpha=0.6, label=f"knee ({bad.users} streams)")
        ax.set_xscale("log", base=2)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=7)
        ax.set_ylim(bottom=0)
    cpu.set_xlabel("concurrent streams on one pod", fontsize=8)
    fig.suptitle("Capacity sweep: latency against the SLO, CPU against the HPA target")
    return _png(fig)
