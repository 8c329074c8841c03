"""Server ports and addresses: a free port, whether host:port is taken, and the address a client connects to.

A port is "in use" when binding it fails with EADDRINUSE, tested as a server binds (SO_REUSEADDR, so a socket in
TIME_WAIT does not count). ``check_port`` turns a taken port into `PortInUseError` (exit 2, one line) before any
merge, model load or server start, and first ``check_host`` a host the server could not bind: not an IP address
or a resolvable name, a host:port, or an address of another machine (all exit 2, one line).
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket

from filingsum.core.errors import UsageError


class PortInUseError(UsageError):
    """Another process listens on the configured host:port."""


_HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def check_host(host: str) -> None:
    """UsageError (exit 2, one line) unless a server can bind ``host``: an IP address (an IPv6 one without
    brackets) or a name that resolves, either of this machine (0.0.0.0 and :: mean every interface)."""
    what = f"serve.host (--host) {host!r}"
    hint = "use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or an address of this machine"
    if not host.strip():
        raise UsageError(f"serve.host (--host) is empty; {hint}")
    if host.startswith("[") and host.endswith("]"):
        raise UsageError(f"{what}: write an IPv6 address without brackets (--host {host[1:-1]})")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        name, sep, port = host.rpartition(":")
        if sep and port.isdigit() and ":" not in name:
            raise UsageError(f"{what}: a host takes no port; give --host {name} --port {port}") from None
        if re.fullmatch(r"[0-9.]+", host) or not _HOST_NAME.fullmatch(host):
            raise UsageError(f"{what} is not an IP address or a host name; {hint}") from None
        try:
            addresses = list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, None,
                                                                                    type=socket.SOCK_STREAM)))
        except (socket.gaierror, UnicodeError) as exc:
            raise UsageError(f"{what} does not resolve ({exc}); {hint}") from None
    errors = [error for error in map(_bind_error, addresses) if error is not None]
    if len(errors) == len(addresses) and errors:
        raise UsageError(f"{what} is not an address of this machine ({errors[0].strerror}); {hint}")


def _bind_error(address: str) -> OSError | None:
    """Why ``address`` cannot be bound (no such address here, no such family); None when it can, or when the
    failure is another one (a privileged port is not the point: port 0 is asked)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.bind((address, 0))
    except OSError as exc:
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EINVAL):
            return exc
    return None


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
    """UsageError (exit 2, one line) for a host a server cannot bind (`check_host`); PortInUseError (exit 2, one
    line) when host:port is taken."""
    check_host(host)
    if port_in_use(host, port):
        raise PortInUseError(f"{host}:{port} is already in use (another server?); choose a free port with "
                             "--port or serve.port")
