"""The cluster plot (cluster.png): replicas, PDB healthy vs floor and pods per zone on one time axis shared with
the latency/throughput plots (seconds since run start), with load stages and fault marks drawn on every row.
Rows without data (no HPA, no PDB, no pods) are left out; no cluster data at all -> no plot.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analysis.report.model import Analysis
from analysis.report.plots import panels

ZONE_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")


def _rel(frame: pd.DataFrame, origin: float) -> np.ndarray:
    return frame["time"].to_numpy(np.float64) - origin


def _replicas(ax: Any, analysis: Analysis) -> None:
    c, origin = analysis.cluster, analysis.run.origin
    assert c is not None
    hpa, deployments = c.frame("hpa"), c.frame("deployments")
    for name, rows in (hpa.groupby("name") if hpa is not None else []):
        rows = rows.sort_values("time")
        ax.step(_rel(rows, origin), rows["desired_replicas"], where="post", label=f"HPA {name} desired", linewidth=1.6)
        ax.step(_rel(rows, origin), rows["current_replicas"], where="post", label=f"HPA {name} current",
                linestyle="--")
    for name, rows in (deployments.groupby("name") if deployments is not None else []):
        rows = rows.sort_values("time")
        ax.step(_rel(rows, origin), rows["ready"], where="post", label=f"{name} ready", linewidth=1.2)
        if hpa is None:
            ax.step(_rel(rows, origin), rows["spec_replicas"], where="post", label=f"{name} spec", linestyle="--")
    ax.set_ylabel("replicas")


def _pdb(ax: Any, analysis: Analysis) -> None:
    c, origin = analysis.cluster, analysis.run.origin
    assert c is not None
    pdb = c.frame("pdb")
    assert pdb is not None
    for name, rows in pdb.groupby("name"):
        rows = rows.sort_values("time")
        ax.step(_rel(rows, origin), rows["current_healthy"], where="post", label=f"PDB {name} healthy", linewidth=1.6)
        ax.step(_rel(rows, origin), rows["desired_healthy"], where="post", label=f"PDB {name} floor",
                color="#cf222e", linestyle="-.")
    ax.set_ylabel("pods")


def _zones(ax: Any, analysis: Analysis) -> None:
    c, origin = analysis.cluster, analysis.run.origin
    assert c is not None
    pods = c.frame("pods")
    assert pods is not None
    placed = pods[pods["node"].notna() & ~pods["terminating"].fillna(False).astype(bool)]
    zoned = placed.assign(zone=placed["zone"].fillna("(no zone)"))
    table = zoned.groupby(["time", "zone"]).size().unstack(fill_value=0)
    table = table.reindex(np.sort(pods["time"].unique()), fill_value=0)
    if len(table.columns):  # stacked, so equal counts stay visible and the top edge is the total
        colours = [ZONE_COLOURS[i % len(ZONE_COLOURS)] for i in range(len(table.columns))]
        ax.stackplot(table.index.to_numpy(np.float64) - origin, *(table[z].to_numpy() for z in table.columns),
                     labels=[str(z) for z in table.columns], colors=colours, step="post", alpha=0.75)
    ax.set_ylabel("pods per zone (stacked)")


def cluster_plot(analysis: Analysis) -> bytes | None:
    c = analysis.cluster
    if c is None:
        return None
    rows = []
    if c.frame("hpa") is not None or c.frame("deployments") is not None:
        rows.append(("Replicas (HPA desired/current, deployment Ready)", _replicas))
    if (pdb := c.frame("pdb")) is not None and len(pdb):
        rows.append(("PDB healthy vs floor (desired_healthy)", _pdb))
    if (pods := c.frame("pods")) is not None and len(pods):
        rows.append(("Scheduled, non-terminating pods per zone", _zones))
    if not rows:
        return None
    panel_rows: list[tuple[str, Callable[[Any], None]]] = [(title, functools.partial(draw, analysis=analysis))
                                                             for title, draw in rows]
    return panels(analysis, panel_rows,
                  "Cluster: replicas, disruption budget, placement (fault marks hatched red)")


def render_cluster_plots(analysis: Analysis) -> dict[str, tuple[str, bytes]]:
    png = cluster_plot(analysis)
    return {} if png is None else {"cluster.png": ("Replicas, PDB floor and pods per zone over time", png)}
