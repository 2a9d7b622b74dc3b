"""The agent loop of the reference server, against a real server process: iterations, tool pauses, the agent
timeout's error frame, max_iterations, and the framing AgentFlow uses for all of them."""

from __future__ import annotations

import time

import httpx
import pytest
from agentflow_helpers import AUTH, FAST, stream

from localcluster.agentflow.config import ConfigError, parse_config

AGENT = "/api/v1/agents/execute/stream"
LOOP = [*FAST, "--tool-duration", "const:0.05"]


def _run(url: str, agent_id: str, timeout: float = 20.0, **meta: object):
    body: dict[str, object] = {"agent_id": agent_id, "content": "plan a trip"}
    if meta:
        body["metadata"] = {f"afsuite_{k}": v for k, v in meta.items()}
    return stream(url, AGENT, body, timeout=timeout)


def _iterations(sse) -> list[int]:
    return [p["iteration_count"] for p in sse.json("token")]


def test_hinted_iterations_follow_agentflow_framing(make_server):
    srv = make_server(args=LOOP)
    resp, sse, raw = _run(srv.url, "loop-1", iterations=3)
    assert resp.status_code == 200 and raw.endswith("data: [DONE]\n\n")
    names = [n for n in sse.names() if n != "token"]
    assert names == ["session", "status", "reasoning", "tool_call", "tool_result",
                     "status", "reasoning", "tool_call", "tool_result",
                     "status", "reasoning", None]
    assert sorted(set(_iterations(sse))) == [1, 2, 3] and _iterations(sse) == sorted(_iterations(sse))
    assert len(sse.json("token")) == 3 * 8  # every model turn streams its tokens
    calls, results = sse.json("tool_call"), sse.json("tool_result")
    assert [r["tool_call_id"] for r in results] == [c["id"] for c in calls]
    assert len({c["id"] for c in calls}) == 2
    for payload in sse.json("status") + sse.json("reasoning") + calls + results:
        assert {"current_stage", "iteration_count", "execution_id"} <= payload.keys()
    assert sse.json("status")[1]["message"] == "iteration 2 of at most 15"


def test_iterations_capped_by_max_iterations(make_server):
    srv = make_server(args=[*LOOP, "--max-iterations", "4"])
    _, sse, raw = _run(srv.url, "loop-cap", iterations=40)
    assert raw.endswith("data: [DONE]\n\n")
    assert len(sse.json("tool_call")) == 3 and max(_iterations(sse)) == 4


def test_run_length_hint_sets_the_tool_pauses(make_server):
    srv = make_server(args=FAST)
    started = time.monotonic()
    _, sse, raw = _run(srv.url, "loop-long", run_seconds=2.5, iterations=3)
    took = time.monotonic() - started
    assert raw.endswith("data: [DONE]\n\n") and "event: error" not in raw
    tools = [float(r["duration"].removesuffix("ms")) / 1000 for r in sse.json("tool_result")]
    assert len(tools) == 2 and all(t >= 0.05 for t in tools)
    # model turns: 3 x (TTFT 0.02 + 8 x 0.005) = 0.18 s; the tools fill the rest of the 2.5 s
    assert sum(tools) == pytest.approx(2.5 - 0.18, abs=0.02)
    assert 2.4 <= took < 4.5


def test_short_run_hint_without_iterations_is_one_long_model_turn(make_server):
    srv = make_server(args=FAST)
    started = time.monotonic()
    _, sse, raw = _run(srv.url, "loop-one", run_seconds=1.2)  # ~10 s per iteration: one iteration
    took = time.monotonic() - started
    assert raw.endswith("data: [DONE]\n\n") and "tool_call" not in sse.names()
    assert 1.15 <= took < 3.5


def test_server_side_iteration_distribution(make_server):
    srv = make_server(args=[*FAST, "--agent-iterations", "const:2", "--tool-duration", "const:0.3"])
    started = time.monotonic()
    _, sse, raw = _run(srv.url, "loop-dist")
    took = time.monotonic() - started
    assert raw.endswith("data: [DONE]\n\n")
    assert len(sse.json("tool_call")) == 1 and sse.json("tool_result")[0]["duration"] == "300ms"
    assert took >= 0.3


def test_without_hints_a_run_is_one_model_turn(server):
    _, sse, _ = _run(server.url, "loop-legacy")
    assert _iterations(sse) and set(_iterations(sse)) == {1} and "status" in sse.names()
    assert sse.names().count("status") == 1


def test_agent_timeout_ends_with_error_frame_then_done(make_server):
    srv = make_server(args=[*FAST, "--agent-timeout", "0.6"])
    started = time.monotonic()
    resp, sse, raw = _run(srv.url, "loop-timeout", run_seconds=30, iterations=3)
    took = time.monotonic() - started
    assert resp.status_code == 200
    assert sse.names()[-2:] == ["error", None] and raw.endswith("event: error\ndata: " + sse.datas("error")[0]
                                                                 + "\n\ndata: [DONE]\n\n")
    err = sse.json("error")[0]
    assert err["error"]["code"] == "TIMEOUT" and "timed out after 0.6s" in err["error"]["message"]
    assert err["request_id"] == resp.headers["x-request-id"]
    assert 0.55 <= took < 5.0
    # the agent is free again after the timeout (one run per agent id at a time)
    _, sse2, raw2 = _run(srv.url, "loop-timeout", iterations=1)
    assert raw2.endswith("data: [DONE]\n\n") and "error" not in sse2.names()


def test_agent_timeout_on_the_json_route(make_server):
    srv = make_server(args=[*FAST, "--agent-timeout", "0.3"])
    body = {"agent_id": "loop-json", "content": "hi", "metadata": {"afsuite_run_seconds": 20}}
    resp = httpx.post(srv.url + "/api/v1/agents/execute", json=body, headers=AUTH, timeout=10)
    assert resp.status_code == 504
    assert resp.json()["error"]["code"] == "TIMEOUT" and resp.json()["success"] is False


def test_bad_hints_are_ignored_like_free_form_metadata(server):
    _, sse, raw = _run(server.url, "loop-bad", run_seconds="long", iterations=-2)
    assert raw.endswith("data: [DONE]\n\n") and set(_iterations(sse)) == {1}


def test_loop_flags_are_validated():
    cfg = parse_config(["--agent-iterations", "lognormal:median=4,sigma=0.8", "--max-iterations", "15"], env={})
    assert cfg.agent_iterations is not None and cfg.agent_timeout == 180.0 and cfg.max_iterations == 15
    with pytest.raises(ConfigError, match="--agent-iterations"):
        parse_config(["--agent-iterations", "many"], env={})
    with pytest.raises(ConfigError, match="--max-iterations"):
        parse_config(["--max-iterations", "0"], env={})


def test_a_run_gives_its_slot_back_while_a_tool_runs(make_server):
    """--capacity 1: run B's model turn uses the slot during run A's 1 s tool call, so both end in about 1.1 s,
    not 2.2 s (one after the other)."""
    from concurrent.futures import ThreadPoolExecutor

    srv = make_server(args=[*FAST, "--capacity", "1", "--agent-iterations", "const:2", "--tool-duration",
                            "const:1.0"])
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda name: _run(srv.url, name), ["slot-a", "slot-b"]))
    took = time.monotonic() - started
    assert all(raw.endswith("data: [DONE]\n\n") and "error" not in sse.names() for _, sse, raw in runs)
    assert took < 1.9, f"the runs did not share the slot during the tool calls ({took:.2f} s)"
