"""PNG plots over time (seconds since run start) with the load stages drawn as labelled shaded spans and the fault
marks (chaos/marks.parquet) as hatched red spans labelled with the activity.

matplotlib is imported inside the functions and used through its object API with the Agg canvas, so nothing
global (pyplot state, the process-wide backend) is touched.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np

from analysis.report.model import Analysis

STAGE_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
OUTCOME_COLOURS = {
    "http_error": "#c44e52",
    "stream_error": "#dd8452",
    "truncated": "#8172b3",
    "connect_error": "#937860",
    "timeout": "#da8bc3",
}
PERCENTILE_STYLE = {"p50": ("-", 1.2), "p95": ("--", 1.2), "p99": (":", 1.8)}


def _figure(rows: int) -> tuple[Any, list[Any]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = 2.6 * rows + 0.9
    fig = Figure(figsize=(11, height), dpi=90)
    fig.subplots_adjust(left=0.07, right=0.93, top=1 - 0.55 / height, bottom=0.45 / height, hspace=0.2)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    return fig, list(axes)


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _stages(axes: list[Any], analysis: Analysis) -> None:
    spans = analysis.stage_spans
    for i, (name, start, end) in enumerate(spans):
        colour = STAGE_COLOURS[i % len(STAGE_COLOURS)]
        for ax in axes:
            ax.axvspan(start, end, color=colour, alpha=0.08, linewidth=0)
            ax.axvline(start, color=colour, alpha=0.4, linewidth=0.8)
        axes[0].annotate(
            name, xy=((start + end) / 2, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
            textcoords="offset points", ha="center", va="bottom", fontsize=8, color=colour,
        )
    for name, start, end in analysis.mark_spans:  # fault marks: hatched red spans labelled with the activity
        for ax in axes:
            ax.axvspan(start, max(end, start + 0.2), facecolor="#cf222e", alpha=0.12, hatch="//", edgecolor="#cf222e",
                       linewidth=0)
        axes[-1].annotate(
            name, xy=(start, 0.0), xycoords=("data", "axes fraction"), xytext=(2, 2), textcoords="offset points",
            ha="left", va="bottom", fontsize=7, color="#cf222e", rotation=90,
        )
    axes[-1].set_xlabel("seconds since run start")


def panels(analysis: Analysis, rows: list[tuple[str, Callable[[Any], None]]], title: str) -> bytes:
    """One figure of stacked panels on the report's time axis (stages and fault marks drawn on each)."""
    fig, axes = _figure(len(rows))
    for ax, (caption, draw) in zip(axes, rows, strict=True):
        draw(ax)
        ax.set_title(caption, fontsize=9, loc="left")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper right", fontsize=7)
    end = float(analysis.windows["start_s"].max() + analysis.window_s) if len(analysis.windows) else None
    if end:
        axes[0].set_xlim(0, end)
    _stages(axes, analysis)
    fig.suptitle(title)
    return _png(fig)


def _x(analysis: Analysis) -> np.ndarray:
    return analysis.windows["start_s"].to_numpy(np.float64) + analysis.window_s / 2


def latency_plot(analysis: Analysis) -> bytes:
    metrics = [("ttft", "TTFT"), ("itl", "ITL (pooled)"), ("e2e", "E2E")]
    fig, axes = _figure(len(metrics))
    x = _x(analysis)
    marker = "." if len(x) <= 120 else None
    for ax, (metric, title) in zip(axes, metrics, strict=True):
        drawn = False
        for column, (style, width) in PERCENTILE_STYLE.items():
            name = f"{metric}_{column}"
            if name in analysis.windows.columns and analysis.windows[name].notna().any():
                ax.plot(x, analysis.windows[name], linestyle=style, linewidth=width, marker=marker, label=column)
                drawn = True
        for check in analysis.checks:  # the global SLO thresholds of this metric, as horizontal lines
            if check.name.startswith(f"slo.{metric}_p") and "[" not in check.name and check.threshold is not None:
                label = f"SLO {check.name.removeprefix(f'slo.{metric}_')}"
                ax.axhline(check.threshold, color="#cf222e", linewidth=0.9, linestyle="-.", label=label)
        ax.set_ylabel(f"{title} (s)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend(loc="upper left", fontsize=8)
        else:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="grey")
    _stages(axes, analysis)
    fig.suptitle(f"Latency percentiles per {analysis.window_s:g} s window (ok streams, by scheduled start)")
    return _png(fig)


def throughput_plot(analysis: Analysis) -> bytes:
    fig, axes = _figure(2)
    w, x = analysis.windows, _x(analysis)
    ax = axes[0]
    marker = "." if len(x) <= 120 else None
    ax.plot(x, w["started_per_s"], label="started/s", marker=marker)
    ax.plot(x, w["finished_per_s"], label="finished/s", marker=marker)
    if "goodput_per_s" in w.columns:
        ax.plot(x, w["goodput_per_s"], label="goodput/s", linestyle="--")
    ax.set_ylabel("streams/s")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    twin = ax.twinx()
    twin.plot(x, w["events_per_s"], color="grey", alpha=0.6, label="events/s")
    twin.set_ylabel("content events/s")
    twin.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", fontsize=8)
    ax = axes[1]
    starts = analysis.windows["start_s"].to_numpy(np.float64)
    edges = np.append(starts, starts[-1] + analysis.window_s) if len(starts) else starts
    shown = [o for o in analysis.errors.columns if analysis.errors[o].to_numpy().any()]
    if shown:  # one stacked step area per outcome (cheap for thousands of windows, unlike bars)
        counts = [np.append(analysis.errors[o].to_numpy(np.float64), analysis.errors[o].iloc[-1]) for o in shown]
        colours = [OUTCOME_COLOURS.get(o, "#555555") for o in shown]
        ax.stackplot(edges, *counts, labels=shown, colors=colours, step="post", alpha=0.85)
    ax.set_ylabel(f"errors per {analysis.window_s:g} s")
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)
    if shown:
        ax.legend(loc="upper left", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no errors", transform=ax.transAxes, ha="center", va="center", color="grey")
    _stages([axes[0], axes[1]], analysis)
    fig.suptitle("Throughput and errors by outcome")
    return _png(fig)


PLOTS = {
    "latency.png": ("Latency percentiles over time", latency_plot),
    "throughput.png": ("Throughput and errors by outcome over time", throughput_plot),
}


def render_plots(analysis: Analysis) -> dict[str, tuple[str, bytes]]:
    """file name -> (caption, PNG bytes)."""
    return {name: (caption, draw(analysis)) for name, (caption, draw) in PLOTS.items()}
