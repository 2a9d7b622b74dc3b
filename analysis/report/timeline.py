"""The data of report.html's interactive timeline: panels of series on one time axis (seconds since run start),
plus labelled bands (load stages, fault windows, node cordons) drawn on every panel.

Panels: load (stage users or arrival rate, started/finished/goodput streams/s), streams by outcome per second,
error rate, TTFT/ITL and E2E percentiles per window, replicas (HPA desired/current, deployment Ready), and the PDB
(allowed disruptions, healthy vs floor) with the number of cordoned nodes. Alert checks' evidence windows (when the
run has alert checks) are drawn as orange bands. Series sampled more densely than the
display can show are downsampled with analysis.report.downsample.minmax, so spikes stay visible.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.report.downsample import minmax
from analysis.report.families import family_of
from analysis.report.model import Analysis

OUTCOME_COLOURS = {"ok": "#1a7f37", "http_error": "#c44e52", "stream_error": "#dd8452", "truncated": "#8172b3",
                   "connect_error": "#937860", "timeout": "#da8bc3"}
PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
BUCKETS = 1500


def _series(label: str, values: np.ndarray, colour: str, unit: str, dash: bool = False,
            step: bool = False) -> dict[str, Any]:
    return {"label": label, "values": values, "colour": colour, "unit": unit, "dash": dash, "step": step}


def _panel(key: str, title: str, unit: str, x: np.ndarray, series: list[dict[str, Any]]) -> dict[str, Any] | None:
    series = [s for s in series if np.isfinite(np.asarray(s["values"], dtype=np.float64)).any()]
    if not series or not len(x):
        return None
    xs, ys = minmax(x, [s["values"] for s in series], BUCKETS)
    return {"key": key, "title": title, "unit": unit, "x": _list(xs),
            "series": [{**{k: v for k, v in s.items() if k != "values"}, "values": _list(y)}
                       for s, y in zip(series, ys, strict=True)]}


def _list(values: np.ndarray) -> list[float | None]:
    return [round(float(v), 4) if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64)]


def _window_panels(a: Analysis) -> list[dict[str, Any] | None]:
    w = a.windows
    if not len(w):
        return []
    x = w["start_s"].to_numpy(np.float64) + a.window_s / 2
    col = lambda name: w[name].to_numpy(np.float64) if name in w.columns else np.full(len(w), np.nan)  # noqa: E731
    load = [_series("started/s", col("started_per_s"), PALETTE[0], "/s"),
            _series("finished/s", col("finished_per_s"), PALETTE[2], "/s"),
            _series("goodput/s", col("goodput_per_s"), PALETTE[4], "/s", dash=True)]
    errors = a.errors.reindex(range(len(w)), fill_value=0) if len(a.errors) else pd.DataFrame(index=range(len(w)))
    error_total = errors.sum(axis=1).to_numpy(np.float64) if len(errors.columns) else np.zeros(len(w))
    finished = col("finished")
    outcomes = [_series("ok/s", (finished - error_total) / a.window_s, OUTCOME_COLOURS["ok"], "/s")]
    outcomes += [_series(f"{o}/s", errors[o].to_numpy(np.float64) / a.window_s, OUTCOME_COLOURS.get(o, PALETTE[7]),
                         "/s") for o in errors.columns if errors[o].to_numpy().any()]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(finished > 0, error_total / finished * 100, np.nan)
    latency = [_series(f"{m.upper()} {p}", col(f"{m}_{p}"), colour, "s", dash=p == "p50")
               for m, colours in (("ttft", PALETTE[:3]), ("itl", PALETTE[3:6]))
               for p, colour in zip(("p50", "p95", "p99"), colours, strict=True)]
    e2e = [_series(f"E2E {p}", col(f"e2e_{p}"), colour, "s", dash=p == "p50")
           for p, colour in zip(("p50", "p95", "p99"), PALETTE[:3], strict=True)]
    return [_panel("load", "Streams per second", "/s", x, load),
            _panel("outcomes", "Streams by outcome per second", "/s", x, outcomes),
            _panel("error_rate", f"Error rate per {a.window_s:g} s window", "%", x,
                   [_series("error rate", rate, OUTCOME_COLOURS["http_error"], "%")]),
            _panel("ttft_itl", f"TTFT and ITL per {a.window_s:g} s window", "s", x, latency),
            _panel("e2e", f"E2E per {a.window_s:g} s window", "s", x, e2e)]


def _users_panel(a: Analysis) -> dict[str, Any] | None:
    loadgen = getattr(a.run, "loadgen", None)
    if loadgen is not None and len(loadgen) and "users" in loadgen.columns and loadgen["users"].fillna(0).any():
        per_second = loadgen.assign(second=np.floor(loadgen["time"].to_numpy(np.float64) - a.run.origin))
        users = per_second.groupby(["second", "worker"])["users"].last().groupby(level=0).sum()
        line = _series("users", users.to_numpy(np.float64), PALETTE[0], "users", step=True)
        return _panel("users", "Load: users (load generator, per second)", "users",
                      users.index.to_numpy(np.float64), [line])
    s = a.stages
    if not len(s) or "start_s" not in s.columns:
        return None
    for column, label, unit in (("users", "users", "users"), ("rate", "arrivals/s", "/s")):
        if column in s.columns and s[column].notna().any():
            spans = s.dropna(subset=["start_s"]).sort_values("start_s")
            end = spans["end_s"].fillna(spans["start_s"]).to_numpy(np.float64)
            x = np.r_[spans["start_s"].to_numpy(np.float64), end[-1:]]
            y = np.r_[spans[column].to_numpy(np.float64), spans[column].to_numpy(np.float64)[-1:]]
            line = _series(label, y, PALETTE[0], unit, step=True)
            return _panel("users", f"Load: {label} per stage", unit, x, [line])
    return None


def _pivot(frame: pd.DataFrame, column: str, times: np.ndarray) -> dict[str, np.ndarray]:
    """name -> the column's value at each of `times` (absolute), NaN where that object has no sample."""
    out = {}
    for name, rows in frame.groupby("name"):
        by_time = rows.drop_duplicates("time", keep="last").set_index("time")[column].astype(np.float64)
        out[str(name)] = by_time.reindex(times).to_numpy(np.float64)
    return out


def _cluster_panels(a: Analysis) -> list[dict[str, Any] | None]:
    c = a.cluster
    if c is None:
        return []
    origin, panels = a.run.origin, []
    hpa, deployments, pdb, nodes = c.frame("hpa"), c.frame("deployments"), c.frame("pdb"), c.frame("nodes")
    frames = [f for f in (hpa, deployments, pdb) if f is not None and len(f)]
    if frames:
        times = np.unique(np.concatenate([f["time"].to_numpy(np.float64) for f in frames]))
        replicas: list[dict[str, Any]] = []
        for frame, column, label in ((hpa, "desired_replicas", "HPA {} desired"), (hpa, "current_replicas",
                                     "HPA {} current"), (deployments, "ready", "{} Ready")):
            if frame is not None and len(frame):
                for name, y in _pivot(frame, column, times).items():
                    replicas.append(_series(label.format(name), _ffill(y), PALETTE[len(replicas) % 8], "", step=True))
        panels.append(_panel("replicas", "Replicas", "", times - origin, replicas))
        budget: list[dict[str, Any]] = []
        if pdb is not None and len(pdb):
            for column, label in (("disruptions_allowed", "PDB {} allowed disruptions"),
                                  ("current_healthy", "PDB {} healthy"), ("desired_healthy", "PDB {} floor")):
                for name, y in _pivot(pdb, column, times).items():
                    budget.append(_series(label.format(name), _ffill(y), PALETTE[len(budget) % 8], "", step=True,
                                          dash=column == "desired_healthy"))
        if nodes is not None and len(nodes):
            cordoned = nodes[nodes["unschedulable"].fillna(False).astype(bool)].groupby("time").size()
            counts = cordoned.reindex(np.unique(nodes["time"].to_numpy(np.float64)), fill_value=0)
            y = counts.reindex(times, method="ffill").to_numpy(np.float64)
            budget.append(_series("cordoned nodes", y, "#6e7781", "", step=True))
        panels.append(_panel("pdb", "Disruption budget and cordoned nodes", "", times - origin, budget))
    return panels


def _ffill(y: np.ndarray) -> np.ndarray:
    return pd.Series(y).ffill().to_numpy(np.float64)


def bands(a: Analysis) -> list[dict[str, Any]]:
    out = [{"kind": "stage", "label": name, "start": round(s, 3), "end": round(e, 3)} for name, s, e in a.stage_spans]
    out += [{"kind": "fault", "label": name, "start": round(s, 3), "end": round(max(e, s + 0.5), 3)}
            for name, s, e in a.mark_spans]
    for check in getattr(a, "checks", []):  # alert checks (when the run has them): their evidence window
        window = check.evidence.window_s
        if family_of(check) == "alerts" and window and check.verdict != "skipped":
            out.append({"kind": "alert", "label": check.name, "start": round(window[0], 3),
                        "end": round(max(window[1], window[0] + 0.5), 3)})
    return out


def timeline_data(a: Analysis) -> dict[str, Any]:
    panels = [_users_panel(a), *_window_panels(a), *_cluster_panels(a)]
    end = float(a.windows["start_s"].max() + a.window_s) if len(a.windows) else 0.0
    return {"panels": [p for p in panels if p is not None], "bands": bands(a), "end": round(end, 3),
            "window_s": a.window_s}


def timeline_json(a: Analysis) -> str:
    """JSON safe to inline in a <script type="application/json"> element."""
    return json.dumps(timeline_data(a), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
