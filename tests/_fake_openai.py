"""A real OpenAI-compatible HTTP server on 127.0.0.1 for the client, eval, teacher and fault tests: deterministic
answers (or the test's own, ``respond``), a set delay per request, and the requests it received (what a client
cancelled never arrives)."""

from __future__ import annotations

import inspect
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Respond = Callable[[dict], "tuple[int, dict | None, dict[str, str]] | str"]


def completion(body: dict, content: str, *, prompt_tokens: int = 5, completion_tokens: int = 20) -> dict:
    """A chat.completion answer with ``content``."""
    return {
        "id": "x", "object": "chat.completion", "created": 0, "model": body.get("model"),
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class FakeOpenAI:
    """``with FakeOpenAI(delay_s=0.5) as server:`` serves /v1/chat/completions, /v1/models and /health.

    ``respond(body)`` (or ``respond(body, headers)``) returns the answer's content (a str, 200) or (status, JSON
    body or None, headers); by default the answer quotes the filing's first words. ``bodies`` and ``headers`` hold
    every request's body and headers, in arrival order.
    """

    def __init__(self, delay_s: float = 0.0, model: str = "fake", respond: Respond | None = None):
        self.delay_s = delay_s
        self.model = model
        self.respond = respond
        self.requests = 0
        self.bodies: list[dict] = []
        self.headers: list[dict[str, str]] = []  # every POST's request headers, in arrival order
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, code: int, body: dict | None, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": outer.model, "object": "model"}]})
                else:
                    self._json(200, {"status": "ok"})

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
                        self._json(200, completion(body, answer))
                    else:
                        self._json(*answer)
                    return
                user = body["messages"][-1]["content"]
                filing = user.split("<filing>", 1)[-1]
                words = " ".join(filing.split()[:12])
                self._json(200, {
                    "id": "x", "object": "chat.completion", "created": 0, "model": body.get("model"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": f"The company: {words}."}}],
                    "usage": {"prompt_tokens": len(user.split()), "completion_tokens": 14, "total_tokens": 0},
                })

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
