"""The alerts plot (alerts.png): one band per alert on the time axis shared with the other plots (seconds since
run start): pending in light colour, firing in strong colour, and under each symptom alert the clients' breaches
of its SLO (analysis/alert_breaches.py) as a grey bar, so the delay from fault (hatched red marks) and breach to
pending and firing reads off directly. No alert rules recorded -> no plot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.alert_breaches import breaches
from analysis.checks.alerts import SYMPTOMS
from analysis.report.model import Analysis
from analysis.report.plots import _figure, _png, _stages

COLOURS = {"pending": "#f2cc60", "firing": "#cf222e"}


def _spans(times: np.ndarray, gap: float) -> list[tuple[float, float]]:
    if not len(times):
        return []
    cuts = np.flatnonzero(np.diff(times) > gap)
    starts, ends = np.concatenate([[0], cuts + 1]), np.concatenate([cuts, [len(times) - 1]])
    return [(float(times[s]), float(times[e]) + 1.0) for s, e in zip(starts, ends, strict=True)]


def _rules(analysis: Analysis) -> pd.DataFrame | None:
    c = analysis.cluster
    rules = c.frame("alert_rules") if c is not None else None
    if rules is None or rules.empty:
        return None
    return rules.sort_values("time", kind="stable").groupby("rule", sort=False).last()


def alerts_plot(analysis: Analysis) -> bytes | None:
    rules = _rules(analysis)
    if rules is None:
        return None
    c, origin = analysis.cluster, analysis.run.origin
    assert c is not None
    alerts = c.frame("alerts")
    names = list(rules.index)
    fig, axes = _figure(1)
    fig.subplots_adjust(left=0.16)  # room for the alert names
    ax = axes[0]
    for row, name in enumerate(names):
        for state in ("pending", "firing"):
            times = np.array([]) if alerts is None or alerts.empty else np.unique(alerts.loc[
                (alerts["alert"] == name) & (alerts["state"] == state), "time"].to_numpy(np.float64))
            for start, end in _spans(times - origin, 3.0):
                ax.broken_barh([(start, end - start)], (row - 0.3, 0.45), color=COLOURS[state])
        if name in SYMPTOMS and c.streams is not None and len(c.streams):
            kind, threshold, _, _ = SYMPTOMS[name]
            for b in breaches(c.streams, kind, threshold, float(rules.loc[name, "range_s"]) or 60.0):
                ax.broken_barh([(b.start - origin, b.duration)], (row + 0.2, 0.15), color="#6e7781")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.invert_yaxis()
    ax.grid(alpha=0.3, axis="x")
    if len(analysis.windows):
        ax.set_xlim(0, float(analysis.windows["start_s"].max() + analysis.window_s))
    _stages(axes, analysis)
    fig.suptitle("Alerts: pending (yellow), firing (red); grey: clients' breach of the alert's SLO")
    return _png(fig)


def render_alert_plots(analysis: Analysis) -> dict[str, tuple[str, bytes]]:
    png = alerts_plot(analysis)
    return {} if png is None else {"alerts.png": ("Alert states and the clients' breaches over time", png)}
