"""A real OpenAI-compatible HTTP server on 127.0.0.1 for the client, eval, teacher and fault tests: deterministic
answers (or the test's own, ``respond``), a set delay per request, and the requests it received (what a client
cancelled never arrives)."""

from __future__ import annotations

import inspect
import json
import threading
import time
from collections.abc import Callable

from _local_http import LocalHTTPServer, QuietHandler

Respond = Callable[[dict], "tuple[int, dict | None, dict[str, str]] | str"]


def completion(body: dict, content: str, *, prompt_tokens: int = 5, completion_tokens: int = 20) -> dict:
    """A chat.completion answer with ``content``."""
    return {
        "id": "x", "object": "chat.completion", "created": 0, "model": body.get("model"),
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class FakeOpenAI(LocalHTTPServer):
    """``with FakeOpenAI(delay_s=0.5) as server:`` serves /v1/chat/completions, /v1/models and /health.

    ``respond(body)`` (or ``respond(body, headers)``) returns the answer's content (a str, 200) or (status, JSON
    body or None, headers); by default the answer quotes the filing's first words. ``bodies`` and ``headers`` hold
    every request's body and headers, in arrival order. ``host``: the address it listens on (`LocalHTTPServer`).
    """

    def __init__(self, delay_s: float = 0.0, model: str = "fake", respond: Respond | None = None,
                 host: str = "127.0.0.1"):
        self.delay_s = delay_s
        self.model = model
        self.respond = respond
        self.requests = 0
        self.bodies: list[dict] = []
        self.headers: list[dict[str, str]] = []  # every POST's request headers, in arrival order
        self._lock = threading.Lock()
        outer = self

        class Handler(QuietHandler):
            def do_GET(self):  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self.reply(200, {"object": "list", "data": [{"id": outer.model, "object": "model"}]})
                else:
                    self.reply(200, {"status": "ok"})

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with outer._lock:
                    outer.requests += 1
                    outer.bodies.append(body)
                    outer.headers.append(dict(self.headers.items()))
                time.sleep(outer.delay_s)
                if outer.respond is not None:
                    # a respond(body, headers) sees the request's headers too (a gateway that quotes them)
                    takes_headers = len(inspect.signature(outer.respond).parameters) > 1
                    answer = outer.respond(body, dict(self.headers.items())) if takes_headers else outer.respond(body)
                    if isinstance(answer, str):
                        self.reply(200, completion(body, answer))
                    else:
                        self.reply(*answer)
                    return
                user = body["messages"][-1]["content"]
                filing = user.split("<filing>", 1)[-1]
                words = " ".join(filing.split()[:12])
                self.reply(200, {
                    "id": "x", "object": "chat.completion", "created": 0, "model": body.get("model"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": f"The company: {words}."}}],
                    "usage": {"prompt_tokens": len(user.split()), "completion_tokens": 14, "total_tokens": 0},
                })

        super().__init__(Handler, host)
