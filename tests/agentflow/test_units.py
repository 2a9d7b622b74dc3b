"""In-process unit tests of the pure parts: client IP trust, token buckets, the timer wheel, framing bytes."""

from __future__ import annotations

import asyncio
import json
import time

from localcluster.agentflow.framing import AgentFramer, NativeFramer, OpenAIFramer
from localcluster.agentflow.guard import RateLimiter, client_ip
from localcluster.agentflow.metrics import LatenessWindow, normalize_path
from localcluster.agentflow.wheel import Wheel


def test_client_ip_trusts_xff_only_from_private_peers():
    xff = {"x-forwarded-for": "203.0.113.7, 10.0.0.1"}
    assert client_ip("127.0.0.1", xff) == "203.0.113.7"
    assert client_ip("10.1.2.3", xff) == "203.0.113.7"
    assert client_ip("192.168.1.1", xff) == "203.0.113.7"
    assert client_ip("8.8.8.8", xff) == "8.8.8.8"  # public peer: header ignored
    assert client_ip("127.0.0.1", {}) == "127.0.0.1"


def test_token_bucket_refills_at_rate_up_to_burst():
    lim = RateLimiter(rate=10, burst=3)
    assert [lim.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert lim.allow("a", now=0.05) is False  # half a token
    assert lim.allow("a", now=0.1) is True
    assert [lim.allow("a", now=100.0) for _ in range(4)] == [True, True, True, False]  # capped at burst
    assert lim.allow("b", now=100.0) is True  # separate key
    assert lim.sweep(now=100.0 + 181) == 2 and not lim.buckets
    assert all(RateLimiter(rate=0, burst=1).allow("x") for _ in range(100))  # 0 disables


def test_wheel_runs_steps_in_deadline_order_never_early():
    async def run() -> list[tuple[str, float, float]]:
        wheel = Wheel(asyncio.get_running_loop())
        fired: list[tuple[str, float, float]] = []
        start = time.monotonic()
        for name, delay in [("c", 0.030), ("a", 0.005), ("b", 0.012), ("a2", 0.005)]:
            due = start + delay
            wheel.add(due, lambda n=name, d=due: fired.append((n, d, time.monotonic())))
        while len(fired) < 4:
            await asyncio.sleep(0.005)
        return fired

    fired = asyncio.run(run())
    assert [f[0] for f in fired] == ["a", "a2", "b", "c"]
    assert all(actual >= due for _, due, actual in fired)


def test_frames_are_valid_json_lines():
    tok = json.dumps(" hi").encode()
    native = NativeFramer("m", "req-1", 3)
    first = native.first(tok)[0].decode()
    assert first.startswith("data: ") and json.loads(first[6:])["delta"] == {"role": "assistant", "content": " hi"}
    last = json.loads(native.finish(5)[0].decode()[6:])
    assert last["finish_reason"] == "stop" and last["usage"]["total_tokens"] == 8
    openai = OpenAIFramer("m", "req-1", 3)
    chunk = json.loads(openai.token(tok).decode()[6:])
    assert chunk["choices"][0] == {"index": 0, "delta": {"content": " hi"}, "finish_reason": None}
    agent = AgentFramer("m", "req-1", 3, "ag")
    name, data = agent.token(tok).decode().strip().split("\n")
    assert name == "event: token" and json.loads(data[6:])["iteration_count"] == 1


def test_lateness_window_quantiles_bound_and_cheap_summary():
    window = LatenessWindow(slices=3)
    for v in [0.001] * 50 + [0.002] * 49 + [0.030]:
        window.add(v)
    s = window.summary()
    assert s["count"] == 100 and s["max"] == 0.030
    assert 0.001 <= s["p50"] <= 0.0011 and 0.002 <= s["p99"] <= 0.0021  # 0.1 ms bins, upper edges
    window.add(2.0)
    assert window.summary()["p99"] <= window.summary()["max"] == 2.0
    for _ in range(3):  # slices older than the window fall out
        window.rotate()
        window.add(0.004)
    s = window.summary()
    assert s["count"] == 3 and s["max"] == 0.004 and s["window_s"] == 3
    big = LatenessWindow()
    for i in range(70000):
        big.add((i % 5000) / 1e6)
    started = time.perf_counter()
    big.summary()
    assert time.perf_counter() - started < 0.02  # never stalls the event loop for long
    window.reset()
    assert window.summary()["count"] == 0


def test_path_labels():
    assert normalize_path("/api/v1/agents/0f3a9c12ab") == "/api/v1/agents/:id"
    assert normalize_path("/v1/chat/completions") == "/v1/chat/completions"


def test_wheel_step_failure_does_not_stall_the_slot():
    async def run() -> list[str]:
        loop = asyncio.get_running_loop()
        errors: list[dict] = []
        loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
        wheel = Wheel(loop)
        fired: list[str] = []
        due = time.monotonic() + 0.005

        def boom() -> None:
            raise RuntimeError("bug")

        wheel.add(due, boom)
        wheel.add(due, lambda: fired.append("after"))
        while not fired:
            await asyncio.sleep(0.002)
        assert len(errors) == 1 and isinstance(errors[0]["exception"], RuntimeError)
        return fired

    assert asyncio.run(run()) == ["after"]
