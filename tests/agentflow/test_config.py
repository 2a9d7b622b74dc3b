"""Configuration: errors exit non-zero with one clear stderr line; env mapping; the key is never printed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from localcluster.agentflow.config import ConfigError, parse_config
from localcluster.agentflow.dists import parse_dist

ROOT = str(Path(__file__).resolve().parents[2])
SECRET = "very-secret-key-123"


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AGENTFLOW_")}
    full = {**base, "PYTHONPATH": ROOT, "AGENTFLOW_API_KEY": SECRET, **(env or {})}
    return subprocess.run([sys.executable, "-m", "localcluster.agentflow", "--port", "0", "--metrics-port", "0",
                           *args], env=full, capture_output=True, text=True, timeout=20)


@pytest.mark.parametrize(("args", "env", "names"), [
    (["--ttft", "lognormal:median=0.2"], {}, "--ttft"),
    (["--itl", "gamma:k=1"], {}, "--itl"),
    (["--output-tokens", "uniform:min=5,max=1"], {}, "--output-tokens"),
    (["--capacity", "0"], {}, "--capacity"),
    (["--lifecycle", "nope"], {}, "--lifecycle"),
    (["--bogus-flag"], {}, "--bogus-flag"),
    (["--api-key-file", "/nonexistent/keys"], {}, "--api-key-file"),
    (["--lifecycle", "agentflow-1.11", "--warmup", "3"], {}, "--warmup"),
    ([], {"AGENTFLOW_CAPACITY": "lots"}, "AGENTFLOW_CAPACITY"),
    ([], {"AGENTFLOW_ERROR_RATE": "1.5"}, "AGENTFLOW_ERROR_RATE"),
])
def test_config_errors_are_one_line(args, env, names):
    result = _run(args, env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0] and lines[0].startswith("agentflow-reference: error:")
    assert SECRET not in result.stderr + result.stdout and result.stdout == ""


@pytest.mark.parametrize("flag", ["--port", "--metrics-port"])
def test_port_in_use_is_one_line(flag):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run([flag, str(port)])
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1
    assert f"{flag} {port}" in lines[0] and "in use" in lines[0].lower()


def test_stray_values_are_not_echoed():
    result = _run(["--api-kye", "typo-secret-value"])
    assert result.returncode == 2 and "--api-kye" in result.stderr and "typo-secret-value" not in result.stderr
    result = _run(["--api-k", "typo-secret-value"])  # no abbreviations either
    assert result.returncode == 2 and "typo-secret-value" not in result.stderr


def test_help_documents_env_mapping():
    result = _run(["--help"])
    assert result.returncode == 0
    for text in ("AGENTFLOW_PORT", "AGENTFLOW_API_KEY", "AGENTFLOW_LIFECYCLE", "POD_NAME", "--api-key-file"):
        assert text in result.stdout
    assert SECRET not in result.stdout


def test_parse_config_flags_env_and_defaults():
    cfg = parse_config(["--capacity", "7"], env={"AGENTFLOW_CAPACITY": "3", "AGENTFLOW_TTFT": "const:0.5",
                                                  "AGENTFLOW_API_KEY": "a, b,,a", "POD_NAME": "p-1",
                                                  "AGENTFLOW_LIFECYCLE": "graceful"})
    assert cfg.capacity == 7 and cfg.ttft.param("value") == 0.5 and cfg.api_keys == ("a", "b")
    assert cfg.pod_name == "p-1" and cfg.write_timeout == 0.0 and "a, b" not in repr(cfg)
    real = parse_config([], env={})
    assert real.lifecycle == "agentflow-1.11" and real.write_timeout == 30.0 and real.shutdown_timeout == 15.0
    with pytest.raises(ConfigError, match="--seed"):
        parse_config(["--seed", "x"], env={})


def test_distributions_sample_and_seed():
    import random

    for spec, lo, hi in [("const:0.02", 0.02, 0.02), ("uniform:min=1,max=2", 1, 2), ("exp:mean=0.1", 0, 10),
                         ("normal:mean=64,sd=16", 0, 200), ("lognormal:median=0.2,sigma=0.3", 0, 5), ("0.5", .5, .5)]:
        draw = parse_dist(spec).sampler(random.Random(1))
        values = [draw() for _ in range(500)]
        assert all(lo <= v <= hi for v in values), spec
    a = parse_dist("lognormal:median=0.2,sigma=0.3").sampler(random.Random(5))
    b = parse_dist("lognormal:median=0.2,sigma=0.3").sampler(random.Random(5))
    assert [a() for _ in range(10)] == [b() for _ in range(10)]
    draw = parse_dist("lognormal:median=0.2,sigma=0.3").sampler(random.Random(2))
    values = sorted(draw() for _ in range(2001))
    assert abs(values[1000] - 0.2) < 0.02
