"""Profiles: every shipped profile parses; bad files fail before any traffic, naming the file and field path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from loadtests.profiles import (
    ProfileError,
    available_profiles,
    load_profile,
    parse_duration,
    parse_profile,
)

SHIPPED = {"smoke", "demo", "steady", "step", "spike", "ramp-down", "soak", "open-steady"}

GOOD = {
    "name": "t",
    "model": "closed",
    "mix": {"native_chat": 1, "agent_run": 2},
    "stages": [
        {"name": "low", "kind": "steady", "duration": "30s", "users": 2, "spawn_rate": 1},
        {"name": "high", "kind": "step", "duration": "1m", "users": 10},
    ],
    "bodies": {"agent_pool": 8},
    "slos": {"ttft_p99": "2s"},
    "validity": {"max_cpu_percent": 80},
    "timeouts": {"stream": "30s"},
}


def write(tmp_path: Path, data: object, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def with_(base: dict, path: str, value: object) -> dict:
    """A deep copy of ``base`` with the dotted/indexed ``path`` set to ``value``."""
    data = json.loads(json.dumps(base))
    target = data
    keys = [int(k) if k.isdigit() else k for k in path.replace("[", ".").replace("]", "").split(".")]
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return data


def test_every_shipped_profile_parses_and_round_trips():
    assert set(available_profiles()) >= SHIPPED
    for name in available_profiles():
        profile = load_profile(name)
        assert profile.source == f"profiles/{name}.yaml"
        data = profile.to_dict()
        json.dumps(data)  # JSON-able
        again = parse_profile(data, source=profile.source)
        assert again == profile, name


def test_shipped_profiles_have_their_documented_shape():
    assert 15 <= load_profile("smoke").duration <= 30
    demo = load_profile("demo")
    assert 100 <= demo.duration <= 150
    assert [s.kind for s in demo.stages] == ["steady", "step", "steady", "ramp-down"]
    step = load_profile("step")
    users = [s.users for s in step.stages]
    assert users[0] < users[1] and users[2] < users[1]
    assert load_profile("open-steady").model == "open"
    assert all(s.rate and s.max_concurrency for s in load_profile("open-steady").stages)


def test_defaults_are_filled_in():
    profile = parse_profile(GOOD, source="x.yaml")
    assert profile.slos.overall.error_rate == 0.01
    assert profile.slos.overall.e2e_p99 == 10.0
    assert profile.validity.max_cpu_percent == 80.0 and profile.validity.max_dropped_fraction == 0.01
    assert profile.timeouts.connect == 5.0 and profile.timeouts.stream == 30.0
    assert profile.stages[0].duration == 30.0 and profile.stages[1].duration == 60.0
    assert profile.duration == 90.0


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("stages[1].users", -3, "bad.yaml: stages[1].users: must be a positive integer, got -3"),
        ("stages[0].users", "ten", "bad.yaml: stages[0].users: must be a positive integer, got 'ten'"),
        ("stages[0].users", True, "stages[0].users: must be a positive integer, got True"),
        ("stages[0].duration", "5 minutes", "bad.yaml: stages[0].duration: must be a positive duration"),
        ("stages[0].duration", 0, "stages[0].duration: must be a positive duration"),
        ("stages[0].kind", "burst", "stages[0].kind: must be one of ['steady', 'step', 'spike'"),
        ("stages[0].spawn_rate", -1, "stages[0].spawn_rate: must be a positive number, got -1"),
        ("stages[1].rate", 5, "stages[1].rate: is not a field of a stage when model is 'closed', got 5"),
        ("stages[0].colour", "red", "stages[0].colour: unknown key; allowed keys are"),
        ("mix.native_chat", 0, "mix.native_chat: must be a positive number (omit it to disable it), got 0"),
        ("mix.grpc_chat", 1, "mix.grpc_chat: unknown key; allowed keys are ['native_chat', 'agent_run'"),
        ("model", "half-open", "bad.yaml: model: must be one of ['closed', 'open'], got 'half-open'"),
        ("slos.ttft_p99", "fast", "slos.ttft_p99: must be a positive duration"),
        ("slos.error_rate", 1.5, "slos.error_rate: must be a non-negative number no greater than 1"),
        ("slos.per_endpoint", {"agent_run": {"e2e_p50": 1}}, "slos.per_endpoint.agent_run.e2e_p50: unknown key"),
        ("slos.per_endpoint", {"mcp": {"e2e_p99": 1}}, "slos.per_endpoint.mcp: unknown key"),
        ("validity.max_cpu_percent", 0, "validity.max_cpu_percent: must be a positive number, got 0"),
        ("validity.max_dropped_fraction", -0.1, "validity.max_dropped_fraction: must be a non-negative"),
        ("timeouts.stream", "-5s", "timeouts.stream: must be a positive duration"),
        ("timeouts.read", 5, "timeouts.read: unknown key; allowed keys are ['connect', 'stream', 'drain']"),
        ("bodies.prompt_chars", {"dist": "zipf"}, "bad.yaml: bodies.prompt_chars.dist: expected one of"),
        ("bodies.agent_pool", 0, "bad.yaml: bodies.agent_pool: expected an integer >= 1, got 0"),
        ("bodies.temperature", 0.5, "bad.yaml: bodies.temperature: unknown key"),
        ("priority", 3, "bad.yaml: priority: unknown key; allowed keys are ['name'"),
        ("seed", "x", "bad.yaml: seed: must be an integer, got 'x'"),
    ],
)
def test_bad_closed_profiles_name_file_and_field(tmp_path, path, value, expected):
    bad = write(tmp_path, with_(GOOD, path, value))
    with pytest.raises(ProfileError) as info:
        load_profile(bad)
    assert expected in str(info.value)
    assert str(info.value).startswith(str(bad.resolve()))


OPEN = {
    "name": "o",
    "model": "open",
    "mix": {"openai_chat": 1},
    "stages": [{"name": "s", "duration": 10, "rate": 4, "arrivals": "poisson", "max_concurrency": 10}],
}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("stages[0].rate", -2, "stages[0].rate: must be a positive number, got -2"),
        ("stages[0].rate", 0, "stages[0].rate: must be a positive number, got 0"),
        ("stages[0].arrivals", "bursty", "stages[0].arrivals: must be one of ['poisson', 'constant']"),
        ("stages[0].max_concurrency", 0, "stages[0].max_concurrency: must be a positive integer, got 0"),
        ("stages[0].users", 5, "stages[0].users: is not a field of a stage when model is 'open', got 5"),
    ],
)
def test_bad_open_profiles_name_file_and_field(tmp_path, path, value, expected):
    with pytest.raises(ProfileError, match=r"bad\.yaml") as info:
        load_profile(write(tmp_path, with_(OPEN, path, value)))
    assert expected in str(info.value)


def test_structural_errors(tmp_path):
    cases = [
        ("stages: []\nmix: {native_chat: 1}\n", "stages: must be a non-empty list of stages, got []"),
        ("mix: {native_chat: 1}\nstages: [{name: a, duration: 5}]\n", "stages[0].users: is required"),
        ("mix: {native_chat: 1}\nstages: [{duration: 5, users: 1}]\n", "stages[0].name: is required"),
        ("mix: {}\nstages: [{name: a, duration: 5, users: 1}]\n", "mix: must give a positive weight"),
        ("stages: [{name: a, duration: 5, users: 1}]\n", "mix: must give a positive weight"),
        ("- just\n- a list\n", "(top level): must be a mapping"),
        ("mix: {native_chat: 1}\nstages: [{name: a, duration: 5, users: 1}, {name: a, duration: 5, users: 2}]\n",
         "stages[1].name: must be unique among stages, got 'a'"),
        ("mix: [native_chat\n", "not valid YAML"),
    ]
    for text, expected in cases:
        with pytest.raises(ProfileError) as info:
            load_profile(write(tmp_path, text))
        assert expected in str(info.value), (text, str(info.value))


def test_ramp_down_may_reach_zero_but_steady_may_not(tmp_path):
    ok = with_(GOOD, "stages[1]", {"name": "down", "kind": "ramp-down", "duration": 5, "users": 0})
    assert load_profile(write(tmp_path, ok)).stages[1].users == 0
    bad = with_(GOOD, "stages[1]", {"name": "flat", "kind": "steady", "duration": 5, "users": 0})
    with pytest.raises(ProfileError, match=r"stages\[1\]\.users: must be a positive integer, got 0"):
        load_profile(write(tmp_path, bad))


def test_unknown_profile_name_lists_the_shipped_ones():
    with pytest.raises(ProfileError, match=r"no such profile; choose one of .*'smoke'"):
        load_profile("nope")
    with pytest.raises(ProfileError, match="profile file not found"):
        load_profile("missing/dir/p.yaml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(30, 30.0), (2.5, 2.5), ("45", 45.0), ("30s", 30.0), ("2m", 120.0), ("1h", 3600.0), ("1m30s", 90.0),
     ("500ms", 0.5), ("1h2m3s", 3723.0), ("1.5m", 90.0)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "-1", "5 s", "2x", 0, -3, None, True, "m"])
def test_bad_durations(text):
    with pytest.raises(ProfileError, match="must be a positive duration"):
        parse_duration(text)


def test_duration_override_applies_to_the_soak_stage_only():
    soak = load_profile("soak", duration="2h")
    assert [s.duration for s in soak.stages] == [60.0, 7200.0]
    assert load_profile("soak", duration=90).duration == 150.0
    with pytest.raises(ProfileError, match=r"profiles/demo\.yaml: --duration: applies only to a profile with"):
        load_profile("demo", duration="1h")
    with pytest.raises(ProfileError, match="--duration: must be a positive duration"):
        load_profile("soak", duration="forever")


def test_profiles_are_frozen():
    profile = load_profile("smoke")
    with pytest.raises(AttributeError):
        profile.name = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        profile.stages[0].users = 99  # type: ignore[misc]
