"""Agent-shaped traffic: run-length distributions, the run-length hint sent to the server, multi-turn chat
sessions, and a long agent run streamed for real by StreamingClient against the reference server."""

from __future__ import annotations

import json
import math
import random
import statistics

import pytest

from loadtests.bodies import AgentPool, BodyConfig, ConfigError, draw_float, make_request
from loadtests.sessions import ChatSession
from loadtests.streaming import StreamingClient
from localcluster.agentflow.process import ReferenceServer
from rundir.layout import OK, STREAM_ERROR

KEY = "agentic-key"
FAST = ["--ttft", "const:0.01", "--itl", "const:0.002", "--output-tokens", "const:8"]


def test_lognormal_by_median_and_p99():
    cfg = BodyConfig(agent_run_seconds={"dist": "lognormal", "median": 20, "p99": 150})
    spec = cfg.agent_run_seconds
    assert spec is not None and "p99" not in spec and spec["sigma"] == pytest.approx(math.log(7.5) / 2.3263, 1e-3)
    rng = random.Random(3)
    runs = sorted(draw_float(spec, rng) for _ in range(20_000))
    assert statistics.median(runs) == pytest.approx(20, rel=0.05)
    assert runs[int(0.99 * len(runs))] == pytest.approx(150, rel=0.12)


@pytest.mark.parametrize("spec, field", [
    ({"dist": "lognormal", "median": 30, "p99": 10}, "agent_run_seconds"),
    ({"dist": "lognormal", "median": 20, "p99": 150, "mode": 1}, "agent_run_seconds"),
])
def test_bad_run_length_names_the_field(spec, field):
    with pytest.raises(ConfigError, match=field):
        BodyConfig(**{field: spec})


def test_agent_request_carries_the_run_length_hint():
    cfg = BodyConfig(agent_run_seconds={"dist": "const", "value": 42.5}, agent_iterations={"dist": "const", "value": 5})
    req = make_request("agent_run", cfg, random.Random(1), AgentPool(2))
    body = json.loads(req.body)
    assert body["metadata"] == {"afsuite_run_seconds": 42.5, "afsuite_iterations": 5}
    assert req.expected_s == 42.5
    plain = make_request("agent_run", BodyConfig(), random.Random(1), AgentPool(2))
    assert "metadata" not in json.loads(plain.body) and plain.expected_s is None


def test_chat_session_carries_the_conversation():
    cfg = BodyConfig(prompt_chars={"dist": "const", "value": 50}, chat_turns={"dist": "const", "value": 3})
    rng = random.Random(5)
    session = ChatSession(cfg.chat_turns or {}, rng)
    sizes, roles = [], []
    for _ in range(4):
        req = make_request("native_chat", cfg, rng, AgentPool(1), session)
        messages = json.loads(req.body)["messages"]
        roles.append([m["role"] for m in messages])
        sizes.append(req.prompt_chars)
        session.reply(10)
    assert roles == [["user"], ["user", "assistant", "user"], ["user", "assistant", "user", "assistant", "user"],
                     ["user"]]  # 3 turns, then a new session
    assert sizes[0] < sizes[1] < sizes[2] and sizes[3] == 50 and session.sessions == 2


def test_failed_turn_is_not_part_of_the_conversation():
    session = ChatSession({"dist": "const", "value": 5}, random.Random(1))
    session.next_messages("first?")
    session.reply(0)
    assert session.next_messages("again?") == [{"role": "user", "content": "again?"}]


def test_long_agent_run_streams_for_its_expected_length():
    cfg = BodyConfig(prompt_chars={"dist": "const", "value": 40},
                     agent_run_seconds={"dist": "const", "value": 2.0}, agent_iterations={"dist": "const", "value": 3})
    with ReferenceServer(api_key=KEY, pod_name="pod-agentic", args=FAST) as srv:
        client = StreamingClient(srv.url, KEY, worker="t", connect_timeout=2.0, stream_timeout=10.0)
        try:
            req = make_request("agent_run", cfg, random.Random(2), AgentPool(1))
            rec = client.stream(req, scheduled=None, stage="test", open_loop=False)
        finally:
            client.close()
    assert rec.outcome == OK and rec.expected_s == 2.0 and rec.pod == "pod-agentic"
    assert rec.end is not None and rec.sent is not None
    assert 1.9 <= rec.end - rec.sent < 4.0
    assert rec.gap_max is not None and rec.gap_max > 0.1  # the tool pauses show as gaps between content events


def test_agent_timeout_is_a_stream_error_for_the_client():
    cfg = BodyConfig(prompt_chars={"dist": "const", "value": 40},
                     agent_run_seconds={"dist": "const", "value": 30.0})
    with ReferenceServer(api_key=KEY, args=[*FAST, "--agent-timeout", "0.5"]) as srv:
        client = StreamingClient(srv.url, KEY, worker="t", connect_timeout=2.0, stream_timeout=10.0)
        try:
            rec = client.stream(make_request("agent_run", cfg, random.Random(2), AgentPool(1)), scheduled=None,
                                stage="test", open_loop=False)
        finally:
            client.close()
    assert rec.outcome == STREAM_ERROR and "TIMEOUT" in (rec.error or "")
