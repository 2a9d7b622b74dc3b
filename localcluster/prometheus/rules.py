"""Alerting rules as users deploy them: a PrometheusRule manifest (the prometheus-operator CRD) or a plain
Prometheus rules file, read unchanged and written as the rules file Prometheus loads.

The only change ever made is the cluster's time scale, stated here and in docs/alerts.md: under a time scale
of FACTOR (the local cluster's `fast` = 5) every duration that decides when an alert fires is divided by
FACTOR, so the rules judge a scaled cluster as they would judge a real one: a rule's `for:` and
`keep_firing_for:`, a group's `interval:`, and inside each expression the range selectors (`[5m]` -> `[1m]`),
subquery ranges and resolutions (`[30m:1m]`) and `offset` modifiers. Nothing else is touched (thresholds,
labels, annotations, metric names). Under the `real` scale (factor 1) the rules are written as read.
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

__all__ = ["RulesError", "format_duration", "load_rule_groups", "parse_duration", "scale_expr", "scale_groups",
           "write_rules"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, "y": 31536000.0}
_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_DUR = r"(?:\d+(?:ms|s|m|h|d|w|y))+"
_RANGE = re.compile(r"\[\s*(" + _DUR + r")\s*(?::\s*(" + _DUR + r")?\s*)?\]")
_OFFSET = re.compile(r"(\boffset\s+-?)(" + _DUR + r")")


class _Dumper(yaml.SafeDumper):
    """Multi-line expressions as block literals, the way people write them."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


class RulesError(ValueError):
    """A rules file cannot be used; the message names the file and the field."""


def parse_duration(text: str) -> float:
    """Seconds of a Prometheus duration such as `5m`, `1h30m`, `250ms`."""
    text = str(text).strip()
    if not _DURATION.match(text):
        raise ValueError(f"not a Prometheus duration: {text!r} (e.g. 30s, 5m, 1h30m)")
    return sum(int(n) * _UNITS[u] for n, u in _PART.findall(text))


def format_duration(seconds: float) -> str:
    """A Prometheus duration for `seconds` (whole seconds as `12s`, anything finer in `ms`; at least 1ms)."""
    millis = max(1, round(seconds * 1000))
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def _scaled(text: str, factor: float) -> str:
    return format_duration(parse_duration(text) / factor)


def scale_expr(expr: str, factor: float) -> str:
    """`expr` with its range selectors, subquery resolutions and offsets divided by `factor`."""
    if factor == 1.0:
        return expr

    def _range(m: re.Match[str]) -> str:
        rng = _scaled(m.group(1), factor)
        if m.group(0).find(":") < 0:
            return f"[{rng}]"
        return f"[{rng}:{_scaled(m.group(2), factor) if m.group(2) else ''}]"

    expr = _RANGE.sub(_range, expr)
    return _OFFSET.sub(lambda m: m.group(1) + _scaled(m.group(2), factor), expr)


def scale_groups(groups: list[dict[str, Any]], factor: float) -> list[dict[str, Any]]:
    """A copy of `groups` under the time scale `factor` (see the module docstring for what is divided)."""
    out = copy.deepcopy(groups)
    if factor == 1.0:
        return out
    for group in out:
        if "interval" in group:
            group["interval"] = _scaled(group["interval"], factor)
        for rule in group.get("rules") or []:
            for key in ("for", "keep_firing_for"):
                if key in rule:
                    rule[key] = _scaled(rule[key], factor)
            if "expr" in rule:
                rule["expr"] = scale_expr(str(rule["expr"]), factor)
    return out


def load_rule_groups(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rule groups of a PrometheusRule manifest (every PrometheusRule document of the file) or of a plain
    rules file (`groups:`). Errors name the file and what it lacks."""
    path = Path(path)
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except OSError as exc:
        raise RulesError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from None
    groups: list[dict[str, Any]] = []
    for doc in docs:
        if not isinstance(doc, dict):
            raise RulesError(f"{path}: expected a PrometheusRule manifest or a rules file (`groups:`)")
        if doc.get("kind") == "PrometheusRule":
            found = (doc.get("spec") or {}).get("groups")
            where = "spec.groups"
        elif "groups" in doc and "kind" not in doc:
            found, where = doc.get("groups"), "groups"
        else:
            continue  # another kind in a multi-document manifest (a Deployment, a ServiceMonitor, ...)
        if not isinstance(found, list) or not found:
            raise RulesError(f"{path}: {where}: expected a non-empty list of rule groups")
        for i, group in enumerate(found):
            if not isinstance(group, dict) or not group.get("name") or not isinstance(group.get("rules"), list):
                raise RulesError(f"{path}: {where}[{i}]: a rule group needs `name` and a list of `rules`")
        groups.extend(found)
    if not groups:
        raise RulesError(f"{path}: no PrometheusRule document and no `groups:`; give the manifest your cluster "
                         "applies or a Prometheus rules file")
    return groups


def write_rules(groups: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write `groups` as a Prometheus rules file, atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".rules-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            yaml.dump({"groups": groups}, fh, Dumper=_Dumper, sort_keys=False, width=200)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def longest_range_seconds(expr: str) -> float:
    """The longest range selector or subquery range in `expr` (seconds; 0 when it has none): how far back an
    alert's expression looks, which with its `for:` bounds when it can fire after a breach starts."""
    return max((parse_duration(m.group(1)) for m in _RANGE.finditer(expr)), default=0.0)
