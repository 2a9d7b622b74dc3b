"""Multi-turn chat sessions: each turn's request carries the conversation so far, as a chat client sends it.

A profile asks for them with ``bodies.chat_turns`` (a distribution spec, see :mod:`loadtests.bodies`): a user
draws how many turns its session has, sends turn 1 with one user message, turn k with the k-1 earlier user
messages and assistant replies plus the new user message, then starts a new session. The assistant replies
are not the model's text (the client keeps no content); each stands in with as many characters as the reply
had tokens times ``CHARS_PER_TOKEN``, so the prompt grows the way a real conversation's does.
"""

from __future__ import annotations

import random
from typing import Any

from loadtests.bodies import draw, prompt_text

CHARS_PER_TOKEN = 4
MAX_PROMPT_CHARS = 900_000  # AgentFlow's body limit is 1 MiB: a session that would pass it starts over


class ChatSession:
    """The conversation of one closed-loop user (not shared between users)."""

    def __init__(self, turns: dict[str, Any], rng: random.Random) -> None:
        self._spec = turns
        self._rng = rng
        self.messages: list[dict[str, str]] = []
        self.turn = 0
        self.length = 0
        self.sessions = 0

    def next_messages(self, content: str) -> list[dict[str, str]]:
        """The messages of the next turn: the conversation so far plus ``content`` as the new user message."""
        chars = sum(len(m["content"]) for m in self.messages) + len(content)
        if self.turn >= self.length or chars > MAX_PROMPT_CHARS:
            self.messages = []
            self.turn = 0
            self.length = draw(self._spec, self._rng)
            self.sessions += 1
        self.turn += 1
        self.messages.append({"role": "user", "content": content})
        return list(self.messages)

    def reply(self, tokens: int) -> None:
        """Add the assistant's reply of ``tokens`` tokens (0 when the stream failed: the turn is dropped)."""
        if tokens <= 0:
            if self.messages:
                self.messages.pop()
            self.turn = max(0, self.turn - 1)
            return
        self.messages.append({"role": "assistant",
                              "content": prompt_text(tokens * CHARS_PER_TOKEN, self._rng)})
