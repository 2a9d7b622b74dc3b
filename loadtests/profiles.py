"""Named load profiles: YAML files parsed once, before any traffic, into frozen typed objects.

A profile says what traffic to send (``mix``, ``bodies``), how much and when (``stages``, closed or open
loop), what counts as good (``slos``) and when the load generator itself cannot be trusted (``validity``).
Every bad value fails with ``ProfileError("<file>: <field path>: <what is wrong>, got <value>")``, for example
``profiles/step.yaml: stages[1].users: must be a positive integer, got -3``. Unknown keys are errors too.

Shipped profiles live in ``loadtests/profiles/*.yaml``; ``load_profile("step")`` or
``load_profile("path/to/my.yaml")``. ``Profile.to_dict()`` is JSON-able and parses back with
:func:`parse_profile` (the master sends it to workers, the manifest stores it).

Duration fields accept seconds (``30``, ``2.5``) or strings such as ``"30s"``, ``"2m"``, ``"1h"``,
``"1m30s"``, ``"500ms"``. The YAML schema is documented by ``loadtests/profiles/README.md``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

from loadtests import bodies as _bodies
from rundir.layout import ENDPOINTS

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
KINDS = ("steady", "step", "spike", "ramp-down", "soak")
MODELS = ("closed", "open")
ARRIVALS = ("poisson", "constant")
SLO_KEYS = ("error_rate", "ttft_p50", "ttft_p95", "ttft_p99", "itl_p99", "tpot_p99", "e2e_p95", "e2e_p99")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


class ProfileError(ValueError):
    """A profile file or value is invalid; the message names the file and the field path."""


@dataclass(frozen=True)
class Stage:
    """One load stage. Closed loop uses users/spawn_rate; open loop uses rate/arrivals/max_concurrency."""

    name: str
    kind: str
    duration: float
    users: int | None = None
    spawn_rate: float | None = None
    rate: float | None = None
    arrivals: str | None = None
    max_concurrency: int | None = None


@dataclass(frozen=True)
class SloSet:
    """Thresholds (seconds, or a fraction for error_rate); None means not checked."""

    error_rate: float | None = None
    ttft_p50: float | None = None
    ttft_p95: float | None = None
    ttft_p99: float | None = None
    itl_p99: float | None = None
    tpot_p99: float | None = None
    e2e_p95: float | None = None
    e2e_p99: float | None = None


@dataclass(frozen=True)
class Slos:
    """Run-wide SLOs plus optional per-endpoint ones (only the keys given there)."""

    overall: SloSet = SloSet(error_rate=0.01, e2e_p99=10.0)
    per_endpoint: Mapping[str, SloSet] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Validity:
    """When the load generator's own numbers make a run INVALID (never pass or fail)."""

    max_cpu_percent: float = 90.0
    max_dispatch_lag_p99: float = 0.1
    max_dropped_fraction: float = 0.01
    saturation_window_s: float = 5.0  # CPU is judged as its mean over this window (analysis/checks/validity.py)


@dataclass(frozen=True)
class Timeouts:
    """connect/stream bound one stream; drain is how long in-flight streams may finish at the end."""

    connect: float = 5.0
    stream: float = 120.0
    drain: float = 30.0


@dataclass(frozen=True)
class Profile:
    """A parsed, validated profile. ``source`` names the file (or origin) it came from."""

    name: str
    description: str
    model: str
    mix: Mapping[str, float]
    bodies: _bodies.BodyConfig
    stages: tuple[Stage, ...]
    slos: Slos = Slos()
    validity: Validity = Validity()
    timeouts: Timeouts = Timeouts()
    seed: int = 1
    source: str = "<dict>"

    @property
    def duration(self) -> float:
        """Total planned seconds of all stages."""
        return sum(stage.duration for stage in self.stages)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (durations in seconds, defaults filled in); :func:`parse_profile` reads it back."""
        return {
            "name": self.name,
            "description": self.description,
            "model": self.model,
            "seed": self.seed,
            "mix": dict(self.mix),
            "bodies": dataclasses.asdict(self.bodies),
            "stages": [_drop_none(dataclasses.asdict(stage)) for stage in self.stages],
            "slos": {
                **_drop_none(dataclasses.asdict(self.slos.overall)),
                "per_endpoint": {
                    name: _drop_none(dataclasses.asdict(slo)) for name, slo in self.slos.per_endpoint.items()
                },
            },
            "validity": dataclasses.asdict(self.validity),
            "timeouts": dataclasses.asdict(self.timeouts),
            "source": self.source,
        }


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def available_profiles() -> list[str]:
    """Names of the shipped profiles."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name_or_path: str | Path, *, duration: str | float | None = None) -> Profile:
    """Load a shipped profile by name or any YAML file by path; ``duration`` overrides the soak stage."""
    path = _resolve(name_or_path)
    label = f"profiles/{path.name}" if path.parent == PROFILE_DIR else str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"{label}: not valid YAML: {exc}") from exc
    profile = parse_profile(data, source=label, default_name=path.stem)
    return with_duration(profile, duration) if duration is not None else profile


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.suffix in (".yaml", ".yml") or "/" in text or candidate.exists():
        if not candidate.is_file():
            raise ProfileError(f"{text}: profile file not found")
        return candidate.resolve()
    shipped = PROFILE_DIR / f"{text}.yaml"
    if not shipped.is_file():
        raise ProfileError(
            f"{text}: no such profile; choose one of {available_profiles()} or give the path of a YAML file"
        )
    return shipped


def with_duration(profile: Profile, duration: str | float) -> Profile:
    """The profile with its (single) soak stage lasting ``duration``; an error if it has no soak stage."""
    seconds = _duration(duration, profile.source, "--duration")
    soaks = [i for i, s in enumerate(profile.stages) if s.kind == "soak"]
    if len(soaks) != 1:
        raise ProfileError(
            f"{profile.source}: --duration: applies only to a profile with exactly one soak stage "
            f"(this one has {len(soaks)}); use the soak profile or edit the stage durations"
        )
    stages = list(profile.stages)
    stages[soaks[0]] = dataclasses.replace(stages[soaks[0]], duration=seconds)
    return dataclasses.replace(profile, stages=tuple(stages))


# ---------------------------------------------------------------------------------------------- parsing

_TOP = (
    "name", "description", "model", "seed", "mix", "bodies", "stages",
    "slos", "validity", "timeouts", "source",
)


def parse_profile(data: Any, *, source: str = "<dict>", default_name: str = "profile") -> Profile:
    """Validate a profile mapping (from YAML or :meth:`Profile.to_dict`) into a :class:`Profile`."""
    top = _mapping(data, source, "(top level)", _TOP)
    model = _choice(top.get("model", "closed"), source, "model", MODELS)
    stages_raw = top.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        _fail(source, "stages", "must be a non-empty list of stages", stages_raw)
    stages = tuple(_stage(raw, source, f"stages[{i}]", model) for i, raw in enumerate(stages_raw))
    names = [s.name for s in stages]
    for i, name in enumerate(names):
        if name in names[:i]:
            _fail(source, f"stages[{i}].name", "must be unique among stages", name)
    seed = top.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        _fail(source, "seed", "must be an integer", seed)
    return Profile(
        name=_text(top.get("name", default_name), source, "name"),
        description=_text(top.get("description", ""), source, "description", allow_empty=True),
        model=model,
        mix=_mix(top.get("mix"), source),
        bodies=_parse_bodies(top.get("bodies", {}), source),
        stages=stages,
        slos=_slos(top.get("slos", {}), source),
        validity=_validity(top.get("validity", {}), source),
        timeouts=_timeouts(top.get("timeouts", {}), source),
        seed=seed,
        source=str(top.get("source", source)) if source == "<dict>" else source,
    )


def _parse_bodies(raw: Any, source: str) -> _bodies.BodyConfig:
    data = _mapping(raw, source, "bodies", tuple(f.name for f in dataclasses.fields(_bodies.BodyConfig)))
    try:
        return _bodies.BodyConfig(**data)
    except _bodies.ConfigError as exc:  # its message starts with the field name
        raise ProfileError(f"{source}: bodies.{exc}") from exc


_CLOSED_KEYS = ("name", "kind", "duration", "users", "spawn_rate")
_OPEN_KEYS = ("name", "kind", "duration", "rate", "arrivals", "max_concurrency")


def _stage(raw: Any, src: str, path: str, model: str) -> Stage:
    allowed = _CLOSED_KEYS if model == "closed" else _OPEN_KEYS
    other = _OPEN_KEYS if model == "closed" else _CLOSED_KEYS
    if isinstance(raw, Mapping):
        for key in raw:
            if key not in allowed and key in other:
                _fail(src, f"{path}.{key}", f"is not a field of a stage when model is {model!r}", raw[key])
    stage = _mapping(raw, src, path, allowed, required=("name", "duration"))
    kind = _choice(stage.get("kind", "steady"), src, f"{path}.kind", KINDS)
    common = {
        "name": _text(stage["name"], src, f"{path}.name"),
        "kind": kind,
        "duration": _duration(stage["duration"], src, f"{path}.duration"),
    }
    low = 0 if kind == "ramp-down" else 1
    if model == "closed":
        if "users" not in stage:
            _fail(src, f"{path}.users", "is required for a closed-loop stage", None)
        spawn = stage.get("spawn_rate")
        return Stage(
            **common,
            users=_int(stage["users"], src, f"{path}.users", low),
            spawn_rate=None if spawn is None else _number(spawn, src, f"{path}.spawn_rate", positive=True),
        )
    if "rate" not in stage:
        _fail(src, f"{path}.rate", "is required for an open-loop stage (arrivals per second)", None)
    rate = _number(stage["rate"], src, f"{path}.rate", positive=kind != "ramp-down")
    return Stage(
        **common,
        rate=rate,
        arrivals=_choice(stage.get("arrivals", "poisson"), src, f"{path}.arrivals", ARRIVALS),
        max_concurrency=_int(stage.get("max_concurrency", 1000), src, f"{path}.max_concurrency", 1),
    )


def _mix(raw: Any, src: str) -> dict[str, float]:
    mix = _mapping(raw, src, "mix", ENDPOINTS)
    if not mix:
        _fail(src, "mix", f"must give a positive weight to at least one of {list(ENDPOINTS)}", raw)
    out = {}
    for endpoint, weight in mix.items():
        out[endpoint] = _number(weight, src, f"mix.{endpoint}", positive=True, hint="omit it to disable it")
    return out


def _slo_set(data: dict[str, Any], src: str, path: str) -> SloSet:
    out: dict[str, float] = {}
    for key, value in data.items():
        if key == "error_rate":
            out[key] = _number(value, src, f"{path}.{key}", upper=1.0)
        else:
            out[key] = _duration(value, src, f"{path}.{key}")
    return SloSet(**out)


def _slos(raw: Any, src: str) -> Slos:
    top = _mapping(raw, src, "slos", (*SLO_KEYS, "per_endpoint"))
    per_raw = _mapping(top.pop("per_endpoint", {}), src, "slos.per_endpoint", ENDPOINTS)
    overall = _slo_set({"error_rate": 0.01, "e2e_p99": 10.0, **top}, src, "slos")
    per = {
        endpoint: _slo_set(_mapping(value, src, f"slos.per_endpoint.{endpoint}", SLO_KEYS), src,
                           f"slos.per_endpoint.{endpoint}")
        for endpoint, value in per_raw.items()
    }
    return Slos(overall=overall, per_endpoint=per)


def _validity(raw: Any, src: str) -> Validity:
    data = _mapping(raw, src, "validity", tuple(f.name for f in dataclasses.fields(Validity)))
    out: dict[str, float] = {}
    for key, value in data.items():
        path = f"validity.{key}"
        if key in ("max_dispatch_lag_p99", "saturation_window_s"):
            out[key] = _duration(value, src, path)
        else:
            out[key] = _number(value, src, path, positive=key == "max_cpu_percent",
                               upper=1.0 if key == "max_dropped_fraction" else None)
    return Validity(**out)


def _timeouts(raw: Any, src: str) -> Timeouts:
    data = _mapping(raw, src, "timeouts", tuple(f.name for f in dataclasses.fields(Timeouts)))
    return Timeouts(**{k: _duration(v, src, f"timeouts.{k}") for k, v in data.items()})


# --------------------------------------------------------------------------------------------- checkers


def _fail(src: str, path: str, problem: str, got: Any) -> NoReturn:
    raise ProfileError(f"{src}: {path}: {problem}, got {got!r}")


def _mapping(raw: Any, src: str, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        _fail(src, path, "must be a mapping", raw)
    for key in raw:
        if key not in allowed:
            where = key if path == "(top level)" else f"{path}.{key}"
            _fail(src, where, f"unknown key; allowed keys are {list(allowed)}", raw[key])
    for key in required:
        if key not in raw:
            _fail(src, f"{path}.{key}", "is required", None)
    return dict(raw)


def _text(raw: Any, src: str, path: str, allow_empty: bool = False) -> str:
    if not isinstance(raw, str) or (not allow_empty and not raw.strip()):
        _fail(src, path, "must be a non-empty string" if not allow_empty else "must be a string", raw)
    return raw


def _choice(raw: Any, src: str, path: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        _fail(src, path, f"must be one of {list(choices)}", raw)
    return raw


def _int(raw: Any, src: str, path: str, low: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < low:
        _fail(src, path, "must be a positive integer" if low > 0 else "must be a non-negative integer", raw)
    return raw


def _number(
    raw: Any, src: str, path: str, *, positive: bool = False, upper: float | None = None, hint: str = ""
) -> float:
    ok = not isinstance(raw, bool) and isinstance(raw, int | float) and math.isfinite(raw)
    ok = ok and (raw > 0 if positive else raw >= 0) and (upper is None or raw <= upper)
    if not ok:
        what = "a positive number" if positive else "a non-negative number"
        what += f" no greater than {upper:g}" if upper is not None else ""
        _fail(src, path, f"must be {what}" + (f" ({hint})" if hint else ""), raw)
    return float(raw)


def parse_duration(raw: Any) -> float:
    """Seconds from ``30``, ``2.5``, ``"30s"``, ``"2m"``, ``"1h"``, ``"1m30s"`` or ``"500ms"`` (> 0)."""
    return _duration(raw, "<value>", "duration")


def _duration(raw: Any, src: str, path: str) -> float:
    seconds: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        seconds = float(raw)
    elif isinstance(raw, str) and raw.strip():
        text = raw.strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text)
        elif (match := _DURATION.fullmatch(text)) is not None:
            h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
            seconds = h * 3600 + m * 60 + s + ms / 1000
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        _fail(src, path, 'must be a positive duration such as 30, "30s", "2m", "1h" or "1m30s"', raw)
    return seconds
