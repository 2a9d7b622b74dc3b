"""Campaigns: one load profile for the whole run, experiments in order at set times, the observer throughout,
then the report, all into one run directory.

A campaign file (`campaigns/<name>.yaml`)::

    name: pre-release
    description: ...
    target: local                 # optional: `local` (the running local cluster) or a target file; --target wins
    profile: pre-release          # load profile (loadtests/profiles) that runs for the whole campaign
    experiments:                  # in order ([] = load only); `at` = earliest start in s after the load started
      - {name: pod-kill, at: 60}
      - {name: node-drain, at: 100, env: {AFSUITE_DRAIN_TIMEOUT: "90"}}
    report: {build: true}

The load runs in its own Locust process (started from a harness thread); every experiment runs as plain
`chaos run` with `AFSUITE_EXTERNAL_LOAD=1`, so its own background-load control stands aside. Unknown keys are an
error naming the key and the file.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CAMPAIGNS_DIR = Path(__file__).resolve().parents[1] / "campaigns"


class CampaignError(ValueError):
    """A campaign file is invalid; the message names the file and field."""


@dataclass(frozen=True)
class Step:
    name: str
    at: float = 0.0
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Campaign:
    name: str
    description: str
    profile: str
    experiments: tuple[Step, ...]
    build_report: bool = True
    target: Path | None = None  # a target file; None = the running local cluster


def _check_keys(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise CampaignError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _step(raw: Any, where: str) -> Step:
    if isinstance(raw, str):
        return Step(raw)
    if not isinstance(raw, dict) or "name" not in raw:
        raise CampaignError(f"{where}: expected an experiment name or a mapping with `name`")
    _check_keys(raw, {"name", "at", "env"}, where)
    at = raw.get("at", 0)
    if not isinstance(at, (int, float)) or at < 0:
        raise CampaignError(f"{where}.at: expected seconds >= 0, got {at!r}")
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise CampaignError(f"{where}.env: expected a mapping of environment variables")
    return Step(str(raw["name"]), float(at), {str(k): str(v) for k, v in env.items()})


def load_campaign(name_or_path: str) -> Campaign:
    path = Path(name_or_path)
    if not path.is_file():
        path = CAMPAIGNS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in CAMPAIGNS_DIR.glob("*.yaml")))
        raise CampaignError(f"campaign {name_or_path!r}: no file {path}; known campaigns: {known}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise CampaignError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CampaignError(f"{path}: expected a mapping")
    _check_keys(data, {"name", "description", "target", "profile", "experiments", "report"}, str(path))
    if not data.get("profile"):
        raise CampaignError(f"{path}: profile: required")
    if "experiments" not in data:
        raise CampaignError(f"{path}: experiments: required (a list; [] for a load-only campaign such as hpa-range)")
    if not isinstance(data["experiments"], list):
        raise CampaignError(f"{path}: experiments: expected a list of experiments, got {data['experiments']!r}")
    steps = tuple(_step(raw, f"{path}: experiments[{i}]") for i, raw in enumerate(data["experiments"]))
    report = data.get("report") or {}
    _check_keys(report, {"build"}, f"{path}: report")
    return Campaign(str(data.get("name") or path.stem), str(data.get("description") or ""), str(data["profile"]),
                    steps, bool(report.get("build", True)), _target(data.get("target"), path))


def _target(raw: Any, path: Path) -> Path | None:
    """`local`/absent -> None; else a target file, relative to the repository root or the campaign's folder."""
    if raw in (None, "local"):
        return None
    if not isinstance(raw, str):
        raise CampaignError(f"{path}: target: expected `local` or the path of a target file, got {raw!r}")
    for base in (CAMPAIGNS_DIR.parent, path.parent):
        candidate = (base / raw).resolve()
        if candidate.is_file():
            return candidate
    raise CampaignError(f"{path}: target: no target file {raw!r} (looked under {CAMPAIGNS_DIR.parent} and "
                        f"{path.parent}); use `local` or a path to a file like targets/example-eks.yaml")


class BackgroundLoad:
    """Runs `harness.load.run_load` in a thread; `join()` waits for the profile to end by itself."""

    def __init__(self, run: Any) -> None:
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._body, args=(run,), name="campaign-load", daemon=True)

    def _body(self, run: Any) -> None:
        try:
            run()
        except BaseException as exc:  # reported by the campaign, not lost in the thread
            self.error = exc

    def start(self) -> None:
        self.started = time.monotonic()
        self._thread.start()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def join(self, timeout: float | None = None) -> None:
        if self._thread.ident is not None:  # a run stopped before its load started has nothing to wait for
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
