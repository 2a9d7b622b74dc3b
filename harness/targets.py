"""Targets: the running local cluster (the default) or a target file (YAML), parsed once into a `Target`.

A target file names a kubeconfig context, namespace, workload selector, service URL and where the API key
comes from (`api_key_env` or `api_key_file`; never the key itself). Unknown keys are an error naming the key
and the file.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import typer
import yaml
from chaoslib.exceptions import ActivityFailed

from analysis import exitcodes
from analysis.hpa_replay.spec import parse_expected
from experiments.afchaos.policy import settings_from
from harness.target import Target
from loadtests.urls import check_url
from localcluster.config import default_state_dir, read_state

_FIELDS = {f.name for f in fields(Target)}


class TargetError(ValueError):
    """A target cannot be used; the message says which file/field and what to do."""


def local_target(state_dir: Path | None = None) -> Target:
    """The local cluster running from `state_dir` (default: the one `afsuite cluster up` starts)."""
    directory = (state_dir or default_state_dir()).expanduser()
    state = read_state(directory)
    if not state:
        raise TargetError(f"no local cluster runs from {directory}: start one with `afsuite cluster up` "
                          "(or pass --target FILE for a real cluster)")
    controllers = state.get("controllers") or {}

    def setting(key: str, default: float) -> float:
        return float(controllers.get(key) or default)

    return Target(name="local", kubeconfig=state["kubeconfig"], context=state["context"],
                  namespace=state["namespace"], service_url=state["service_url"],
                  api_key_file=state.get("api_key_file"),
                  hpa_sync_period_s=setting("hpa_sync_period", 15.0),
                  hpa_tolerance=setting("hpa_tolerance", 0.1),
                  hpa_cpu_initialization_period_s=setting("hpa_cpu_initialization_period", 300.0),
                  hpa_initial_readiness_delay_s=setting("hpa_initial_readiness_delay", 30.0),
                  hpa_downscale_stabilization_s=setting("hpa_downscale_stabilization", 300.0),
                  cpu_scale=float(state.get("cpu_scale") or 1.0), time_factor=float(state.get("time_factor") or 1.0),
                  prometheus_url=(state.get("prometheus") or {}).get("url"))


def load_target(path: Path) -> Target:
    """A target from a YAML file with the keys of `Target` (name defaults to the file's stem)."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise TargetError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise TargetError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise TargetError(f"{path}: expected a mapping of target settings")
    if "api_key" in data:
        raise TargetError(f"{path}: api_key: never put the key in a file the suite reads as configuration; "
                          "use api_key_env (an environment variable name) or api_key_file (a path)")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise TargetError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_FIELDS))}")
    for key in ("namespace", "service_url"):
        if not data.get(key):
            raise TargetError(f"{path}: {key}: required")
    try:
        data.update(settings_from(data, str(path)))
    except ActivityFailed as exc:
        raise TargetError(str(exc)) from None
    data["service_url"] = _service_url(data["service_url"], f"{path}: service_url")
    sync = data.get("hpa_sync_period_s", 15.0)
    if isinstance(sync, bool) or not isinstance(sync, int | float) or sync <= 0:
        raise TargetError(f"{path}: hpa_sync_period_s: expected seconds > 0 (the controller manager's "
                          f"--horizontal-pod-autoscaler-sync-period, default 15), got {sync!r}")
    _check_hpa_settings(data, path)
    data.setdefault("name", path.stem)
    data.setdefault("kubeconfig", None)
    data.setdefault("context", None)
    return Target(**data)


_HPA_NUMBERS = ("hpa_tolerance", "hpa_cpu_initialization_period_s", "hpa_initial_readiness_delay_s",
                "hpa_downscale_stabilization_s")


def _check_hpa_settings(data: dict, path: Path) -> None:
    """The HPA controller settings are non-negative numbers; `hpa_expected` is an HPA spec the replay can use;
    the scales default to 1 (a real cluster); a target file that reaches a local cluster through another identity
    states that cluster's scales, or the HPA's scaled windows would be judged against unscaled expectations."""
    for key in _HPA_NUMBERS:
        value = data.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise TargetError(f"{path}: {key}: expected a number >= 0 (the HPA controller's setting), got {value!r}")
    for key in ("cpu_scale", "time_factor"):
        value = data.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
            raise TargetError(f"{path}: {key}: expected a number >= 1, got {value!r}; a real cluster's scales are 1 "
                              "(leave the key out); state another only for a local cluster started with "
                              "--time-scale/--cpu-scale (`afsuite cluster status` shows them)")
    if data.get("hpa_expected") is not None:
        try:
            parse_expected(data["hpa_expected"])
        except ValueError as exc:
            raise TargetError(f"{path}: hpa_expected: {exc}") from None


def _service_url(value: object, where: str) -> str:
    try:
        return check_url(str(value))
    except ValueError as exc:
        raise TargetError(f"{where}: {exc}") from None


def resolve_target(target_file: Path | None, state_dir: Path | None = None) -> Target:
    return load_target(target_file) if target_file else local_target(state_dir)


def resolve_target_or_exit(target_file: Path | None, state_dir: Path | None = None, *,
                           without: str | None = None) -> Target | None:
    """A command's target, or exit with the bad-input code and the reason on stderr. With ``without`` (what the
    command still does without a target), no --target and no --state-dir and no local cluster is not an error:
    that is said and None returned."""
    try:
        return resolve_target(target_file, state_dir)
    except TargetError as exc:
        if without is not None and target_file is None and state_dir is None:
            typer.echo(f"no target: {exc}; {without}")
            return None
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exitcodes.BAD_INPUT) from None
