"""The survival-by-length plot (`plots/survival_by_length.png`): every stream in flight when its pod began
terminating, by what it still needed then (x: start + length - t) and its length (y), coloured by fate; the
workload's budget min(grace, preStop + drain) as a vertical line and the agent timeout as a horizontal one. A
second panel counts fates per length bucket. Data and formulas: analysis/checks/survival_by_length.py."""

from __future__ import annotations

import numpy as np

from analysis.checks.survival import termination_times
from analysis.checks.survival_by_length import LABELS, budget, in_flight
from analysis.report.model import Analysis
from analysis.report.plots import _figure, _png

COLOURS = {"completed": "#2ca02c", "cut": "#d62728", "errored": "#ff7f0e", "timed_out": "#7f7f7f"}


def survival_plot(analysis: Analysis) -> bytes | None:
    cluster = analysis.cluster
    pods = None if cluster is None else cluster.frame("pods")
    if cluster is None or pods is None or not len(pods):
        return None
    flying = in_flight(cluster, termination_times(pods, cluster.records.get("terminations")))
    if not len(flying):
        return None
    _, allowed, timeout = budget(cluster)
    fig, (scatter, bars) = _figure(2)
    bars.remove()  # the bars do not share the scatter's x axis
    bars = fig.add_subplot(2, 1, 2)
    scatter.xaxis.set_tick_params(labelbottom=True)
    known = flying[flying["length_known"]]
    for fate, colour in COLOURS.items():
        part = known[known["fate"] == fate]
        if len(part):
            scatter.scatter(part["needed"], part["length"], s=14, color=colour, label=f"{fate} ({len(part)})")
    if allowed is not None:
        scatter.axvline(allowed, color="black", linestyle="--", linewidth=1,
                        label=f"allowed min(grace, preStop + drain) = {allowed:g} s")
    scatter.axhline(timeout, color="#9467bd", linestyle=":", linewidth=1, label=f"agent timeout {timeout:g} s")
    scatter.set_xlabel("seconds the stream still needed when its pod began terminating", fontsize=8)
    scatter.set_ylabel("stream length (s)", fontsize=8)
    scatter.legend(loc="upper left", fontsize=7)
    scatter.grid(alpha=0.3)
    buckets = [*LABELS, "unknown"]
    bottom = np.zeros(len(buckets))
    for fate, colour in COLOURS.items():
        counts = np.array([int(((flying["bucket"] == b) & (flying["fate"] == fate)).sum()) for b in buckets])
        if counts.any():
            bars.bar(buckets, counts, bottom=bottom, color=colour, label=fate)
            bottom += counts
    bars.set_ylabel("in-flight streams", fontsize=8)
    bars.set_xlabel("stream length", fontsize=8)
    bars.legend(loc="upper right", fontsize=7)
    bars.grid(alpha=0.3, axis="y")
    fig.suptitle("Survival by stream length: in-flight streams at every pod termination")
    return _png(fig)


def render_survival_plots(analysis: Analysis) -> dict[str, tuple[str, bytes]]:
    png = survival_plot(analysis)
    caption = ("Survival by stream length: what each in-flight stream still needed when its pod began terminating, "
               "against the workload's budget and the agent timeout; fates per length bucket")
    return {} if png is None else {"survival_by_length.png": (caption, png)}
