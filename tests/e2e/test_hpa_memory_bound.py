"""The max-of-metrics rule on real load (`make test-slow`, about 3 minutes): on the `memory-bound` variant every
agent id a pod serves keeps 1 MiB (x the cluster's CPU scale 10 in its metrics), so light agent traffic
makes memory, not CPU, ask for more replicas. The HPA scales up while its CPU is below target, and the replay,
taking the larger of the two recommendations as upstream does, finds the path conformant."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.checks.hpa_conformance import evaluate_conformance, replayed
from analysis.cluster import load_cluster
from analysis.hpa_replay.recommend import metric_recommendation
from harness.soak import observed_load
from harness.targets import local_target
from localcluster.handle import LocalCluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PROFILE = """
name: agents
description: light agent-run traffic over 64 agent ids (memory grows with every id a pod serves)
model: closed
mix: {agent_run: 1}
bodies: {agent_pool: 64, forwarded_for: 64}
stages:
  - {name: agents, kind: steady, duration: 100s, users: 6, spawn_rate: 6}
slos: {error_rate: 0.05}
timeouts: {connect: 5s, stream: 60s, drain: 10s}
"""


def test_memory_decides_and_the_replay_takes_the_max(tmp_path):
    profile = tmp_path / "agents.yaml"
    profile.write_text(PROFILE)
    with LocalCluster(tmp_path / "lc", variant="memory-bound", time_scale="fast", service_port=0, timeout=180,
                      cpu_scale=10) as lc:
        run_dir = tmp_path / "run"
        code = observed_load(local_target(lc.state_dir), str(profile), run_dir)
    assert code == 0, f"the load part ended with exit code {code}"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    cluster = load_cluster(run_dir, with_streams=False)
    [item] = replayed(manifest, cluster)
    inp = item.inputs
    cpu, memory = (next(m for m in inp.metrics if m.target.name == name) for name in ("cpu", "memory"))
    ups = np.flatnonzero(inp.new_status & (inp.desired > inp.current))
    assert len(ups), f"the HPA never scaled up: {inp.desired.max()}"
    by_cpu = metric_recommendation(cpu, 0, inp.current, 0.1, 0.1)
    by_memory = metric_recommendation(memory, 0, inp.current, 0.1, 0.1)
    decided = [i for i in ups if by_memory[i] > inp.current[i] >= by_cpu[i]]
    assert decided, [(inp.current[i], inp.desired[i], by_cpu[i], by_memory[i]) for i in ups]
    assert memory.utilization[decided[0]] > 80 * 1.1 and cpu.utilization[decided[0]] <= 70 * 1.1
    [check] = evaluate_conformance(manifest, cluster, manifest["started"])
    assert check.verdict == "pass", check.evidence.sentence
