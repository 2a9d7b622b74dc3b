"""The exit codes of every `afsuite` command and of `python -m analysis`: one table, shown by `--help`, the
README, report.md/report.html and summary.json, and mirrored in junit.xml (see `analysis/report/junit.py`).

    0  PASS        every check passed or was skipped; also DRY RUN (nothing was changed: see chaos/plan.json)
    1  FAIL        at least one check failed (an SLO, a cluster check, an experiment, a regression in compare)
    2  INVALID     the measurement cannot be trusted (load generator saturated, no streams, API key refused)
    3  INTERRUPTED the run was stopped (signal, killed) or a check lacked the data it needs (INCOMPLETE)
    4  REFUSED     a safety setting refused the run (production context, node/zone outside the allowed set,
                   blast radius); nothing was started
    5  BAD INPUT   bad usage, a bad file or option (target, profile, campaign, URL, run directory in use)
"""

from __future__ import annotations

PASS, FAIL, INVALID, INTERRUPTED, REFUSED, BAD_INPUT = 0, 1, 2, 3, 4, 5

# overall verdict of a run -> exit code
BY_VERDICT: dict[str, int] = {
    "pass": PASS,
    "dry-run": PASS,
    "fail": FAIL,
    "invalid": INVALID,
    "incomplete": INTERRUPTED,
    "interrupted": INTERRUPTED,
    "refused": REFUSED,
}

TABLE: tuple[tuple[int, str, str], ...] = (
    (PASS, "PASS", "every check passed or was skipped; also DRY RUN (nothing changed; see chaos/plan.json)"),
    (FAIL, "FAIL", "a check failed (SLO, cluster check, experiment; compare: a regression)"),
    (INVALID, "INVALID", "the measurement cannot be trusted (load generator saturated, no streams, key refused)"),
    (INTERRUPTED, "INTERRUPTED", "the run was stopped or killed, or a check lacked its data (INCOMPLETE)"),
    (REFUSED, "REFUSED", "a safety setting refused the run before anything started"),
    (BAD_INPUT, "BAD INPUT", "bad usage, file, option or URL; run directory already used"),
)


def help_text() -> str:
    """The table as shown at the end of `afsuite --help` (one line per code)."""
    return "Exit codes: " + "; ".join(f"{code} {name}" for code, name, _ in TABLE) + "."


def one_line() -> str:
    """The table in one sentence (reports)."""
    return "exit code " + ", ".join(f"{code} = {name}" for code, name, _ in TABLE)
