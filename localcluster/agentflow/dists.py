"""Random distributions for the simulated LLM, parsed from compact specs such as
``lognormal:median=0.2,sigma=0.3``, ``const:0.02``, ``uniform:min=0.1,max=0.3``, ``normal:mean=64,sd=16``
or ``exp:mean=0.05``. Samples are clipped at 0 (times and token counts cannot be negative)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["KINDS", "Dist", "DistError", "parse_dist"]

# kind -> (required parameter names, accepted aliases)
KINDS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "const": (("value",), {"v": "value"}),
    "uniform": (("min", "max"), {"low": "min", "high": "max", "lo": "min", "hi": "max"}),
    "normal": (("mean", "sd"), {"mu": "mean", "stddev": "sd", "sigma": "sd", "std": "sd"}),
    "lognormal": (("median", "sigma"), {"m": "median"}),
    "exp": (("mean",), {}),
}
EXAMPLE = "e.g. lognormal:median=0.2,sigma=0.3 or const:0.02 (kinds: " + ", ".join(KINDS) + ")"


class DistError(ValueError):
    """A distribution spec that cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class Dist:
    """A parsed distribution: ``kind`` and its named parameters (all floats)."""

    kind: str
    params: tuple[tuple[str, float], ...]
    spec: str

    def param(self, name: str) -> float:
        return dict(self.params)[name]

    def median(self) -> float:
        """The distribution's median (before clipping at 0), used in logs and tests."""
        p = dict(self.params)
        if self.kind == "const":
            return p["value"]
        if self.kind == "uniform":
            return (p["min"] + p["max"]) / 2
        if self.kind == "normal":
            return p["mean"]
        if self.kind == "lognormal":
            return p["median"]
        return p["mean"] * math.log(2)

    def sampler(self, rng: random.Random) -> Callable[[], float]:
        """A zero-argument function drawing one non-negative sample from ``rng``."""
        p = dict(self.params)
        if self.kind == "const":
            value = max(0.0, p["value"])
            return lambda: value
        if self.kind == "uniform":
            lo, hi = p["min"], p["max"]
            return lambda: max(0.0, rng.uniform(lo, hi))
        if self.kind == "normal":
            mean, sd = p["mean"], p["sd"]
            return lambda: max(0.0, rng.gauss(mean, sd))
        if self.kind == "lognormal":
            mu, sigma = math.log(p["median"]), p["sigma"]
            return lambda: rng.lognormvariate(mu, sigma)
        rate = 1.0 / p["mean"]
        return lambda: rng.expovariate(rate)


def _parse_number(kind: str, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DistError(f"parameter {name}={text!r} of {kind} is not a number; {EXAMPLE}") from None
    if not math.isfinite(value):
        raise DistError(f"parameter {name} of {kind} must be finite, got {text!r}")
    return value


def _parse_params(kind: str, body: str) -> dict[str, float]:
    required, aliases = KINDS[kind]
    values: dict[str, float] = {}
    for item in (part.strip() for part in body.split(",")):
        if not item:
            continue
        if "=" not in item:
            if len(required) == 1 and not values:
                values[required[0]] = _parse_number(kind, required[0], item)
                continue
            raise DistError(f"{kind} parameter {item!r} needs a name; write {'=...,'.join(required)}=...")
        name, _, text = (s.strip() for s in item.partition("="))
        name = aliases.get(name.lower(), name.lower())
        if name not in required:
            raise DistError(f"{kind} has no parameter {name!r}; it takes {', '.join(required)}")
        values[name] = _parse_number(kind, name, text)
    missing = [n for n in required if n not in values]
    if missing:
        raise DistError(f"{kind} needs {', '.join(missing)}; {EXAMPLE}")
    return values


def _check(kind: str, p: dict[str, float]) -> None:
    if kind == "const" and p["value"] < 0:
        raise DistError("const value must be >= 0")
    if kind == "uniform" and not 0 <= p["min"] <= p["max"]:
        raise DistError("uniform needs 0 <= min <= max")
    if kind == "normal" and p["sd"] < 0:
        raise DistError("normal sd must be >= 0")
    if kind == "lognormal" and (p["median"] <= 0 or p["sigma"] < 0):
        raise DistError("lognormal needs median > 0 and sigma >= 0")
    if kind == "exp" and p["mean"] <= 0:
        raise DistError("exp mean must be > 0")


def parse_dist(spec: str) -> Dist:
    """Parse ``kind:params``; a bare number means ``const:<number>``. Raises DistError."""
    text = spec.strip()
    if not text:
        raise DistError(f"empty distribution; {EXAMPLE}")
    kind, sep, body = text.partition(":")
    kind = kind.strip().lower()
    if not sep:
        try:
            float(kind)
        except ValueError:
            raise DistError(f"{text!r} is not a distribution; {EXAMPLE}") from None
        kind, body = "const", text
    if kind not in KINDS:
        raise DistError(f"unknown distribution {kind!r}; {EXAMPLE}")
    params = _parse_params(kind, body)
    _check(kind, params)
    ordered = tuple((name, params[name]) for name in KINDS[kind][0])
    return Dist(kind=kind, params=ordered, spec=text)
