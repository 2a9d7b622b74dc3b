"""Checks grouped into families (validity, SLOs, HPA, ...) and one card per family: its status and one key number.

A check's family comes from its name's first part (`slo.ttft_p99` -> SLOs). The card's status is the worst verdict
of its checks (skipped checks count only when every check was skipped); the key number is the measured value of
the family's first failing check when there is one, else the number the family is about (e.g. TTFT p99 during
faults, HPA min -> max replicas, evictions denied). Verdicts are read as the checks give them, never re-judged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from analysis.checks import CheckResult
from analysis.report import humanize
from analysis.report.model import Analysis

# family key -> (title, name prefixes)
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "validity": ("Validity", ("validity", "cluster")),
    "slo": ("SLOs", ("slo", "slos", "phase", "recovery")),
    "hpa": ("HPA", ("hpa", "capacity")),
    "pdb": ("PDB", ("pdb",)),
    "placement": ("Placement", ("placement",)),
    "shutdown": ("Shutdown & survival", ("survival", "fault", "hard", "connections")),
    "readiness": ("Readiness", ("readiness",)),
    "experiments": ("Experiments", ("experiment", "effect", "effects", "plan")),
    "alerts": ("Alerts", ("alert", "alerts")),
    "other": ("Other", ()),
}
SEVERITY = ("invalid", "fail", "incomplete", "pass", "skipped")  # worst first
ATTENTION = ("invalid", "fail", "incomplete")


def family_of(check: CheckResult) -> str:
    prefix = check.name.split(".", 1)[0].split("[", 1)[0]
    for key, (_, prefixes) in FAMILIES.items():
        if prefix in prefixes:
            return key
    return "other"


@dataclass
class Family:
    key: str
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    key_number: str = ""

    @property
    def status(self) -> str:
        verdicts = {c.verdict for c in self.checks}
        judged = verdicts - {"skipped"}
        return next(v for v in SEVERITY if v in (judged or verdicts))

    @property
    def tally(self) -> str:
        counts = {v: sum(c.verdict == v for c in self.checks) for v in SEVERITY}
        return ", ".join(f"{n} {v}" for v, n in counts.items() if n)


def _by_name(checks: list[CheckResult]) -> dict[str, CheckResult]:
    return {c.name: c for c in checks}


def _first(found: dict[str, CheckResult], *names: str) -> CheckResult | None:
    return next((found[n] for n in names if n in found and found[n].verdict != "skipped"), None)


def _slo(analysis: Analysis, checks: list[CheckResult]) -> str:
    found = _by_name(checks)
    for name, label, during in (("phase.fault.ttft_p99", "TTFT p99", " during faults"),
                                ("phase.fault.ttft_p95", "TTFT p95", " during faults"),
                                ("slo.ttft_p99", "TTFT p99", ""), ("slo.ttft_p95", "TTFT p95", ""),
                                ("slo.e2e_p99", "E2E p99", "")):
        if (c := _first(found, name)) is not None:
            text = f"{label} {humanize.value(c.measured, c.unit)} of {humanize.value(c.threshold, c.unit)}{during}"
            if (err := _first(found, "slo.error_rate")) is not None:
                text += f"; errors {humanize.percent(err.measured)}"
            return text
    return ""


def _hpa(analysis: Analysis, checks: list[CheckResult]) -> str:
    found = _by_name(checks)
    hpa = analysis.cluster.frame("hpa") if analysis.cluster is not None else None
    parts = []
    if hpa is not None and len(hpa):
        desired = hpa.sort_values("time")["desired_replicas"].dropna()
        if len(desired):
            parts.append(f"HPA {int(desired.iloc[0])} -> {int(desired.max())}")
    if (ready := _first(found, "hpa.scale_up_ready", "hpa.scale_up_reaction")) is not None:
        parts.append(f"in {humanize.duration(ready.measured)}")
    if (conf := _first(found, "hpa.conformance")) is not None:
        return " ".join(parts) + f", {humanize.number(conf.measured)} deviations" if parts else ""
    return " ".join(parts)


def _pdb(analysis: Analysis, checks: list[CheckResult]) -> str:
    found = _by_name(checks)
    parts = []
    if (denials := _first(found, "pdb.denials")) is not None:
        parts.append(f"{humanize.number(denials.measured)} evictions denied")
    if (drains := _first(found, "pdb.drains")) is not None:
        parts.append(f"{humanize.number(drains.measured)} stuck drains")
    floor = next((c for c in checks if c.name.startswith("pdb.floor") and c.verdict != "skipped"), None)
    if floor is not None:
        parts.append(f"lowest Ready {humanize.number(floor.measured)} vs floor {humanize.number(floor.threshold)}")
    return ", ".join(parts)


def _sum_of(unit_word: str, what: str) -> Callable[[Analysis, list[CheckResult]], str]:
    def key(analysis: Analysis, checks: list[CheckResult]) -> str:
        judged = [c for c in checks if c.verdict != "skipped" and c.measured is not None]
        if not judged:
            return ""
        return f"{humanize.number(sum(float(c.measured or 0) for c in judged))} {unit_word} {what}"
    return key


def _placement(analysis: Analysis, checks: list[CheckResult]) -> str:
    parts = []
    for c in checks:
        if c.verdict == "skipped":
            continue
        if c.name.startswith("placement.anti_affinity"):
            parts.append("anti-affinity held" if c.verdict == "pass" else "anti-affinity broken")
        elif c.name.startswith("placement.zone_skew"):
            parts.append(f"zone skew {humanize.number(c.measured)} of {humanize.number(c.threshold)}")
    return ", ".join(dict.fromkeys(parts))


def _validity(analysis: Analysis, checks: list[CheckResult]) -> str:
    total = sum(analysis.outcomes.values())
    cpu = _first(_by_name(checks), "validity.loadgen_cpu")
    text = f"{total:,} streams"
    return text + (f", load generator CPU peak {humanize.value(cpu.measured, cpu.unit)}" if cpu else "")


def _experiments(analysis: Analysis, checks: list[CheckResult]) -> str:
    runs = [c for c in checks if c.name.startswith("experiment.") and c.verdict != "skipped"]
    if not runs:
        return ""
    return f"{sum(c.verdict == 'pass' for c in runs)} of {len(runs)} experiments held their hypothesis"


def _alerts(analysis: Analysis, checks: list[CheckResult]) -> str:
    judged = [c for c in checks if c.verdict != "skipped"]
    return f"{sum(c.verdict == 'fail' for c in judged)} of {len(judged)} alert checks failed" if judged else ""


KEY_NUMBERS: dict[str, Callable[[Analysis, list[CheckResult]], str]] = {
    "validity": _validity, "slo": _slo, "hpa": _hpa, "pdb": _pdb,
    "placement": _placement,
    "shutdown": _sum_of("streams", "lost to shutdowns"),
    "readiness": _sum_of("streams", "hit unready pods"),
    "experiments": _experiments, "alerts": _alerts,
}


def _key_number(family: Family, analysis: Analysis) -> str:
    for verdict in ATTENTION:
        bad = [c for c in family.checks if c.verdict == verdict]
        if verdict == "incomplete" and bad:
            reasons = list(dict.fromkeys(reason_of(c) or c.name for c in bad))
            more = f" (+{len(reasons) - 1} other reasons)" if len(reasons) > 1 else ""
            return f"{len(bad)} incomplete: {_short(reasons[0])}{more}"
        if bad:
            more = f" (+{len(bad) - 1} more {verdict})" if len(bad) > 1 else ""
            return f"{bad[0].name}: {humanize.measured_of_threshold(bad[0])}{more}"
    if family.status == "skipped":
        return "not judged: " + family.checks[0].evidence.sentence.removeprefix("Skipped: ")
    draw = KEY_NUMBERS.get(family.key)
    text = draw(analysis, family.checks) if draw else ""
    return text or family.tally


def families(analysis: Analysis) -> list[Family]:
    """The families that have checks, in the order of FAMILIES, each with its key number."""
    grouped = {key: Family(key, title) for key, (title, _) in FAMILIES.items()}
    for check in analysis.checks:
        grouped[family_of(check)].checks.append(check)
    present = [f for f in grouped.values() if f.checks]
    for family in present:
        family.key_number = _key_number(family, analysis)
    return present


def _short(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def reason_of(check: CheckResult) -> str | None:
    """Why an INCOMPLETE or INVALID check could not be judged (the prefix CheckResult.incomplete/invalidated
    wrote), or None."""
    sentence = check.evidence.sentence
    if check.verdict == "incomplete" and sentence.startswith("INCOMPLETE: "):
        return sentence.removeprefix("INCOMPLETE: ").split(". Measured value kept", 1)[0]
    if check.verdict == "invalid" and sentence.startswith("INVALID run ("):
        return "invalid run: " + sentence.removeprefix("INVALID run (").split("); measured value kept", 1)[0]
    return None


def without_reason(check: CheckResult) -> str:
    """The evidence sentence without the INCOMPLETE/INVALID prefix (shown once for a group)."""
    for marker in (". Measured value kept for information only. ", "; measured value kept for information only. "):
        if marker in check.evidence.sentence:
            return check.evidence.sentence.split(marker, 1)[1]
    return check.evidence.sentence


def attention_groups(analysis: Analysis) -> list[tuple[str, str | None, list[CheckResult]]]:
    """The attention checks with one shared reason folded: (verdict, shared reason or None, checks)."""
    groups: dict[tuple[str, str], list[CheckResult]] = {}
    for c in attention(analysis):
        groups.setdefault((c.verdict, reason_of(c) or f"\0{c.name}"), []).append(c)
    return [(v, None if r.startswith("\0") else r, cs) for (v, r), cs in groups.items()]


def attention(analysis: Analysis) -> list[CheckResult]:
    """The checks a reader must look at first: invalid, failed, incomplete (worst first, then report order)."""
    return sorted((c for c in analysis.checks if c.verdict in ATTENTION), key=lambda c: ATTENTION.index(c.verdict))
