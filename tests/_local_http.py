"""The part every stand-in HTTP server of the tests shares: a real ``ThreadingHTTPServer`` on 127.0.0.1 at a free
port, served from a daemon thread for the length of a ``with`` block, and a quiet request handler with helpers
to read a JSON request body and to send a reply. What each stand-in answers stays in its own test file."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing; ``read_json`` and ``reply`` for its ``do_GET``/``do_POST``."""

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def read_json(self) -> dict:
        """The request's JSON body ({} when it has none)."""
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

    def reply(self, status: int, body: object, headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        """Send ``body``: bytes as they are, None as an empty body, anything else as JSON; ``headers`` go before
        Content-Type and Content-Length."""
        data = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class LocalHTTPServer:
    """``with LocalHTTPServer(Handler) as server:`` serves ``Handler`` on 127.0.0.1 at a free port (``port``,
    ``base_url`` is its /v1) from a daemon thread; leaving the block shuts the server down and closes its socket.
    ``host``: another address of this machine (an IPv4 one), for what a client does with a server that is not on
    the loopback address."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1"):
        self._server = ThreadingHTTPServer((host, 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
