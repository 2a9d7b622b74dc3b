"""The live view of a run while it runs, read from the files the run writes (the streams', load generator's and
observer's part files, the chaos logs), never from the processes themselves.

On a terminal: one rich panel, redrawn every second, with elapsed/remaining and a progress bar, the current stage
and users, streams/s and error % over the last 10 s, TTFT p95 (last 30 s), HPA desired / Ready replicas, the
experiment and activity running now and the last cluster events. Not on a terminal (CI): one plain line every
`AFSUITE_PROGRESS_S` seconds (default 10). `AFSUITE_LIVE=0` turns both off. Locust's and chaostoolkit's own
output goes to files in the run directory (locust/locust.log, chaos/<experiment>.console.log) either way.

Reading is incremental: each part file is read once (only the columns shown); the view never writes anything.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow.parquet as pq

RECENT_S, TTFT_S = 10.0, 30.0
_ACTIVE: list[LiveView] = []
_ACTIVITY = re.compile(r"(Action|Probe|Rollback|Steady state hypothesis)[^:]*: (.+)$")


@dataclass
class Snapshot:
    elapsed: float
    total: float
    stage: str = "-"
    users: str = "-"
    streams_per_s: float = 0.0
    error_pct: float | None = None
    ttft_p95: float | None = None
    replicas: str = "-"
    experiment: str = "-"
    events: list[str] = field(default_factory=list)

    def line(self) -> str:
        err = "-" if self.error_pct is None else f"{self.error_pct:.1f} %"
        ttft = "-" if self.ttft_p95 is None else f"{self.ttft_p95 * 1000:.0f} ms"
        of = f" / {_clock(self.total)}" if self.total > 0 else ""
        return (f"[{_clock(self.elapsed)}{of}] stage {self.stage} | users {self.users} | "
                f"{self.streams_per_s:.1f} streams/s | errors {err} | TTFT p95 {ttft} | replicas {self.replicas} | "
                f"chaos {self.experiment}")


def _clock(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class _Parts:
    """New rows of `<dir>/part-*.parquet` since the last call (each file read once, `columns` only)."""

    def __init__(self, directory: Path, columns: list[str]) -> None:
        self.directory, self.columns = directory, columns
        self.seen: set[str] = set()

    def new_rows(self) -> list[dict[str, np.ndarray]]:
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("part-*.parquet")):
            if path.name in self.seen:
                continue
            try:
                table = pq.read_table(path, columns=[c for c in self.columns if c in pq.read_schema(path).names])
            except (OSError, ValueError):
                continue  # a part being replaced: read it next time
            self.seen.add(path.name)
            out.append({c: table.column(c).to_numpy(zero_copy_only=False) for c in table.column_names})
        return out


class LiveView:
    def __init__(self, run_dir: Path, total_s: float, out: IO[str] | None = None, interval: float | None = None,
                 tty: bool | None = None) -> None:
        self.run_dir, self.total_s, self.out = Path(run_dir), total_s, out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.interval = interval or (1.0 if self.tty else float(os.environ.get("AFSUITE_PROGRESS_S", "10")))
        self.started = time.time()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._streams = _Parts(self.run_dir / "streams", ["stage", "first_token", "scheduled", "end", "outcome"])
        self._loadgen = _Parts(self.run_dir / "load" / "loadgen", ["time", "worker", "users"])
        self._hpa = _Parts(self.run_dir / "cluster" / "hpa", ["time", "desired_replicas", "current_replicas"])
        self._deploy = _Parts(self.run_dir / "cluster" / "deployments", ["time", "ready"])
        self._events = _Parts(self.run_dir / "cluster" / "events", ["time", "reason", "object"])
        self._ends: deque[tuple[float, bool, float]] = deque()  # (end, ok, ttft) of recent streams
        self._stage, self._users, self._replicas = "-", "-", "-"
        self._last_events: deque[str] = deque(maxlen=3)

    def snapshot(self) -> Snapshot:
        now = time.time()
        for rows in self._streams.new_rows():
            ok = rows["outcome"] == "ok"
            ttft = rows["first_token"].astype(np.float64) - rows["scheduled"].astype(np.float64)
            self._ends.extend(zip(rows["end"].astype(np.float64).tolist(), ok.tolist(), ttft.tolist(), strict=True))
            if len(rows["stage"]):
                self._stage = str(rows["stage"][-1])
        self._ends = deque(e for e in self._ends if e[0] >= now - TTFT_S)
        recent = [e for e in self._ends if e[0] >= now - RECENT_S]
        ttfts = [t for _, ok, t in self._ends if ok and np.isfinite(t)]
        for rows in self._loadgen.new_rows():
            if len(rows.get("users", ())):
                latest = {w: u for w, u in zip(rows["worker"], rows["users"], strict=True)}
                self._users = str(int(sum(latest.values())))
        self._update_cluster()
        return Snapshot(now - self.started, self.total_s, self._stage, self._users, len(recent) / RECENT_S,
                        100 * sum(not ok for _, ok, _ in recent) / len(recent) if recent else None,
                        float(np.percentile(ttfts, 95, method="inverted_cdf")) if ttfts else None,
                        self._replicas, self._experiment(), list(self._last_events))

    def _update_cluster(self) -> None:
        desired = ready = None
        for rows in self._hpa.new_rows():
            if len(rows["desired_replicas"]):
                desired = int(rows["desired_replicas"][-1])
        for rows in self._deploy.new_rows():
            if len(rows["ready"]):
                ready = int(rows["ready"][-1])
        if desired is not None or ready is not None:
            old = self._replicas.split(" / ") if " / " in self._replicas else ["-", "-"]
            self._replicas = f"{desired if desired is not None else old[0]} / {ready if ready is not None else old[1]}"
        for rows in self._events.new_rows():
            for reason, obj in list(zip(rows["reason"], rows["object"], strict=True))[-3:]:
                self._last_events.append(f"{reason} {obj}")

    def _experiment(self) -> str:
        logs = sorted((self.run_dir / "chaos").glob("*.log"), key=lambda p: p.stat().st_mtime)
        if not logs:
            return "-"
        log = logs[-1]
        with open(log, "rb") as handle:
            handle.seek(max(0, log.stat().st_size - 8192))
            lines = handle.read().decode("utf-8", "replace").splitlines()
        activity = next((m.group(2).strip() for line in reversed(lines) if (m := _ACTIVITY.search(line))), "")
        return log.stem + (f": {activity[:60]}" if activity else "")

    def _panel(self, snap: Snapshot) -> Any:
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        bar = ProgressBar(total=snap.total if snap.total > 0 else None, completed=min(snap.elapsed, snap.total),
                          width=40)  # no planned length (an experiment alone): a pulsing bar
        grid.add_row("progress", bar)
        remaining = f"  (remaining {_clock(max(0.0, snap.total - snap.elapsed))})" if snap.total > 0 else ""
        grid.add_row("elapsed", f"{_clock(snap.elapsed)}{remaining}")
        grid.add_row("stage / users", f"{snap.stage} / {snap.users}")
        err = "-" if snap.error_pct is None else f"{snap.error_pct:.1f} %"
        grid.add_row("streams/s (10 s)", f"{snap.streams_per_s:.1f}   errors {err}")
        grid.add_row("TTFT p95 (30 s)", "-" if snap.ttft_p95 is None else f"{snap.ttft_p95 * 1000:.0f} ms")
        grid.add_row("replicas desired / Ready", snap.replicas)
        grid.add_row("experiment", snap.experiment)
        grid.add_row("cluster events", "\n".join(snap.events) or "-")
        return Panel(grid, title=f"afsuite: {self.run_dir.name}", expand=False)

    def _loop(self) -> None:
        if self.tty:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.out, force_terminal=True)
            with Live(self._panel(self.snapshot()), console=console, refresh_per_second=2, transient=False) as live:
                while not self._stop.wait(self.interval):
                    live.update(self._panel(self.snapshot()))
                live.update(self._panel(self.snapshot()))
            return
        while not self._stop.wait(self.interval):
            print(self.snapshot().line(), file=self.out, flush=True)

    def start(self) -> LiveView:
        self._thread = threading.Thread(target=self._loop, name="afsuite-live", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)


def enabled() -> bool:
    return os.environ.get("AFSUITE_LIVE", "1") != "0"


def active() -> LiveView | None:
    """The live view this process shows now (a campaign's covers the loads and experiments it runs)."""
    return _ACTIVE[-1] if _ACTIVE else None


@contextmanager
def live_view(run_dir: Path, total_s: float) -> Iterator[LiveView | None]:
    """Show the live view of `run_dir` for the duration of the block, unless one is shown already or it is off."""
    if not enabled() or active() is not None:
        yield active()
        return
    view = LiveView(run_dir, total_s).start()
    _ACTIVE.append(view)
    try:
        yield view
    finally:
        _ACTIVE.remove(view)
        view.stop()


class LineLog:
    """A tool's output lines into a file of the run directory (the screen shows the live view instead); keeps the
    last lines so an error message can quote them."""

    def __init__(self, path: Path, keep: int = 20) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self._file = path, open(path, "a", encoding="utf-8")  # noqa: SIM115
        self.tail: deque[str] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self.tail.append(line)
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
