"""The run directory: where it is, and its ``manifest.json``.

Resolution order for the directory of a load run: the ``--run-dir`` option, else the environment variable
``AFSUITE_RUN_DIR``, else a new ``runs/<UTC yyyymmddThhmmssZ>-<name>/`` (:func:`new_run_dir`).

The manifest is written at the start (``ended: null``) and completed at the end; every write merges into
what is already there, so the harness and the load generator can each add their part (see
``docs/run-directory.md`` for the fields). It never holds a secret: keys that name one (``api_key``,
``token``, ``*_token``, ``password``, ``secret``, ``authorization``; not ``max_tokens``) are dropped, the
value of ``AGENTFLOW_API_KEY`` is redacted wherever it appears, and credentials in URLs are removed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import socket
import subprocess
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rundir.layout import LOAD_OUTPUT
from rundir.layout import MANIFEST_FILE as MANIFEST

RUN_DIR_ENV = "AFSUITE_RUN_DIR"
API_KEY_ENV = "AGENTFLOW_API_KEY"
_SECRET_KEY = re.compile(
    r"(^|[_-])(api[_-]?key|apikey|token|password|passwd|secret|authorization|credentials?)$", re.I
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DISTRIBUTIONS = ("agentflow-suite", "locust", "kubernetes", "chaostoolkit", "chaostoolkit-kubernetes",
                  "pyarrow", "pandas")


def run_id(name: str, now: float | None = None) -> str:
    """``<UTC yyyymmddThhmmssZ>-<name>`` for ``now`` (default: the current time)."""
    if not _NAME.match(name):
        raise ValueError(f"run name: use letters, digits, '.', '_' or '-' (got {name!r})")
    stamp = dt.datetime.fromtimestamp(time.time() if now is None else now, tz=dt.UTC)
    return f"{stamp:%Y%m%dT%H%M%SZ}-{name}"


def new_run_dir(name: str, base: str | Path = "runs") -> Path:
    """Create and return ``<base>/<UTC stamp>-<name>/`` (``-2``, ``-3``... appended if it exists)."""
    root = Path(base)
    root.mkdir(parents=True, exist_ok=True)
    stem = run_id(name)
    for attempt in range(1, 1000):
        path = root / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path.resolve()
    raise RuntimeError(f"{root}: could not create a new run directory for {stem}")


def resolve_run_dir(option: str | Path | None, name: str, base: str | Path = "runs",
                    environ: Mapping[str, str] | None = None) -> Path:
    """``--run-dir`` option > ``$AFSUITE_RUN_DIR`` > a new directory under ``base``; created if missing."""
    env = os.environ if environ is None else environ
    chosen = option or env.get(RUN_DIR_ENV) or None
    if chosen is None:
        return new_run_dir(name, base)
    path = Path(chosen)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path}: run directory exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def claim_for_load(path: Path) -> Path:
    """``path`` when it holds no load run yet; ValueError (one line) when it does: a run directory is written
    once, so a second load run never merges into the first (the harness's own files, manifest.json, pids.jsonl,
    locust/ and chaos/, are allowed: it prepares the directory for exactly one load run)."""
    used = [name for name in LOAD_OUTPUT if (Path(path) / name).exists()]
    if used:
        raise ValueError(f"run directory {path} already holds a load run ({', '.join(used)}); a run directory is "
                         "written once: choose a new --run-dir (nothing in it was changed)")
    return path


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The manifest as a dict ({} when there is none yet)."""
    path = Path(run_dir) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_manifest(run_dir: Path, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into the manifest (top-level keys replaced) and write it atomically."""
    run_dir = Path(run_dir)
    data = read_manifest(run_dir)
    data.update(fields)
    data = dict(scrub(data))
    tmp = run_dir / f"_{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, run_dir / MANIFEST)
    return data


def start_manifest(run_dir: Path, *, profile: Mapping[str, Any] | None, target: Mapping[str, Any],
                   experiments: list[Any] | None = None) -> dict[str, Any]:
    """Write the start-of-run manifest unless one was already started (an existing ``started`` is kept)."""
    run_dir = Path(run_dir)
    existing = read_manifest(run_dir)
    fields: dict[str, Any] = {
        "name": existing.get("name") or run_dir.name.split("-", 1)[-1],
        "run_id": existing.get("run_id") or run_dir.name,
        "started": existing.get("started") or time.time(),
        "ended": None,
        "target": {**existing.get("target", {}), **target},
        "experiments": existing.get("experiments", experiments or []),
        "versions": versions(),
        "git_revision": existing.get("git_revision") or git_revision(),
        "host": socket.gethostname(),
    }
    if profile is not None:
        fields["profile"] = dict(profile)
    return write_manifest(run_dir, **fields)


def complete_manifest(run_dir: Path, **fields: Any) -> dict[str, Any]:
    """Set ``ended`` (now) plus any extra fields."""
    return write_manifest(run_dir, ended=time.time(), **fields)


def versions() -> dict[str, str | None]:
    """Versions of Python and the installed distributions that shape a run (None when absent)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in _DISTRIBUTIONS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    out["afsuite"] = out.pop("agentflow-suite")
    return out


def git_revision() -> str | None:
    """The repository's HEAD commit, or None (not a git checkout, or git missing)."""
    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def safe_url(url: str) -> str:
    """``url`` without user:password credentials or query string."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def scrub(value: Any) -> Any:
    """A copy of ``value`` without secret-named keys and with the API key's value redacted."""
    secret = os.environ.get(API_KEY_ENV) or None
    if isinstance(value, Mapping):
        return {k: scrub(v) for k, v in value.items() if not _SECRET_KEY.search(str(k))}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str) and secret and secret in value:
        return value.replace(secret, "***")
    return value

