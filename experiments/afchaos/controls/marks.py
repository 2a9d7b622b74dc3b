"""Control: one mark per method activity (start/end, name, status, hard fault, what it breaks on purpose) into
`chaos/marks.parquet` of the run directory, so analysis can draw fault windows on the shared time axis. Marks are
appended to `chaos/marks.jsonl` as they happen (a killed run keeps them) and converted to parquet after the
experiment.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from chaoslib.types import Activity, Configuration, Experiment, Journal, Run, Secrets

from experiments.afchaos import journal, safety
from experiments.afchaos.hard import declared_hard
from experiments.afchaos.outage import declared_intent
from rundir.layout import MARKS_FILE, MARKS_JSONL
from rundir.schemas import MARKS_SCHEMA

SCHEMA = MARKS_SCHEMA
MARKS_JSONL_NAME, MARKS_NAME = Path(MARKS_JSONL).name, Path(MARKS_FILE).name
_open: dict[str, float] = {}
_title: dict[str, str] = {}


def before_experiment_control(context: Experiment, configuration: Configuration = None,
                              secrets: Secrets = None, **kwargs: Any) -> None:
    _title["name"] = context.get("title", "experiment")


def before_activity_control(context: Activity, configuration: Configuration = None, secrets: Secrets = None,
                            **kwargs: Any) -> None:
    _open[context.get("name", "?")] = time.time()


def after_activity_control(context: Activity, state: Run, configuration: Configuration = None,
                           secrets: Secrets = None, **kwargs: Any) -> None:
    name = context.get("name", "?")
    start = _open.pop(name, None)
    if start is None or context.get("type") != "action":
        return  # probes are observations, not faults
    if safety.dry_run(configuration=configuration):
        return  # a dry run made no fault: there is no window to mark
    directory = journal.chaos_dir()
    if directory is None:
        return
    mark = {"experiment": _title.get("name", "experiment"), "activity": name, "kind": context.get("type"),
            "start": start, "end": time.time(), "status": (state or {}).get("status"), "hard": is_hard(context),
            "intended": intended(context)}
    with open(directory / MARKS_JSONL_NAME, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(mark) + "\n")


def is_hard(activity: Activity) -> bool:
    """A hard fault kills pods with no graceful shutdown: a delete with grace period 0 (chaosk8s terminate_pods
    `grace_period: 0`, the suite's pod actions) or an activity declared `@hard_fault` where it is defined
    (failed machines: `fail_zone`; experiments/afchaos/hard.py)."""
    provider = activity.get("provider") or {}
    arguments = provider.get("arguments") or {}
    grace = arguments.get("grace_period", arguments.get("gracePeriodSeconds"))
    graceless = grace is not None and str(grace).strip() == "0"
    return graceless or declared_hard(provider.get("module"), provider.get("func"))


def intended(activity: Activity) -> str | None:
    """What the activity breaks on purpose, as declared where it is defined (experiments/afchaos/outage.py):
    "outage" (`scale_to_zero_for`), "errors" (the error knob's rollouts) or None. Never for a hard fault, whatever
    its arguments say."""
    if is_hard(activity):
        return None
    provider = activity.get("provider") or {}
    return declared_intent(provider.get("module"), provider.get("func"))


def after_experiment_control(context: Experiment, state: Journal, configuration: Configuration = None,
                             secrets: Secrets = None, **kwargs: Any) -> None:
    directory = journal.chaos_dir()
    if directory is not None:
        write_marks_parquet(directory)


def write_marks_parquet(directory: Path) -> int:
    """(Re)build `marks.parquet` from `marks.jsonl` atomically; returns the number of marks."""
    source = directory / MARKS_JSONL_NAME
    rows = [json.loads(line) for line in source.read_text().splitlines() if line.strip()] if source.exists() else []
    tmp = directory / f"_marks.parquet.{os.getpid()}.tmp"
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), tmp)
    os.replace(tmp, directory / MARKS_NAME)
    return len(rows)
