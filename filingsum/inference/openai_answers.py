"""What an OpenAI-compatible server answered, read from the HTTP response itself: a chat completion (or a model
list) with the types OpenAI's API gives, or `NotAnOpenAIAnswer` saying what came instead.

The ``openai`` client does not check a 200 answer: HTML from a proxy becomes a str and JSON of other types
goes through unchecked, and both end in a bare ``AttributeError`` far from the cause. Clients here ask for
the raw response (``with_raw_response``; retries and status errors are still the client's) and read it with
`chat_answer`, so such an answer is one clear error per input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from filingsum.core.redact import redact_text


class NotAnOpenAIAnswer(ValueError):
    """The server answered (200) with something that is not what OpenAI's API answers."""


@dataclass(frozen=True)
class ChatAnswer:
    """The first choice of a chat completion: its text (stripped; "" when none) and what the server counted."""

    content: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None


# Terminal control sequences (CSI "ESC [ ... m", OSC "ESC ] ... BEL") and other control characters: a summary is
# printed to a terminal and written to Markdown, where they would clear the screen or retitle the window.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?"
                      r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (line breaks and tabs kept)."""
    return _CONTROL.sub("", text)


def _snippet(text: str, limit: int = 120) -> str:
    return redact_text(" ".join(text.split())[:limit])


def json_answer(response: Any, what: str = "chat completion") -> dict[str, Any]:
    """The JSON object of an httpx response; NotAnOpenAIAnswer naming its content type and first words when it
    is HTML, text, not JSON or not an object."""
    content_type = response.headers.get("content-type", "no content type").split(";")[0].strip()
    try:
        text = response.text
    except Exception:  # noqa: BLE001 (an undecodable body is one more kind of wrong answer)
        text = ""
    prefix = f"the endpoint did not answer an OpenAI {what}"
    if not content_type.endswith("json"):
        raise NotAnOpenAIAnswer(f"{prefix} (got {content_type}: {_snippet(text)!r}); is --endpoint the "
                                "server's /v1 base URL, not a web page or a proxy's error page?")
    try:
        data = response.json()
    except ValueError:
        raise NotAnOpenAIAnswer(f"{prefix} (got malformed JSON: {_snippet(text)!r})") from None
    if not isinstance(data, dict):
        raise NotAnOpenAIAnswer(f"{prefix} (got a JSON {type(data).__name__}, not an object)")
    return data


def usage_count(usage: Any, key: str, cap: int | None = None) -> int | None:
    """A token count of an answer's ``usage``, or None when it cannot be true: not an int, negative, or (``cap``:
    the request's max_tokens) over the cap the server was asked to keep. A count is stored and summed, so an
    impossible one is dropped rather than trusted.

    >>> usage_count({"completion_tokens": 10**12}, "completion_tokens", cap=512) is None
    True
    """
    value = usage.get(key) if isinstance(usage, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return None
    return None if cap is not None and value > cap else value


def chat_answer(response: Any, *, max_tokens: int | None = None) -> ChatAnswer | None:
    """The first choice of a chat completion response (an httpx response); None when it has no choices;
    NotAnOpenAIAnswer when it is not a chat completion (HTML, malformed JSON, a message or content of another
    type). Token counts that cannot be true (another type, negative, a completion over the request's
    ``max_tokens``) are dropped (None), not trusted."""
    data = json_answer(response)
    choices = data.get("choices")
    prefix = "the endpoint did not answer an OpenAI chat completion"
    if choices is None or choices == []:
        return None
    if not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise NotAnOpenAIAnswer(f"{prefix} ('choices' is not a list of objects)")
    choice = choices[0]
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(message, dict) or not isinstance(content, (str, type(None))):
        got = type(message).__name__ if not isinstance(message, dict) else f"content of type {type(content).__name__}"
        raise NotAnOpenAIAnswer(f"{prefix} (its message is {got}, not text)")
    finish = choice.get("finish_reason")
    usage = data.get("usage")
    return ChatAnswer(
        content=printable(content or "").strip(), finish_reason=finish if isinstance(finish, str) else None,
        prompt_tokens=usage_count(usage, "prompt_tokens"),
        completion_tokens=usage_count(usage, "completion_tokens", cap=max_tokens),
    )
