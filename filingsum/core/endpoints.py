"""Endpoint URLs and API keys, checked before any request: the one place a client reads either.

- ``check_endpoint_url``: an OpenAI-compatible base URL is http(s), names a host, has a port in 1..65535 (or
  none) and carries no query string or fragment (a key in ``?api_key=`` would be printed and the URL mangled
  by the client); UsageError (exit 2) otherwise, the message redacted.
- ``api_key_from_env``: the key an environment variable holds. A variable that was named (a flag, a config
  key) and is unset or empty is a UsageError naming it: no silent fallback to another variable's key. None
  named: $OPENAI_API_KEY, but only to an https endpoint or one on this machine (`default_key_goes_to`); a
  plain-http endpoint on another host gets no key (it would cross the network in clear text), with a warning
  saying how to send it anyway (name the variable: ``--api-key-env OPENAI_API_KEY``).
- ``check_url_and_key``: a URL with a user and password together with a named API key is refused (the HTTP
  client would send the URL's credentials as Basic auth in place of the key: a 401 that blames the key).
- ``check_api_key``: a key with surrounding whitespace is stripped (with a warning); one with a control or
  non-ASCII character is refused, naming where it came from and never the key (an HTTP client would put it in
  an "Illegal header value" error, printed and stored).
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from filingsum.core.errors import UsageError
from filingsum.core.redact import redact_url, register_secret, register_url_credentials

log = logging.getLogger(__name__)

DEFAULT_KEY_VAR = "OPENAI_API_KEY"
EXAMPLE_URL = "http://127.0.0.1:8000/v1"


def check_endpoint_url(url: str, what: str = "--endpoint") -> str:
    """``url`` when it is a usable base URL of an OpenAI-compatible server; UsageError (exit 2) saying what is
    wrong and how to write it otherwise. Nothing is sent."""
    if not isinstance(url, str) or not url.strip():
        raise UsageError(f"{what} is empty; give the server's base URL, e.g. {EXAMPLE_URL}")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UsageError(f"{what} {redact_url(url.split('?')[0].strip())!r} holds a space or control character; "
                         f"give the server's base URL, e.g. {EXAMPLE_URL}")
    shown = redact_url(url.split("?", 1)[0].split("#", 1)[0])
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError: not a number, or out of 0..65535
    except ValueError as exc:
        raise UsageError(f"{what} {shown!r} is not a valid URL ({exc}); e.g. {EXAMPLE_URL}") from None
    if "://" not in url:
        raise UsageError(f"{what} {shown!r} has no http:// or https:// in front; e.g. {EXAMPLE_URL}")
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{what} {shown!r}: {parts.scheme}:// is not http:// or https://; e.g. {EXAMPLE_URL}")
    if not parts.hostname:
        raise UsageError(f"{what} {shown!r} names no host; e.g. {EXAMPLE_URL}")
    if port == 0:
        raise UsageError(f"{what} {shown!r}: port 0 is not a port a server listens on (1-65535)")
    if parts.query or parts.fragment:
        raise UsageError(f"{what} {shown}?...: a base URL takes no query string or fragment (it would be sent, "
                         "and printed, with every request); pass the API key with --api-key-env VAR instead")
    register_url_credentials(url)  # its password, and the Basic header made from it, are masked wherever echoed
    return url


def has_url_credentials(url: str) -> bool:
    """Whether ``url`` carries a user or password (``http://user:pw@host``): an HTTP client sends them as
    ``Authorization: Basic ...``, in place of any API key's ``Bearer`` header."""
    try:
        parts = urlsplit(url)
        return bool(parts.username or parts.password)
    except ValueError:
        return False


def check_url_and_key(url: str, key: str | None, *, url_what: str, key_what: str) -> None:
    """UsageError (exit 2, nothing sent) when ``url`` carries a user and password and an API key was named as
    well (``key_what``: where it came from): the HTTP client would send the URL's credentials as Basic auth in
    place of the key, so a server that takes the key answers 401 and the key looks wrong. The URL is shown
    masked, the key never."""
    if not key or key == "EMPTY" or not has_url_credentials(url):
        return
    raise UsageError(f"{url_what} {redact_url(url)} carries a user and password, and {key_what} gives an API key "
                     "too: the URL's credentials would be sent (as Basic auth) in place of the key; drop the "
                     "user:password from the URL, or the API key")


def check_api_key(key: str, source: str) -> str:
    """``key`` without surrounding whitespace (a warning when there was some); UsageError naming ``source`` (never
    the key) when it holds a control character or a character outside printable ASCII."""
    stripped = key.strip()
    if stripped != key:
        log.warning("%s: the API key has surrounding whitespace (a trailing newline or CR?); it was stripped", source)
    for position, ch in enumerate(stripped, 1):
        if not 32 <= ord(ch) < 127:
            kind = "a non-ASCII character" if ord(ch) >= 0xA0 else "a control character"
            raise UsageError(f"{source}: the API key holds {kind} (at position {position}), which no HTTP header "
                             "can carry; set it again to the key alone")
    register_secret(stripped)  # masked wherever it appears, even echoed back by a server
    return stripped


def is_local_host(host: str | None) -> bool:
    """Whether a URL's host is this machine: localhost, a loopback address, or the unspecified address (which a
    client connects to locally)."""
    host = (host or "").strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def default_key_goes_to(url: str) -> bool:
    """Whether $OPENAI_API_KEY, taken by default (no variable named), may be sent to ``url``: an https endpoint
    or one on this machine; never plain http to another host, where it would cross the network in clear text."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" or is_local_host(parts.hostname)


_WITHHELD: set[str] = set()  # endpoints already warned about: one warning per endpoint, not one per client


def withheld_default_key(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether $OPENAI_API_KEY is set (not named) and kept from ``url`` (`default_key_goes_to`): a warning says so,
    once per endpoint, with how to send it anyway."""
    value = (os.environ if environ is None else environ).get(DEFAULT_KEY_VAR)
    if value is None or not value.strip() or default_key_goes_to(url):
        return False
    shown = redact_url(url).rstrip("/")
    if shown not in _WITHHELD:
        _WITHHELD.add(shown)
        log.warning("$%s is set but not sent to %s: that is plain http to another machine, where the key would "
                    "cross the network in clear text; to send it anyway, name it (--api-key-env %s; in the Python "
                    "API, api_key=), or use https", DEFAULT_KEY_VAR, shown, DEFAULT_KEY_VAR)
    return True


def api_key_from_env(
    name: str | None, *, what: str, url: str, environ: Mapping[str, str] | None = None,
) -> str | None:
    """The key the variable ``name`` holds, checked (`check_api_key`). ``name`` given (a flag or a config key,
    ``what`` names it): unset or empty is a UsageError naming the variable. ``name`` None: $OPENAI_API_KEY when
    set and ``url`` may get it (https, or this machine: `withheld_default_key` warns otherwise), else None (no
    key)."""
    environ = os.environ if environ is None else environ
    if name:
        value = environ.get(name)
        if value is None or not value.strip():
            state = "is not set" if value is None else "is empty"
            raise UsageError(f"{what}: ${name} {state}; export {name}=<key> first, or name the variable that "
                             "holds the key")
        return check_api_key(value, f"{what} (${name})")
    value = environ.get(DEFAULT_KEY_VAR)
    if value is None or not value.strip() or withheld_default_key(url, environ):
        return None
    return check_api_key(value, f"${DEFAULT_KEY_VAR}")


def server_api_key(flag_variable: str | None, config_variable: str | None, url: str) -> str | None:
    """The key a client of `filingsum serve` at ``url`` sends: from the variable ``--api-key-env`` names
    (``flag_variable``), else the one ``serve.api_key_env`` names (``config_variable``), else $OPENAI_API_KEY when
    ``url`` is https or on this machine, else None. A variable that was named and is unset is a UsageError
    (`api_key_from_env`), never a fallback to another key."""
    if flag_variable is not None:
        return api_key_from_env(flag_variable, what="--api-key-env", url=url)
    return api_key_from_env(config_variable, what="serve.api_key_env", url=url)
