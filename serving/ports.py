"""Server ports and addresses: a free port, whether host:port is taken, and the address a client connects to.

A port is "in use" when binding it fails with EADDRINUSE, tested as a server binds (SO_REUSEADDR, so a socket in
TIME_WAIT does not count). ``check_port`` turns a taken port into `PortInUseError` (exit 2, one line) before any
merge, model load or server start.
"""

from __future__ import annotations

import errno
import socket

from filingsum.core.errors import UsageError


class PortInUseError(UsageError):
    """Another process listens on the configured host:port."""


def connect_host(host: str) -> str:
    """The address a client on this machine connects to for a server bound to ``host`` (a wildcard or
    "localhost" becomes the loopback address of its family)."""
    return "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else ("::1" if host == "::" else host)


def url_host(host: str) -> str:
    """``host`` as written in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """Whether binding host:port fails because something holds it (a bind test, as the server's own)."""
    host = connect_host(host) if host in ("localhost",) else host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is not "in use"
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def check_port(host: str, port: int) -> None:
    """PortInUseError (exit 2, one line) when host:port is taken."""
    if port_in_use(host, port):
        raise PortInUseError(f"{host}:{port} is already in use (another server?); choose a free port with "
                             "--port or serve.port")
