"""A real OpenAI-compatible HTTP server on 127.0.0.1 for fault tests: deterministic answers, a set delay per
request, and a count of the requests it received (what a client cancelled never arrives)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    """``with FakeOpenAI(delay_s=0.5) as server:`` serves /v1/chat/completions, /v1/models and /health."""

    def __init__(self, delay_s: float = 0.0, model: str = "fake"):
        self.delay_s = delay_s
        self.model = model
        self.requests = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
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
                time.sleep(outer.delay_s)
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

    def __enter__(self) -> "FakeOpenAI":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
