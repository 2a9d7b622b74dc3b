"""Request bodies, distribution specs and the agent id pool (loadtests.bodies)."""

from __future__ import annotations

import json
import random
import statistics

import pytest

from loadtests.bodies import PATHS, AgentPool, BodyConfig, ConfigError, draw, make_request, prompt_text


def test_native_chat_body_has_no_stream_field() -> None:
    req = make_request("native_chat", BodyConfig(model="m1"), random.Random(1), AgentPool(2))
    body = json.loads(req.body)
    assert req.path == "/api/v1/chat/completions/stream" and set(body) == {"model", "messages", "max_tokens"}
    assert body["model"] == "m1" and body["messages"][0]["role"] == "user"
    assert len(body["messages"][0]["content"]) == req.prompt_chars and req.agent_id is None


def test_openai_body_streams_and_agent_body_names_its_agent() -> None:
    agents = AgentPool(3)
    openai = json.loads(make_request("openai_chat", BodyConfig(), random.Random(1), agents).body)
    assert openai["stream"] is True and PATHS["openai_chat"] == "/v1/chat/completions"
    req = make_request("agent_run", BodyConfig(), random.Random(1), agents)
    body = json.loads(req.body)
    assert set(body) == {"agent_id", "content"} and body["agent_id"] == req.agent_id and req.max_tokens is None
    assert agents.busy == 1


def test_prompts_are_words_of_the_exact_length() -> None:
    rng = random.Random(5)
    for chars in (1, 2, 17, 400, 3000):
        text = prompt_text(chars, rng)
        assert len(text) == chars
    long = prompt_text(3000, rng)
    assert len(set(long.split())) > 20 and long.count(" ") > 300  # words, not one repeated character


def test_distributions_stay_in_range_and_centre_where_asked() -> None:
    rng = random.Random(2)
    logn = {"dist": "lognormal", "median": 400, "sigma": 0.8, "min": 1, "max": 8000}
    values = [draw(logn, rng) for _ in range(4000)]
    assert min(values) >= 1 and max(values) <= 8000 and 340 < statistics.median(values) < 460
    uni = [draw({"dist": "uniform", "low": 32, "high": 128}, rng) for _ in range(2000)]
    assert min(uni) >= 32 and max(uni) <= 128 and 70 < statistics.mean(uni) < 90
    assert draw({"dist": "const", "value": 64}, rng) == 64


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"prompt_chars": {"dist": "normal", "mean": 3}}, "prompt_chars.dist"),
    ({"prompt_chars": {"dist": "uniform", "low": 9, "high": 3}}, "prompt_chars"),
    ({"max_tokens": {"dist": "const"}}, "max_tokens.value"),
    ({"max_tokens": {"dist": "const", "value": 3, "extra": 1}}, "max_tokens"),
    ({"max_tokens": {"dist": "lognormal", "median": -1, "sigma": 1}}, "max_tokens"),
    ({"max_tokens": 64}, "max_tokens"),
    ({"agent_pool": 0}, "agent_pool"),
    ({"forwarded_for": -1}, "forwarded_for"),
    ({"model": ""}, "model"),
])
def test_bad_config_names_the_field(kwargs, field) -> None:
    with pytest.raises(ConfigError) as err:
        BodyConfig(**kwargs)
    assert str(err.value).startswith(field)


def test_forwarded_for_spreads_clients() -> None:
    rng = random.Random(3)
    cfg = BodyConfig(forwarded_for=50)
    seen = {make_request("native_chat", cfg, rng, AgentPool(1)).headers["X-Forwarded-For"] for _ in range(500)}
    assert 35 <= len(seen) <= 50
    assert "X-Forwarded-For" not in make_request("native_chat", BodyConfig(), rng, AgentPool(1)).headers


def test_agent_pool_never_hands_out_a_busy_id() -> None:
    pool = AgentPool(3, prefix="ag")
    rng = random.Random(4)
    held = [pool.acquire(rng) for _ in range(5)]
    assert len(set(held)) == 5 and pool.overflow == 2 and pool.busy == 5
    pool.release(held[0])
    again = pool.acquire(rng)
    assert again == held[0]  # the only free id
    with pytest.raises(KeyError):
        pool.release("never-acquired")
    for agent in [*held[1:], again]:
        pool.release(agent)
    assert pool.busy == 0
    assert {pool.acquire() for _ in range(5)} == set(held)  # the pool grew by the overflow ids; no new ones
