"""One level of a capacity sweep: ``users`` closed-loop streams at once for ``seconds``, in its own process.

    python -m loadtests.sweep --url http://127.0.0.1:P --users 16 --seconds 30 --profile sweep --out level.jsonl

Every user streams one request after another (the profile's mix and bodies) until the level's window ends,
then finishes the stream it is on; the process exits once all have (bounded by the profile's stream timeout).
Each stream becomes one JSON line: endpoint, sent, first_token, end, outcome, pod, expected_s. The API key comes
from ``AGENTFLOW_API_KEY`` (never argv). gevent lives here only; the harness runs this module as a child.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

from loadtests.bodies import AgentPool, make_request
from loadtests.profiles import ProfileError, load_profile
from loadtests.streaming import StreamingClient

ERROR_PAUSE_S = 0.2
FIELDS = ("endpoint", "sent", "first_token", "end", "outcome", "error", "pod", "expected_s")


def run_level(url: str, api_key: str | None, users: int, seconds: float, profile_name: str) -> list[dict]:
    """Run the level; return one dict per stream (see FIELDS)."""
    import gevent

    profile = load_profile(profile_name)
    body, mix = profile.bodies, profile.mix
    endpoints, weights = list(mix), [mix[e] for e in mix]
    agents = AgentPool(max(body.agent_pool, users), body.agent_prefix)
    stop_at = time.time() + seconds
    rows: list[dict] = []

    def user(seed: int) -> None:
        rng = random.Random(seed)
        client = StreamingClient(url, api_key, connect_timeout=profile.timeouts.connect,
                                 stream_timeout=profile.timeouts.stream, worker="sweep")
        try:
            while time.time() < stop_at:
                req = make_request(rng.choices(endpoints, weights)[0], body, rng, agents)
                try:
                    rec = client.stream(req, scheduled=None, stage=f"c{users}", open_loop=False)
                finally:
                    if req.agent_id is not None:
                        agents.release(req.agent_id)
                rows.append({name: getattr(rec, name) for name in FIELDS})
                if rec.outcome != "ok":
                    gevent.sleep(ERROR_PAUSE_S)  # a failing pod is not hammered in a tight loop
        finally:
            client.close()

    greenlets = [gevent.spawn(user, i) for i in range(users)]
    gevent.joinall(greenlets, timeout=seconds + profile.timeouts.stream + 5.0)
    gevent.killall([g for g in greenlets if not g.dead], timeout=5.0)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--profile", default="sweep")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0:
        print("sweep: --users must be >= 1 and --seconds > 0", file=sys.stderr)
        return 5
    try:
        rows = run_level(args.url, os.environ.get("AGENTFLOW_API_KEY"), args.users, args.seconds, args.profile)
    except ProfileError as exc:
        print(f"sweep: {exc}", file=sys.stderr)
        return 5
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
