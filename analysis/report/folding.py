"""Repetition folded: the per-phase SLO checks (`phase.<phase>.<metric>`) become one phase x metric table and the
recovery checks one row per fault, so a chaos run's 12 + N near-identical rows read as two small tables."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.checks import CheckResult
from analysis.checks.phases import PHASES, RECOVERY_WINDOW_S
from analysis.report import humanize

METRIC_NAMES = {"error_rate": "Error rate", "ttft_p50": "TTFT p50", "ttft_p95": "TTFT p95", "ttft_p99": "TTFT p99",
                "e2e_p95": "E2E p95", "e2e_p99": "E2E p99"}


@dataclass(frozen=True)
class Cell:
    check: CheckResult

    @property
    def text(self) -> str:
        mark = {"pass": "", "skipped": " (skipped)"}.get(self.check.verdict, f" {self.check.verdict.upper()}")
        return humanize.value(self.check.measured, self.check.unit) + mark


@dataclass(frozen=True)
class PhaseTable:
    metrics: list[str]  # metric keys, in the order of METRIC_NAMES
    rows: list[tuple[str, int | None, dict[str, Cell]]]  # (phase, streams, metric -> cell)

    @property
    def header(self) -> list[str]:
        return ["Phase", "Streams", *(f"{METRIC_NAMES.get(m, m)} (limit {self.limits[m]})" for m in self.metrics)]

    @property
    def limits(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for _, _, cells in self.rows:
            for metric, cell in cells.items():
                out.setdefault(metric, humanize.value(cell.check.threshold, cell.check.unit))
        return out

    def text_rows(self) -> list[list[str]]:
        return [[phase, humanize.number(streams) if streams is not None else "n/a",
                 *(cells[m].text if m in cells else "" for m in self.metrics)] for phase, streams, cells in self.rows]


def is_phase(check: CheckResult) -> bool:
    return check.kind == "phase" and check.name.count(".") == 2


def is_recovery(check: CheckResult) -> bool:
    return check.kind == "recovery"


def phase_table(checks: list[CheckResult]) -> PhaseTable | None:
    found: dict[str, dict[str, Cell]] = {}
    streams: dict[str, int | None] = {}
    for check in checks:
        if not is_phase(check):
            continue
        _, phase, metric = check.name.split(".")
        found.setdefault(phase, {})[metric] = Cell(check)
        n = check.evidence.details.get("streams")
        if isinstance(n, int | float) and phase not in streams:
            streams[phase] = int(n)
    if not found:
        return None
    seen = {m for cells in found.values() for m in cells}
    metrics = [m for m in METRIC_NAMES if m in seen] + sorted(seen - set(METRIC_NAMES))
    order = [p for p in PHASES if p in found] + sorted(set(found) - set(PHASES))
    return PhaseTable(metrics, [(p, streams.get(p), found[p]) for p in order])


RECOVERY_HEADER = ["Fault", "Verdict", "SLOs back", "Limit", "Evidence window"]


def recovery_rows(checks: list[CheckResult]) -> list[tuple[CheckResult, list[str]]]:
    rows = []
    for check in checks:
        if not is_recovery(check):
            continue
        window = check.evidence.window_s
        rows.append((check, [check.name.removeprefix("recovery."), check.verdict.upper(),
                             humanize.recovery(check, RECOVERY_WINDOW_S),
                             humanize.value(check.threshold, check.unit), humanize.span(window)]))
    return rows
