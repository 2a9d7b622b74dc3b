"""Alert states from Prometheus into the run directory, sampled alongside the cluster observer (read-only: GETs
of Prometheus's HTTP API only).

Every `interval` seconds `/api/v1/rules` gives each alerting rule with its health and its active alerts;
rows go to `cluster/alerts.parquet` (one per active alert per sample: alert, group, state pending|firing,
active_at, labels, value) and `cluster/alert_rules.parquet` (one per rule per sample: health, last error,
expression, for, longest range, the group's evaluation interval, and which metric names of the expression have
no series since the run started, asked with `/api/v1/series`; for a `_bucket` histogram also its top finite
bucket, asked with `count by (le)`). The local cluster's Prometheus is found in cluster.json; a real cluster's
target file gives `prometheus_url` and a bearer token through `prometheus_token_env` / `prometheus_token_file`
(never logged).
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from harness.promql_names import metric_names
from harness.sampler import Sampler
from localcluster.prometheus.rules import longest_range_seconds
from rundir.parts import PartWriter
from rundir.schemas import ALERT_SCHEMAS

__all__ = ["AlertRecorder"]

SERIES_EVERY_S = 10.0  # how often the rules' metric names are looked up (and once more at stop)


def _epoch(text: str | None) -> float | None:
    if not text or text.startswith("0001-"):
        return None
    head, _, frac = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac or '0')[:6]}+00:00").timestamp()


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class AlertRecorder(Sampler):
    """`start()` samples in a daemon thread; `stop()` takes a last sample, flushes and consolidates both tables."""

    thread_name = "alert-recorder"
    survives = (httpx.HTTPError, KeyError, ValueError)  # Prometheus unreachable or answering oddly for a tick

    def __init__(self, url: str, run_dir: Path, *, token: str | None = None, interval: float = 1.0,
                 started: float | None = None) -> None:
        directory = Path(run_dir) / "cluster"
        super().__init__(directory, {name: PartWriter(directory / name, schema, "alerts", flush_seconds=5.0)
                                     for name, schema in ALERT_SCHEMAS.items()}, ALERT_SCHEMAS, interval)
        self.url = url.rstrip("/")
        self.started = started or time.time()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=5.0)
        self._seen: set[str] = set()  # metric names that had series during the run
        self._tops: dict[str, float] = {}
        self._last_series = 0.0

    def _get(self, path: str, params: Any = None) -> Any:
        resp = self._http.get(path, params=params)
        resp.raise_for_status()
        return resp.json()["data"]

    def _missing(self, names: list[str], now: float, refresh: bool) -> list[str]:
        unknown = [n for n in names if n not in self._seen]
        if refresh and unknown:
            found = self._get("/api/v1/series", [*(("match[]", n) for n in unknown), ("start", str(self.started)),
                                                 ("end", str(now))])
            self._seen.update(s["__name__"] for s in found)
            for name in (n for n in names if n.endswith("_bucket") and n not in self._tops):
                les = [_float(s["metric"].get("le")) for s in self._get("/api/v1/query",
                                                                       {"query": f"count by (le) ({name})"})["result"]]
                finite = [le for le in les if le is not None]
                if finite:
                    self._tops[name] = max(finite)
        return [n for n in names if n not in self._seen]

    def sample_once(self, refresh_series: bool | None = None) -> None:
        now = time.time()
        refresh = refresh_series if refresh_series is not None else now - self._last_series >= SERIES_EVERY_S
        if refresh:
            self._last_series = now
        groups = self._get("/api/v1/rules", {"type": "alert"})["groups"]
        alerts, rules = [], []
        for group in groups:
            for rule in group.get("rules") or []:
                names = metric_names(rule.get("query", ""))
                rules.append({"time": now, "group": group["name"], "rule": rule["name"],
                              "health": rule.get("health"), "last_error": rule.get("lastError") or None,
                              "expr": rule.get("query"), "for_s": _float(rule.get("duration")) or 0.0,
                              "range_s": longest_range_seconds(rule.get("query", "")),
                              "metrics": json.dumps(names), "missing": json.dumps(self._missing(names, now, refresh)),
                              "top_buckets": json.dumps({n: self._tops[n] for n in names if n in self._tops}),
                              "state": rule.get("state"), "interval_s": _float(group.get("interval"))})
                for alert in rule.get("alerts") or []:
                    alerts.append({"time": now, "alert": rule["name"], "group": group["name"],
                                   "state": alert.get("state"), "active_at": _epoch(alert.get("activeAt")),
                                   "labels": json.dumps(alert.get("labels") or {}, sort_keys=True),
                                   "value": _float(alert.get("value"))})
        self._writers["alerts"].add(alerts)
        self._writers["alert_rules"].add(rules)
        for writer in self._writers.values():
            writer.tick()

    def _last_sample(self) -> None:
        """A last sample, its series looked up once more."""
        try:
            self.sample_once(refresh_series=True)
        except self.survives:
            self.errors += 1

    def stop(self) -> dict[str, int]:
        """Stop sampling, take a last sample (series looked up once more), flush and consolidate; row counts."""
        counts = super().stop()
        self._http.close()
        return counts


def recorder_for(target: Any, run_dir: Path) -> AlertRecorder | None:
    """The recorder for a Target with a `prometheus_url` (None without one: the run records no alerts)."""
    url = getattr(target, "prometheus_url", None)
    if not url:
        return None
    return AlertRecorder(url, run_dir, token=target.prometheus_token())
