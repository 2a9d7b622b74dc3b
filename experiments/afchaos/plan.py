"""What a run changes (or, in a dry run, would change), and why: `chaos/plan.json` of the run directory.

Every mutating request the guard admits or refuses becomes one entry: the experiment and activity that asked for
it, the function and its arguments (why), the method and the exact object, and how it went to the API server
(`dryRun=All`, `not sent`, or `sent` in a real run) with the server's answer. Activities a dry run does not run
at all (probes, load, activities the guard cannot see into) get an entry saying so. The file is rewritten
atomically after every entry; entries of earlier experiments of the same run (a campaign) are kept. Without a
run directory (plain `chaos run` without AFSUITE_RUN_DIR) the plan goes to `./plan.json`.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.afchaos import journal

PLAN_FILE = "plan.json"
_lock = threading.RLock()


@dataclass
class Intent:
    """Who is asking for the next changes: set by the safety control per activity, refined by actions."""

    experiment: str = ""
    activity: str = ""
    function: str = ""
    why: str = ""
    reasons: dict[str, str] = field(default_factory=dict)  # object name -> why this object
    restoring: bool = False  # a rollback / recover: undoes the suite's own changes


@dataclass
class _State:
    intents: list[Intent] = field(default_factory=lambda: [Intent()])
    entries: list[dict[str, Any]] = field(default_factory=list)
    base: list[dict[str, Any]] | None = None  # entries of earlier experiments in the same file
    header: dict[str, Any] = field(default_factory=dict)


_state = _State()


def current() -> Intent:
    with _lock:
        return _state.intents[-1]


def set_activity(experiment: str | None = None, activity: str = "", function: str = "", why: str = "",
                 restoring: bool | None = None) -> None:
    """The bottom intent (what the control knows about the running activity)."""
    with _lock:
        bottom = _state.intents[0]
        if experiment is not None:
            bottom.experiment = experiment
        bottom.activity, bottom.function, bottom.why = activity, function, why
        if restoring is not None:
            bottom.restoring = restoring


@contextlib.contextmanager
def intent(function: str = "", why: str = "", reasons: dict[str, str] | None = None,
           restoring: bool = False) -> Iterator[Intent]:
    """Changes made inside are attributed to `function` (and, per object, `reasons`)."""
    with _lock:
        base = _state.intents[-1]
        pushed = Intent(base.experiment, base.activity or function, function or base.function,
                        why or base.why, dict(reasons or {}), restoring or base.restoring)
        _state.intents.append(pushed)
    try:
        yield pushed
    finally:
        with _lock:
            _state.intents.remove(pushed)


def reset(header: dict[str, Any] | None = None) -> None:
    with _lock:
        _state.intents[:] = [Intent()]
        _state.entries.clear()
        _state.base = None
        _state.header = dict(header or {})


def entries() -> list[dict[str, Any]]:
    with _lock:
        return [dict(e) for e in _state.entries]


def add(**fields: Any) -> dict[str, Any]:
    """Record one entry (attributed to the current intent) and rewrite the plan file; returns the entry."""
    with _lock:
        now = current()
        name = (fields.get("object") or {}).get("name")
        entry = {"time": time.time(), "experiment": now.experiment, "activity": now.activity,
                 "function": now.function, "why": now.reasons.get(str(name)) or now.why, **fields}
        _state.entries.append(entry)
        write()
        return entry


def update(entry: dict[str, Any], **fields: Any) -> None:
    with _lock:
        entry.update(fields)
        write()


def path() -> Path:
    directory = journal.chaos_dir()
    return (directory / PLAN_FILE) if directory is not None else Path(PLAN_FILE)


def write() -> Path:
    """Rewrite the plan file atomically (earlier experiments' entries first)."""
    with _lock:
        target = path()
        if _state.base is None:
            _state.base = _earlier(target)
        doc = {**_state.header, "entries": [*_state.base, *_state.entries]}
        tmp = target.with_name(f"_{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, target)
        return target


def _earlier(target: Path) -> list[dict[str, Any]]:
    """The entries already in the file when this process first writes it (earlier experiments of the run)."""
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in doc.get("entries") or [] if isinstance(e, dict)]
