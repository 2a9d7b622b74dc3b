"""The HPA plot (hpa.png) on the report's time axis: the load, the HPA's metrics against their targets, and the
replicas (desired, current, Ready) with the replay's expected path, its allowed band and the deviations marked.
Also the deviations table the Markdown and HTML reports show under it. No HPA samples -> no plot, no table.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.checks.hpa_conformance import Replayed, replayed
from analysis.report.model import Analysis
from analysis.report.plots import panels

__all__ = ["DEVIATION_HEADER", "deviation_table", "hpa_plot", "render_hpa_plots"]

DEVIATION_HEADER = ["HPA", "Time", "Kind", "Expected", "Observed", "From", "Reason"]


def _load(ax: Any, analysis: Analysis) -> None:
    origin, stages, loadgen = analysis.run.origin, analysis.run.stages, analysis.run.loadgen
    if stages is not None and len(stages):
        level = stages["users"].astype("float64").where(stages["users"].notna(), stages["rate"].astype("float64"))
        x = np.append(stages["start"].to_numpy(np.float64), stages["end"].to_numpy(np.float64)[-1:]) - origin
        y = np.append(level.to_numpy(np.float64), level.to_numpy(np.float64)[-1:])
        unit = "users" if stages["users"].notna().any() else "arrivals/s"
        ax.step(x, y, where="post", label=f"load ({unit})", linewidth=1.6, color="#4c72b0")
    if loadgen is not None and len(loadgen) and "active_streams" in loadgen.columns:
        active = loadgen.groupby("time")["active_streams"].sum()
        ax.plot(active.index.to_numpy(np.float64) - origin, active.to_numpy(np.float64), label="active streams",
                color="grey", alpha=0.7, linewidth=0.9)
    ax.set_ylabel("load")


def _metric_series(items: list[Replayed]) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """name -> (times, current utilization or value, target) for each replayed metric."""
    out: dict[str, tuple[list, list, float]] = {}
    for item in items:
        for m in item.inputs.metrics:
            values = m.utilization if m.target.target_type == "Utilization" else m.average
            key = f"{item.inputs.name} {m.target.name}" + (" %" if m.target.target_type == "Utilization" else "")
            times, current, _ = out.setdefault(key, ([], [], m.target.target))
            times.append(item.inputs.time)
            current.append(values)
    return {k: (np.concatenate(t), np.concatenate(v), target) for k, (t, v, target) in out.items()}


def _metrics(ax: Any, analysis: Analysis, items: list[Replayed]) -> None:
    origin = analysis.run.origin
    colours = ("#dd8452", "#55a868", "#8172b3", "#937860")
    for i, (key, (t, values, target)) in enumerate(_metric_series(items).items()):
        colour = colours[i % len(colours)]
        ax.step(t - origin, values, where="post", color=colour, label=f"{key} (reported)")
        ax.axhline(target, color=colour, linestyle="--", linewidth=0.9, label=f"{key} target {target:g}")
    ax.set_ylabel("utilization % / value")


def _replicas(ax: Any, analysis: Analysis, items: list[Replayed]) -> None:
    origin = analysis.run.origin
    for item in items:
        r, name = item.result, item.inputs.name
        x = r.time - origin
        ax.fill_between(x, r.low, r.high, step="post", color="#8172b3", alpha=0.18, linewidth=0,
                        label=f"{name} replay: allowed band")
        ax.step(x, r.expected, where="post", color="#8172b3", linestyle=":", linewidth=1.6,
                label=f"{name} replay: expected")
        ax.step(x, r.desired, where="post", color="#4c72b0", linewidth=1.6, label=f"{name} desired")
        ax.step(x, r.current, where="post", color="#4c72b0", linestyle="--", linewidth=1.0, label=f"{name} current")
        for d in r.deviations:
            ax.plot([d.time - origin], [d.observed], marker="X", color="#cf222e", markersize=9, linestyle="none")
            ax.annotate(f"{d.kind.replace('_', ' ')} ({d.expected} expected)", (d.time - origin, d.observed),
                        xytext=(4, 4), textcoords="offset points", fontsize=7, color="#cf222e")
    deployments = analysis.cluster.frame("deployments") if analysis.cluster is not None else None
    for name, rows in (deployments.groupby("name") if deployments is not None else []):
        rows = rows.sort_values("time")
        ax.step(rows["time"].to_numpy(np.float64) - origin, rows["ready"], where="post", color="#55a868",
                linewidth=1.1, label=f"{name} Ready")
    ax.set_ylabel("replicas")


def hpa_plot(analysis: Analysis, items: list[Replayed]) -> bytes | None:
    if not items:
        return None
    rows = [("Load", lambda ax: _load(ax, analysis)),
            ("HPA metrics (as the HPA reported them) vs targets", lambda ax: _metrics(ax, analysis, items)),
            ("Replicas: desired, current, Ready; the replay's expected path and band; deviations (X)",
             lambda ax: _replicas(ax, analysis, items))]
    return panels(analysis, rows, "HPA: load, metrics vs target, replicas against the replay of upstream's algorithm")


def _replayed(analysis: Analysis) -> list[Replayed]:
    cluster = analysis.cluster
    hpa = cluster.frame("hpa") if cluster is not None else None
    if cluster is None or hpa is None or not len(hpa):
        return []
    return replayed(analysis.run.manifest, cluster)


def render_hpa_plots(analysis: Analysis) -> dict[str, tuple[str, bytes]]:
    png = hpa_plot(analysis, _replayed(analysis))
    caption = "HPA: load, metrics vs target, replicas vs the replay's expected path and band, deviations"
    return {} if png is None else {"hpa.png": (caption, png)}


def deviation_table(analysis: Analysis) -> list[list[str]] | None:
    """Rows of the HPA deviations table (one "no deviation" row when empty); None without hpa.conformance."""
    checks = [c for c in analysis.checks if c.name.startswith("hpa.conformance") and c.verdict != "skipped"]
    if not checks:
        return None
    rows = []
    for check in checks:
        for d in check.evidence.details.get("deviations", []):
            rows.append([d["hpa"], f"+{d['time_s']:.1f} s", f"{d['kind'].replace('_', ' ')} scale-{d['direction']}",
                         str(d["expected"]), str(d["observed"]), str(d["current"]), d["reason"]])
    return rows or [["", "", "no deviation", "", "", "", "the observed path stayed within the replay's band"]]

