"""Everything that can refuse a run is decided before the run starts: no request reaches the service and no change
the cluster until these pass.

1. `run_policy`: the run's safety policy, the most cautious of the target file, AFSUITE_* and `--dry-run`.
2. `check_target`: the kubeconfig context/cluster/server and the service host must not look like production
   (unless allowed); the service URL must be usable. Nothing is sent: only the kubeconfig file is read.
3. `free_run_dir`: a run directory is written once; an existing non-empty one is refused, untouched.
4. `plan_experiments`: each experiment runs once as a dry run (the same `chaos run`, the same guard) into a
   scratch directory, which resolves its selectors against the live cluster; any node outside the allowed
   set, blast radius over its cap or refused context refuses the whole run before its first change. The plans
   are kept in the run directory as `chaos/preflight/<experiment>.plan.json` (`keep_plans`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from experiments.afchaos import safety
from experiments.afchaos.policy import ENV_PREFIX, Refused, SafetyPolicy, production_words, settings_from
from harness.target import Target
from loadtests.urls import check_url

__all__ = ["BadInput", "Refused", "check_host", "check_target", "free_run_dir", "keep_plans", "plan_experiments",
           "recorded_refusal", "run_policy"]


class BadInput(ValueError):
    """A command's input cannot be used (exit code 5); the message names it and what to do."""


def run_policy(target: Target | None, dry_run: bool = False, env: Mapping[str, str] | None = None) -> SafetyPolicy:
    """The most cautious policy of the target file, the environment and the `--dry-run` flag."""
    env = os.environ if env is None else env
    sources = [settings_from(env, "environment", prefix=ENV_PREFIX, upper=True)]
    if target is not None:
        sources.append(settings_from(target.safety_settings(), f"target {target.name}"))
    if dry_run:
        sources.append({"dry_run": True})
    return SafetyPolicy.combine(*sources)


def check_host(url: str, policy: SafetyPolicy, where: str = "--host") -> str:
    """A usable service URL whose host does not look like production (unless allowed)."""
    try:
        url = check_url(url)
    except ValueError as exc:
        raise BadInput(f"{where}: {exc}") from None
    words = production_words(urlsplit(url).hostname)
    if words and not policy.allow_production:
        raise Refused(f"refusing to send load to {url}: its host name looks like production (word(s) "
                      f"{', '.join(words)}); set allow_production: true in the target file "
                      "(AFSUITE_ALLOW_PRODUCTION=true) if you mean it")
    return url


def check_target(target: Target, policy: SafetyPolicy) -> dict[str, Any]:
    """Refuse a production-looking context/cluster/server or service host; returns the identity checked."""
    check_host(target.service_url, policy, f"target {target.name}: service_url")
    kubeconfig = str(Path(target.kubeconfig).expanduser()) if target.kubeconfig else None
    return safety.check_context(target.context, kubeconfig=kubeconfig, policy=policy)


def free_run_dir(option: Path | str | None) -> Path | None:
    """The run directory asked for, when it is free (absent or empty); None = make a new one."""
    if option is None or str(option) == "":
        return None
    path = Path(option)
    if path.exists() and not path.is_dir():
        raise BadInput(f"--run-dir {path}: exists and is not a directory; choose a new run directory")
    if path.is_dir() and any(path.iterdir()):
        raise BadInput(f"--run-dir {path}: already holds a run (not empty); a run directory is written once, "
                       "so choose a new one (or leave --run-dir and AFSUITE_RUN_DIR unset for runs/<stamp>-<name>/)")
    return path


def recorded_refusal(scratch: Path) -> str | None:
    """The first refusal a dry run recorded (plan or safety journal), or None."""
    plan_file = scratch / "chaos" / "plan.json"
    if plan_file.is_file():
        for entry in json.loads(plan_file.read_text(encoding="utf-8")).get("entries") or []:
            if entry.get("decision") == "refused":
                return str(entry.get("server") or entry.get("note"))
    log = scratch / "chaos" / "safety.jsonl"
    for line in log.read_text(encoding="utf-8").splitlines() if log.is_file() else []:
        if line.strip() and "refused" in json.loads(line):
            return str(json.loads(line)["refused"])
    return None


def plan_experiments(names: Sequence[str], run: Callable[[str, Path], Any],
                     echo: Callable[[str], None] = print) -> dict[str, str]:
    """Dry-run every experiment (`run(name, scratch_dir)` runs it as a dry run) and raise Refused on the first
    refusal; returns {experiment: its plan.json text} to keep in the run directory."""
    plans: dict[str, str] = {}
    for name in names:
        scratch = Path(tempfile.mkdtemp(prefix="afsuite-preflight-"))
        try:
            echo(f"preflight: {Path(name).stem} as a dry run (resolving what it would touch) ...")
            run(name, scratch)
            plan_file = scratch / "chaos" / "plan.json"
            if plan_file.is_file():
                plans[Path(name).stem] = plan_file.read_text(encoding="utf-8")
            refused = recorded_refusal(scratch)
            if refused:
                raise Refused(f"{Path(name).stem}: {refused}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return plans


def keep_plans(plans: Mapping[str, str], run_dir: Path) -> None:
    """Write the preflight plans to `<run_dir>/chaos/preflight/<experiment>.plan.json`."""
    if not plans:
        return
    folder = run_dir / "chaos" / "preflight"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in plans.items():
        (folder / f"{name}.plan.json").write_text(text, encoding="utf-8")
