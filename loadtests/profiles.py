"""Named load profiles: YAML files parsed once, before any traffic, into frozen typed objects.

A profile says what traffic to send (``mix``, ``bodies``), how much and when (``stages``, closed or open
loop), what counts as good (``slos``), when the load generator itself cannot be trusted (``validity``) and how
the cluster checks judge (``cluster_checks``); the last three are the contract's thresholds
(:mod:`rundir.thresholds`, one parser for this plane and the verdict pipeline).
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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from loadtests import bodies as _bodies
from rundir import fields
from rundir.fields import ProfileError
from rundir.layout import ENDPOINTS
from rundir.thresholds import ClusterChecks, Slos, SloSet, Validity, parse_cluster_checks, parse_slos, parse_validity

__all__ = ["ARRIVALS", "KINDS", "MODELS", "PROFILE_DIR", "ClusterChecks", "Profile", "ProfileError", "SloSet", "Slos",
           "Stage", "Timeouts", "Validity", "available_profiles", "load_profile", "parse_duration", "parse_profile",
           "with_duration"]

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
KINDS = ("steady", "step", "spike", "ramp-down", "soak")
MODELS = ("closed", "open")
ARRIVALS = ("poisson", "constant")


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
    slos: Slos = dataclasses.field(default_factory=Slos)
    validity: Validity = dataclasses.field(default_factory=Validity)
    cluster_checks: ClusterChecks = dataclasses.field(default_factory=ClusterChecks)
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
            "slos": self.slos.to_dict(),
            "validity": dataclasses.asdict(self.validity),
            "cluster_checks": dataclasses.asdict(self.cluster_checks),
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
    seconds = fields.duration(duration, profile.source, "--duration")
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
    "slos", "validity", "cluster_checks", "timeouts", "source",
)


def parse_profile(data: Any, *, source: str = "<dict>", default_name: str = "profile") -> Profile:
    """Validate a profile mapping (from YAML or :meth:`Profile.to_dict`) into a :class:`Profile`."""
    top = fields.mapping(data, source, "(top level)", _TOP)
    model = fields.choice(top.get("model", "closed"), source, "model", MODELS)
    stages_raw = top.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        fields.fail(source, "stages", "must be a non-empty list of stages", stages_raw)
    stages = tuple(_stage(raw, source, f"stages[{i}]", model) for i, raw in enumerate(stages_raw))
    names = [s.name for s in stages]
    for i, name in enumerate(names):
        if name in names[:i]:
            fields.fail(source, f"stages[{i}].name", "must be unique among stages", name)
    seed = top.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        fields.fail(source, "seed", "must be an integer", seed)
    return Profile(
        name=fields.text(top.get("name", default_name), source, "name"),
        description=fields.text(top.get("description", ""), source, "description", allow_empty=True),
        model=model,
        mix=_mix(top.get("mix"), source),
        bodies=_parse_bodies(top.get("bodies", {}), source),
        stages=stages,
        slos=parse_slos(top.get("slos"), source, ENDPOINTS),
        validity=parse_validity(top.get("validity"), source),
        cluster_checks=parse_cluster_checks(top.get("cluster_checks"), source),
        timeouts=_timeouts(top.get("timeouts", {}), source),
        seed=seed,
        source=str(top.get("source", source)) if source == "<dict>" else source,
    )


def _parse_bodies(raw: Any, source: str) -> _bodies.BodyConfig:
    data = fields.mapping(raw, source, "bodies", tuple(f.name for f in dataclasses.fields(_bodies.BodyConfig)))
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
                fields.fail(src, f"{path}.{key}", f"is not a field of a stage when model is {model!r}", raw[key])
    stage = fields.mapping(raw, src, path, allowed, required=("name", "duration"))
    kind = fields.choice(stage.get("kind", "steady"), src, f"{path}.kind", KINDS)
    common: dict[str, Any] = {
        "name": fields.text(stage["name"], src, f"{path}.name"),
        "kind": kind,
        "duration": fields.duration(stage["duration"], src, f"{path}.duration"),
    }
    low = 0 if kind == "ramp-down" else 1
    if model == "closed":
        if "users" not in stage:
            fields.fail(src, f"{path}.users", "is required for a closed-loop stage", None)
        spawn = stage.get("spawn_rate")
        return Stage(
            **common,
            users=fields.integer(stage["users"], src, f"{path}.users", low),
            spawn_rate=None if spawn is None else fields.number(spawn, src, f"{path}.spawn_rate", positive=True),
        )
    if "rate" not in stage:
        fields.fail(src, f"{path}.rate", "is required for an open-loop stage (arrivals per second)", None)
    rate = fields.number(stage["rate"], src, f"{path}.rate", positive=kind != "ramp-down")
    return Stage(
        **common,
        rate=rate,
        arrivals=fields.choice(stage.get("arrivals", "poisson"), src, f"{path}.arrivals", ARRIVALS),
        max_concurrency=fields.integer(stage.get("max_concurrency", 1000), src, f"{path}.max_concurrency", 1),
    )


def _mix(raw: Any, src: str) -> dict[str, float]:
    mix = fields.mapping(raw, src, "mix", ENDPOINTS)
    if not mix:
        fields.fail(src, "mix", f"must give a positive weight to at least one of {list(ENDPOINTS)}", raw)
    out = {}
    for endpoint, weight in mix.items():
        out[endpoint] = fields.number(weight, src, f"mix.{endpoint}", positive=True, hint="omit it to disable it")
    return out


def _timeouts(raw: Any, src: str) -> Timeouts:
    data = fields.mapping(raw, src, "timeouts", tuple(f.name for f in dataclasses.fields(Timeouts)))
    return Timeouts(**{k: fields.duration(v, src, f"timeouts.{k}") for k, v in data.items()})


def parse_duration(raw: Any) -> float:
    """Seconds from ``30``, ``2.5``, ``"30s"``, ``"2m"``, ``"1h"``, ``"1m30s"`` or ``"500ms"`` (> 0)."""
    return fields.duration(raw, "<value>", "duration")
