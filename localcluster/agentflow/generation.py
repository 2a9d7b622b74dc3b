"""The simulated LLM: a per-process capacity (slots held for a whole generation, FIFO queue beyond it) and
one callback-driven :class:`Job` per request that sends its events on absolute deadlines.

A job's timeline starts when it gets a slot (t0): first token at t0 + TTFT (agent runs with a tool call:
tool_call at t0 + TTFT1, tool_result after the tool's duration, then a second model round of TTFT2), then
token k at the previous deadline + one ITL draw. Deadlines never accumulate send delays; lateness = actual
write time - deadline is recorded for every stream event. No asyncio task per stream: each step is a
callback on the shared millisecond :class:`~.wheel.Wheel`, which keeps the CPU cost per event low.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from .framing import VOCAB, VOCAB_JSON, Framer
from .wheel import Wheel

if TYPE_CHECKING:
    from .config import Config
    from .httpconn import HttpConnection, Request
    from .metrics import LatenessWindow

__all__ = ["SSE_HEADERS", "Capacity", "Job", "Simulator"]

SSE_HEADERS = b"Cache-Control: no-cache\r\nContent-Type: text/event-stream\r\nX-Accel-Buffering: no\r\n"
_NV = len(VOCAB_JSON)


class Capacity:
    """``slots`` concurrent generations; further jobs wait FIFO (``queue_limit`` 0 = unbounded)."""

    def __init__(self, slots: int, queue_limit: int) -> None:
        self.slots = slots
        self.queue_limit = queue_limit
        self.in_use = 0
        self.queued = 0
        self.queue: deque[Job] = deque()

    def request(self, job: Job) -> bool:
        """Start ``job`` now or queue it; False when the queue is full (caller answers 503)."""
        if self.in_use < self.slots:
            self.in_use += 1
            job.on_slot()
            return True
        if self.queue_limit and self.queued >= self.queue_limit:
            return False
        job.queued = True
        self.queued += 1
        self.queue.append(job)
        return True

    def release(self) -> None:
        while self.queue:
            job = self.queue.popleft()
            if job.queued:
                job.queued = False
                self.queued -= 1
                job.on_slot()
                return
        self.in_use -= 1

    def withdraw(self, job: Job) -> None:
        """A queued job went away (client disconnect); it is skipped when its turn comes."""
        if job.queued:
            job.queued = False
            self.queued -= 1


class Simulator:
    """Shared state of the simulated model: samplers, capacity, counters."""

    def __init__(self, cfg: Config, lateness: LatenessWindow) -> None:
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.ttft = cfg.ttft.sampler(self.rng)
        self.itl = cfg.itl.sampler(self.rng)
        self._tokens = cfg.output_tokens.sampler(self.rng)
        self.agent_iterations = cfg.agent_iterations.sampler(self.rng) if cfg.agent_iterations else None
        self.tool_duration = cfg.tool_duration.sampler(self.rng)
        self.capacity = Capacity(cfg.capacity, cfg.queue_limit)
        self.lateness = lateness
        self.cpu_s = cfg.cpu_per_token_ms / 1000.0
        self.stamps = cfg.debug_stamps
        self.wheel = Wheel(asyncio.get_running_loop())
        self.streams = 0  # in-flight stream jobs (queued or generating)
        self.events = 0

    def output_tokens(self, max_tokens: int | None, hint: int | None = None) -> int:
        n = hint if hint else max(1, round(self._tokens()))
        return min(n, max_tokens) if max_tokens else n

    def chance(self, p: float) -> bool:
        return p > 0 and self.rng.random() < p


class Job:
    """One generation; streams SSE through ``framer`` or, with ``stream=False``, collects the text and
    calls ``on_complete(text, n)`` at the end. ``on_release`` runs once when the job ends in any way."""

    def __init__(self, sim: Simulator, conn: HttpConnection, req: Request, framer: Framer, n_tokens: int,
                 *, stream: bool = True, on_complete: Callable[[str, int], None] | None = None,
                 on_release: Callable[[], None] | None = None) -> None:
        self.sim, self.conn, self.req, self.framer = sim, conn, req, framer
        self.n = n_tokens
        self.stream = stream
        self.on_complete = on_complete
        self.on_release = on_release
        wt = sim.cfg.write_timeout
        self.write_deadline = req.start + wt if wt > 0 else 0.0
        self.error_at = -1
        if stream and sim.chance(sim.cfg.stream_error_rate):
            self.error_at = sim.rng.randint(1, max(1, n_tokens - 1))
        self.tool = getattr(framer, "tool_call", None) is not None and sim.chance(sim.cfg.tool_call_prob)
        self.offset = sim.rng.randrange(_NV)
        self.sent = 0
        self.pre: list[tuple[float, bytes]] = []
        self.deadline = 0.0
        self.headers_sent = False
        self.queued = False
        self.has_slot = False
        self.done = False
        self.text: list[str] = []
        if stream:
            sim.streams += 1
        conn.job = self

    # -- lifecycle ------------------------------------------------------------------------------------
    def begin(self) -> bool:
        """Get a slot or a queue place (False if the queue is full: nothing was sent), then send the eager
        events (agent session/status). Timers armed by an immediate slot fire only after this returns."""
        if not self.sim.capacity.request(self):
            self._release()
            return False
        if self.framer.eager and self.stream:
            self._send(self.framer.open(), time.monotonic())
        return True

    def on_slot(self) -> None:
        self.has_slot = True
        t = time.monotonic()
        ttft = self.sim.ttft()
        framer = self.framer
        if self.tool and self.stream:
            call_id = "call_" + str(self.offset)
            tool_s = self.sim.rng.uniform(0.05, 0.3)
            self.pre.append((t + ttft, framer.tool_call(call_id)))  # type: ignore[attr-defined]
            t += ttft + tool_s
            self.pre.append((t, framer.tool_result(call_id, tool_s)))  # type: ignore[attr-defined]
            ttft = self.sim.ttft()
        reasoning = getattr(framer, "reasoning", None)
        if reasoning is not None and self.stream:
            self.pre.append((t + ttft / 2, reasoning()))
        self.deadline = t + ttft
        self.pre.reverse()
        self._arm(self.pre[-1][0] if self.pre else self.deadline)

    def _arm(self, when: float) -> None:
        self.sim.wheel.add(when, self._tick)

    def _tick(self) -> None:
        if self.done:
            return
        if self.pre:
            due, frame = self.pre.pop()
            self._send([frame], due)
            if not self.done:
                self._arm(self.pre[-1][0] if self.pre else self.deadline)
            return
        i = self.sent
        if i == self.error_at:
            self._send(self.framer.error("UPSTREAM_ERROR", "upstream stream interrupted"), self.deadline, True)
            return
        tok = VOCAB_JSON[(self.offset + i) % _NV]
        framer = self.framer
        self.sent = i + 1
        if not self.stream:
            self.text.append(VOCAB[(self.offset + i) % _NV])
            self._send([], self.deadline, self.sent >= self.n)
        elif self.sent >= self.n:
            frames = framer.first(tok) if i == 0 else [framer.pre + tok + framer.post]
            self._send(frames + framer.finish(self.n), self.deadline, True)
        elif i == 0 or not self.headers_sent:
            self._send(framer.first(tok), self.deadline)
        else:  # hot path: one token event, headers already sent
            sim = self.sim
            now = time.monotonic()
            if self.write_deadline and now > self.write_deadline:
                self._write_timeout()
                return
            data = framer.pre + tok + framer.post
            if sim.stamps:
                data = b": ts=%.6f\n%s" % (time.time(), data)
            self.conn.write_chunk(data)
            sim.lateness.add(now - self.deadline)
            sim.events += 1
        if not self.done:
            self.deadline += self.sim.itl()
            self._arm(self.deadline)
        self._burn()

    def _burn(self) -> None:
        """--cpu-per-token-ms of real CPU, counted in thread CPU time so contention cannot shorten it."""
        if self.sim.cpu_s:
            end = time.thread_time() + self.sim.cpu_s
            while time.thread_time() < end:
                pass

    # -- writing --------------------------------------------------------------------------------------
    def _send(self, frames: list[bytes], deadline: float, last: bool = False) -> None:
        now = time.monotonic()
        if self.write_deadline and now > self.write_deadline:
            self._write_timeout()
            return
        if not self.stream:
            if last:
                self._complete()
            return
        conn = self.conn
        if self.sim.stamps:
            now = time.monotonic()
            data = b"".join(b": ts=%.6f\n%s" % (time.time(), f) for f in frames)
        else:
            data = b"".join(frames)
        if not self.headers_sent:
            self.headers_sent = True
            if last:
                conn.start_chunked(200, SSE_HEADERS)
            else:
                conn.start_chunked(200, SSE_HEADERS, data)
                data = b""
        if last:
            self._release()
            conn.end_chunked(data)
        elif data:
            conn.write_chunk(data)
        self.sim.lateness.add(now - deadline)
        self.sim.events += len(frames)

    def _complete(self) -> None:
        self._release()
        if self.on_complete is not None:
            self.on_complete("".join(self.text), self.sent)

    def _write_timeout(self) -> None:
        """Go's WriteTimeout: the write fails, the request context is cancelled, the connection closes."""
        self._release()
        self.conn.cut()

    def on_disconnect(self) -> None:
        if not self.done:
            self._release()
            self.conn.finish()

    def _release(self) -> None:
        if self.done:
            return
        self.done = True
        self.conn.job = None
        if self.queued:
            self.sim.capacity.withdraw(self)
        elif self.has_slot:
            self.has_slot = False
            self.sim.capacity.release()
        if self.stream:
            self.sim.streams -= 1
        if self.on_release is not None:
            self.on_release()
