"""The safety settings of a run, and how several sources of them combine: the most cautious one always wins.

| setting          | target file key  | environment              | chaos configuration      | default |
|------------------|------------------|--------------------------|--------------------------|---------|
| dry run          | dry_run          | AFSUITE_DRY_RUN          | afsuite_dry_run          | false   |
| production       | allow_production | AFSUITE_ALLOW_PRODUCTION | afsuite_allow_production | false   |
| allowed nodes    | allowed_nodes    | AFSUITE_ALLOWED_NODES    | afsuite_allowed_nodes    | none    |
| allowed zones    | allowed_zones    | AFSUITE_ALLOWED_ZONES    | afsuite_allowed_zones    | none    |
| blast radius     | max_pods         | AFSUITE_MAX_PODS         | afsuite_max_pods         | no cap  |
|                  | max_nodes        | AFSUITE_MAX_NODES        | afsuite_max_nodes        | no cap  |

`afsuite chaos|campaign|soak --dry-run` is one more source of `dry_run: true`. Combining: dry run if ANY source
says so; production allowed only if some source allows it and none forbids it; allowed nodes/zones are the
intersection of the lists that are set; caps are the smallest set. A source that does not mention a setting
does not count. Nothing a later source says can make the result less cautious.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from chaoslib.exceptions import ActivityFailed

__all__ = ["ENV_PREFIX", "PRODUCTION_WORDS", "PolicyError", "Refused", "SafetyPolicy", "production_words",
           "settings_from"]

ENV_PREFIX = "AFSUITE_"
CONFIG_PREFIX = "afsuite_"
PRODUCTION_WORDS = frozenset({"prod", "production", "prd", "live"})
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


class Refused(ActivityFailed):
    """A safety setting refused a change (or a whole run); the message names the setting to change."""


class PolicyError(ActivityFailed):
    """A safety setting has a value that cannot be used; the message names where it came from."""


@dataclass(frozen=True, slots=True)
class SafetyPolicy:
    """What the suite may touch (see the module docstring)."""

    allow_production: bool = False
    allowed_nodes: tuple[str, ...] = ()
    allowed_zones: tuple[str, ...] = ()
    max_pods: int | None = None
    max_nodes: int | None = None
    dry_run: bool = False

    @classmethod
    def combine(cls, *sources: Mapping[str, Any]) -> SafetyPolicy:
        """The most cautious policy of partial settings (as returned by `settings_from`)."""
        def values(name: str) -> list[Any]:
            return [s[name] for s in sources if s.get(name) is not None]

        allow = values("allow_production")
        lists = {name: [set(v) for v in values(name)] for name in ("allowed_nodes", "allowed_zones")}
        caps = {name: values(name) for name in ("max_pods", "max_nodes")}
        return cls(
            allow_production=bool(allow) and all(allow),
            allowed_nodes=tuple(sorted(set.intersection(*lists["allowed_nodes"]))) if lists["allowed_nodes"] else (),
            allowed_zones=tuple(sorted(set.intersection(*lists["allowed_zones"]))) if lists["allowed_zones"] else (),
            max_pods=min(caps["max_pods"]) if caps["max_pods"] else None,
            max_nodes=min(caps["max_nodes"]) if caps["max_nodes"] else None,
            dry_run=any(values("dry_run")),
        )

    @classmethod
    def from_env(cls, configuration: Mapping[str, Any] | None = None,
                 env: Mapping[str, str] | None = None) -> SafetyPolicy:
        """The chaos process's policy: environment `AFSUITE_*` combined with configuration `afsuite_*`."""
        env = os.environ if env is None else env
        return cls.combine(settings_from(env, "environment", prefix=ENV_PREFIX, upper=True),
                           settings_from(configuration or {}, "configuration", prefix=CONFIG_PREFIX))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "target") -> SafetyPolicy:
        """The policy of one mapping with the plain keys (`dry_run`, `allowed_nodes`, ...; a target file)."""
        return cls.combine(settings_from(data, where))

    def to_env(self) -> dict[str, str]:
        """Environment for a child process (what `from_env` reads back); unset values are left out."""
        out = {"AFSUITE_ALLOW_PRODUCTION": str(self.allow_production).lower(),
               "AFSUITE_DRY_RUN": str(self.dry_run).lower()}
        if self.allowed_nodes:
            out["AFSUITE_ALLOWED_NODES"] = ",".join(self.allowed_nodes)
        if self.allowed_zones:
            out["AFSUITE_ALLOWED_ZONES"] = ",".join(self.allowed_zones)
        if self.max_pods is not None:
            out["AFSUITE_MAX_PODS"] = str(self.max_pods)
        if self.max_nodes is not None:
            out["AFSUITE_MAX_NODES"] = str(self.max_nodes)
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def settings_from(data: Mapping[str, Any], where: str, *, prefix: str = "", upper: bool = False) -> dict[str, Any]:
    """The safety settings that `data` sets (keys `<prefix><name>`, upper-cased for the environment), converted;
    a bad value raises PolicyError naming `where` and the key."""
    out: dict[str, Any] = {}
    for f in fields(SafetyPolicy):
        key = f"{prefix}{f.name}"
        key = key.upper() if upper else key
        if data.get(key) is not None:
            out[f.name] = _convert(f.name, data[key], f"{where}: {key}")
    return out


def _convert(name: str, value: Any, where: str) -> Any:
    if name in ("allow_production", "dry_run"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise PolicyError(f"{where}: {value!r} is not a boolean (use true or false)")
    if name in ("allowed_nodes", "allowed_zones"):
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(i).strip() for i in items if str(i).strip())
    if isinstance(value, bool):
        raise PolicyError(f"{where}: {value!r} is not a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PolicyError(f"{where}: {value!r} is not a whole number") from None
    if number < 0:
        raise PolicyError(f"{where}: {number} must be >= 0")
    return number


def production_words(*names: str | None) -> list[str]:
    """The production words found as words in `names` (empty when none looks like production)."""
    found = []
    for name in names:
        for word in re.split(r"[^a-z0-9]+", (name or "").lower()):
            if word in PRODUCTION_WORDS and word not in found:
                found.append(word)
    return found
