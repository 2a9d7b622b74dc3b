"""The agent loop of an agent run: 1..N iterations, each a model turn (TTFT, then tokens) and, except the last,
a tool call whose duration is heavy-tailed, then its tool_result; AgentFlow's agent timeout ends a run that is
still going with an ``event: error`` (code TIMEOUT) then ``data: [DONE]``.

What decides a run's shape (first match wins):

- the request's ``metadata.afsuite_run_seconds`` / ``metadata.afsuite_iterations`` (reference-only hints; real
  AgentFlow ignores free-form metadata): the run is planned to last about that long, the tool durations
  filling what the model turns leave (split by heavy-tailed weights);
- ``--agent-iterations DIST`` (server flag): iterations drawn per run, tool durations from ``--tool-duration``;
- neither: the single-turn run of earlier versions (one optional tool call, ``--tool-call-prob``), so profiles
  that never asked for agent loops keep their meaning.

Iterations are capped by ``--max-iterations`` (AgentFlow's ``max_iterations``, 15 in the production guide). The
plan is built one iteration at a time (a 150 s run never holds all its frames in memory); the last iteration's
tokens go through :class:`~.generation.Job`'s own token path, which honours capacity, CPU cost and write timeout.
A run holds a capacity slot (the model's concurrency) only during its model turns: it gives the slot back while a
tool runs and asks for one again (FIFO, like a new run) for its next turn, so under saturation later turns wait.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .framing import VOCAB_JSON
from .generation import Job

if TYPE_CHECKING:
    from .framing import AgentFramer
    from .generation import Simulator
    from .httpconn import HttpConnection, Request

__all__ = ["AgentJob", "RunPlan", "plan_run"]

TIMEOUT_CODE = "TIMEOUT"
MIN_TOOL_S = 0.05
_NV = len(VOCAB_JSON)
SECONDS_PER_ITERATION = 10.0  # iterations derived from a hinted run length when the hint names none
SINGLE_TURN_S = 3.0


@dataclass(frozen=True)
class RunPlan:
    """Per iteration: its model turn's TTFT and tokens; the tool durations of all but the last iteration."""

    ttfts: tuple[float, ...]
    tokens: tuple[int, ...]
    tools: tuple[float, ...]

    @property
    def iterations(self) -> int:
        return len(self.ttfts)


def _iterations_for(seconds: float, cap: int) -> int:
    """One model turn for a run under SINGLE_TURN_S, else one iteration per ~10 s and at least two (a model
    turn, a tool call, the final answer), capped."""
    if seconds < SINGLE_TURN_S:
        return 1
    return max(1, min(cap, max(2, round(seconds / SECONDS_PER_ITERATION))))


def plan_run(sim: Simulator, run_seconds: float | None, iterations: int | None) -> RunPlan | None:
    """The plan of one agent run, or None for the single-turn run (no hint and no --agent-iterations)."""
    cfg = sim.cfg
    cap = cfg.max_iterations
    if run_seconds is None and iterations is None:
        if sim.agent_iterations is None:
            return None
        k = max(1, min(cap, round(sim.agent_iterations())))
    else:
        k = min(cap, iterations) if iterations else _iterations_for(run_seconds or 0.0, cap)
    ttfts = tuple(sim.ttft() for _ in range(k))
    tokens = tuple(sim.output_tokens(None) for _ in range(k))
    if run_seconds is None:
        return RunPlan(ttfts, tokens, tuple(max(MIN_TOOL_S, sim.tool_duration()) for _ in range(k - 1)))
    itl = cfg.itl.median()
    left = run_seconds - sum(ttfts) - sum(n * itl for n in tokens)
    if k == 1:  # no tool to fill the time: the one model call streams a longer answer
        extra = math.ceil(max(0.0, left) / itl) if itl > 0 else 0
        return RunPlan(ttfts, (tokens[0] + extra,), ())
    weights = [sim.rng.lognormvariate(0.0, 1.0) for _ in range(k - 1)]
    total = sum(weights) or 1.0
    tools = tuple(max(MIN_TOOL_S, left * w / total) for w in weights)
    return RunPlan(ttfts, tokens, tools)


class AgentJob(Job):
    """An agent run following a :class:`RunPlan` (see the module docstring); the last turn is Job's own.

    ``on_timeout(message)`` answers a non-streaming run that hit the agent timeout (the caller's JSON error)."""

    framer: AgentFramer

    def __init__(self, sim: Simulator, conn: HttpConnection, req: Request, framer: AgentFramer, plan: RunPlan,
                 *, on_timeout: Callable[[str], None] | None = None, **kwargs: Any) -> None:
        super().__init__(sim, conn, req, framer, plan.tokens[-1], **kwargs)
        self.plan = plan
        self.tool = False  # the plan decides the tool calls
        self.turn = 0
        self.steps: list[tuple[float, bytes, str]] = []  # (due, frame, kind), next step last
        self.on_timeout = on_timeout
        self.timeout_at = req.start + sim.cfg.agent_timeout if sim.cfg.agent_timeout > 0 else 0.0
        if self.timeout_at:
            sim.wheel.add(self.timeout_at, self._on_timeout)

    def on_slot(self) -> None:
        self.has_slot = True
        self._next_turn(time.monotonic())

    def _next_turn(self, t: float) -> None:
        """Queue the steps of iteration ``turn`` from time ``t``; the last turn hands over to the token path."""
        plan, framer, i, sim = self.plan, self.framer, self.turn, self.sim
        self.turn += 1
        ttft = plan.ttfts[i]
        steps: list[tuple[float, bytes, str]] = []
        if self.stream:
            if i:
                text = f"iteration {i + 1} of at most {sim.cfg.max_iterations}"
                steps.append((t, framer.status_frame(text), "frame"))
            steps.append((t + ttft / 2, framer.reasoning(), "frame"))
        if i == plan.iterations - 1:
            self.deadline = t + ttft
        else:
            t += ttft
            if self.stream:
                for k in range(plan.tokens[i]):
                    steps.append((t, framer.token(VOCAB_JSON[(self.offset + k) % _NV]), "token"))
                    t += sim.itl()
                call_id = f"call_{self.offset}_{i + 1}"
                steps.append((t, framer.tool_call(call_id), "frame"))
                steps.append((t, b"", "release"))  # the model is idle while the tool runs
                t += plan.tools[i]
                steps.append((t, framer.tool_result(call_id, plan.tools[i]), "frame"))
            else:
                t += plan.tokens[i] * sim.cfg.itl.median() + plan.tools[i]
            steps.append((t, b"", "next"))
        steps.reverse()
        self.steps = steps
        self._arm(steps[-1][0] if steps else self.deadline)

    def _tick(self) -> None:
        if self.done:
            return
        if not self.steps:
            super()._tick()
            return
        due, frame, kind = self.steps.pop()
        if kind == "next":
            if self.has_slot:
                self._next_turn(due)
            elif not self.sim.capacity.request(self):  # the next model turn waits for a slot like a new run
                self._send(self.framer.error("MODEL_OVERLOADED", "model capacity exhausted, retry later"), due, True)
            return
        if kind == "release":
            self.has_slot = False
            self.sim.capacity.release()
            self._arm(self.steps[-1][0])
            return
        self._send([frame], due)
        if kind == "token":
            self._burn()
        if not self.done:
            self._arm(self.steps[-1][0] if self.steps else self.deadline)

    def _on_timeout(self) -> None:
        """AgentFlow's agent timeout: error event (TIMEOUT) then [DONE], as for any agent-run error."""
        if self.done:
            return
        message = f"agent execution timed out after {_duration(self.sim.cfg.agent_timeout)}"
        if self.stream:
            self._send(self.framer.error(TIMEOUT_CODE, message), self.timeout_at, True)
            return
        self._release()
        if self.on_timeout is not None:
            self.on_timeout(message)


def _duration(seconds: float) -> str:
    """Go's time.Duration text for whole seconds (180 -> 3m0s), as AgentFlow prints its timeout."""
    whole = math.floor(seconds)
    minutes, secs = divmod(whole, 60)
    frac = seconds - whole
    tail = f"{secs + frac:g}s" if frac else f"{secs}s"
    return f"{minutes}m{tail}" if minutes else tail
