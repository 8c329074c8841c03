"""Secrets never leave in clear: the one place that masks credentials before text is printed, logged or stored.

- ``redact_url``: a URL with credentials (``http://user:pw@host``) keeps its scheme, host and path, and its
  user-info becomes ``***``;
- ``redact_text``: the same for every URL inside a longer text, every API key this process has read
  (``register_secret``: a server may echo one in an error body), the value of ``--api-key`` in a command
  line, the token of an ``Authorization: Bearer TOKEN`` header (an HTTP client's "Illegal header value" error
  quotes it) and the value of a key-like query parameter (``?api_key=``, ``&token=``);
- ``redact_argv``: a command line (a list) with the value of every ``--api-key`` masked;
- ``redact_values``: every string of JSON-like data (a config as stored in a run dir, a card or a report).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

MASK = "***"
SECRET_FLAGS = ("--api-key",)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s?#]+)@")
_FLAG_VALUE = re.compile(r"(?P<flag>--api-key)(?P<sep>[=\s]+)(?P<value>[^\s'\"]+)")
# "Bearer sk-..." up to a quote or the end of the line: a key with a control character in it (b'Bearer sk-1\\r')
# is masked whole, escapes included.
_BEARER = re.compile(r"(?P<scheme>\bBearer)(?P<sep>\s+)(?P<value>[^\s'\"]+)", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"(?P<name>[?&;](?:api[_-]?key|apikey|key|token|access[_-]?token|secret|password)=)(?P<value>[^&#\s'\"]*)",
    re.IGNORECASE,
)


# The API keys this process has read (`register_secret`): a server that echoes one back in an error body ("invalid
# api key: sk-...") must not get it printed, logged or stored.
_SECRETS: set[str] = set()
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words


def register_secret(value: str | None) -> None:
    """Remember a secret value (an API key) so that `redact_text` masks it wherever it appears."""
    if value and len(value) >= MIN_SECRET_LENGTH and value != "EMPTY":
        _SECRETS.add(value)


def register_url_credentials(url: str) -> None:
    """Register the credentials of a URL (``http://user:pw@host``) as secrets, in every form a server may echo
    back: the password, ``user:pw``, and the base64 of ``user:pw`` that HTTP clients send as ``Authorization:
    Basic ...`` (a gateway that quotes the header in its 401 body must not get it printed or stored)."""
    import base64
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url)
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
    except ValueError:
        return
    if not (user or password):
        return
    userinfo = f"{user}:{password}"
    encoded = base64.b64encode(userinfo.encode("utf-8")).decode("ascii")
    for value in (password, userinfo, encoded, encoded.rstrip("=")):
        register_secret(value)


def redact_url(url: str) -> str:
    """The URL with its user-info (user, password, token) masked; unchanged without any.

    >>> redact_url("http://user:pw@10.0.0.5:8000/v1")
    'http://***@10.0.0.5:8000/v1'
    >>> redact_url("https://api.example.com/v1")
    'https://api.example.com/v1'
    """
    return _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{MASK}@", url)


def redact_text(text: str) -> str:
    """Every URL's credentials, every ``--api-key`` value, bearer token and key-like query value in ``text``
    masked.

    >>> redact_text("teacher http://u:p@h/v1 failed; ran vllm --api-key sk-123 --port 8000")
    'teacher http://***@h/v1 failed; ran vllm --api-key *** --port 8000'
    >>> redact_text("Illegal header value b'Bearer sk-123\\\\r' for http://h/v1/?api_key=sk-9&x=1")
    "Illegal header value b'Bearer ***' for http://h/v1/?api_key=***&x=1"
    """
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = redact_url(text)
    text = _BEARER.sub(lambda m: f"{m['scheme']}{m['sep']}{MASK}", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m['name']}{MASK}", text)
    return _FLAG_VALUE.sub(lambda m: f"{m['flag']}{m['sep']}{MASK}", text)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line with secret flag values masked (``--api-key KEY`` and ``--api-key=KEY``) and URL
    credentials masked.

    >>> redact_argv(["vllm", "--api-key", "sk-1", "--api-key=sk-2", "--port", "8000"])
    ['vllm', '--api-key', '***', '--api-key=***', '--port', '8000']
    """
    out: list[str] = []
    mask_next = False
    for arg in argv:
        if mask_next:
            out.append(MASK)
            mask_next = False
        elif arg in SECRET_FLAGS:
            out.append(arg)
            mask_next = True
        elif arg.startswith(tuple(f"{flag}=" for flag in SECRET_FLAGS)):
            out.append(arg.split("=", 1)[0] + "=" + MASK)
        else:
            out.append(redact_url(arg))
    return out


def redact_values(data: Any) -> Any:
    """A copy of JSON-like data (a dumped config, a report) with `redact_text` applied to every string in it: a
    URL with credentials (``data.teacher.base_url``, ``eval.endpoint``) or a key is stored masked.

    >>> redact_values({"eval": {"endpoint": "http://bob:pw@h/v1", "systems": ["tuned"]}, "seed": 1})
    {'eval': {'endpoint': 'http://***@h/v1', 'systems': ['tuned']}, 'seed': 1}
    """
    if isinstance(data, str):
        return redact_text(data)
    if isinstance(data, dict):
        return {key: redact_values(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_values(value) for value in data]
    return data


class RedactingFilter:
    """A logging filter that masks credentials in every record it passes (install it on the handlers).

    The message is formatted once, redacted, and stored without arguments, so a URL with a password that
    reaches any logger (the HTTP client's request lines included) is printed masked.
    """

    def filter(self, record: object) -> bool:
        import logging

        from filingsum.core.names import rewrite_record

        return rewrite_record(record, redact_text) if isinstance(record, logging.LogRecord) else True
