"""Fault injection: a served endpoint that hangs (the sixth probe's F5). A request that times out is retried only
while the server still answers its model list; a server that answers nothing costs one timeout, and the inputs
after it are not sent, where before each input waited (retries + 1) x --timeout (20 minutes by default). Real
HTTP servers on 127.0.0.1, the real client and the real CLI; the server counts the completions it was asked for.
"""

from __future__ import annotations

import threading

from _fake_openai import completion
from _local_http import LocalHTTPServer, QuietHandler
from test_faults import observe

from filingsum.cli import main
from filingsum.inference.endpoint import EndpointSummarizer

TEXT = "Item 1. Business\n\nAcme Corp makes widgets and sells them to retailers for cash. " * 20


class Stalling(LocalHTTPServer):
    """``with Stalling(mode) as server:``: "hung" answers nothing at all (completions nor model list) until the
    server is closed; "slow_once" keeps the first completion past any short timeout, answers the rest, and
    answers its model list at once. ``posts`` counts the completions asked for."""

    def __init__(self, mode: str):
        self.posts = 0
        self.release = threading.Event()
        outer = self

        class Handler(QuietHandler):
            def do_GET(self):  # noqa: N802
                if mode == "hung":
                    outer.release.wait(120)
                    return
                self.reply(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self):  # noqa: N802
                body = self.read_json()
                outer.posts += 1
                if mode == "hung" or outer.posts == 1:
                    outer.release.wait(120)
                    return
                self.reply(200, completion(body, "Acme sells widgets to retailers for cash."))

        super().__init__(Handler)

    def __exit__(self, *exc: object) -> None:
        self.release.set()  # the stalled handlers return, so the shutdown does not wait on them
        super().__exit__(*exc)


def _client(server: Stalling) -> EndpointSummarizer:
    return EndpointSummarizer(server.base_url, "fake", tokenizer="tiny-random", max_summary_tokens=32,
                              max_source_tokens=512, timeout_s=1, max_retries=3, concurrency=1)


def test_a_hung_server_costs_one_timeout_and_the_inputs_after_it_are_not_sent():
    with Stalling("hung") as server:
        results = _client(server).summarize([TEXT, TEXT, TEXT])
        posts = server.posts
    assert posts == 1, posts  # before: 4 attempts for each of the 3 inputs
    assert all(not r.ok and r.error_kind == "timeout" for r in results), results
    assert all("looks hung" in r.error and "/models" in r.error for r in results), results[0].error


def test_a_slow_answer_from_a_live_server_is_still_retried():
    with Stalling("slow_once") as server:
        result = _client(server).summarize([TEXT])[0]
        posts = server.posts
    assert posts == 2 and result.ok and result.text, (posts, result)


def test_summarize_against_a_hung_server_fails_in_one_line_and_says_how_to_resume(tmp_path, capsys):
    filings = []
    for name in ("acme_10k_2021.txt", "acme_10k_2022.txt", "acme_10k_2023.txt"):
        path = tmp_path / name
        path.write_text(TEXT, encoding="utf-8")
        filings.append(str(path))
    out = tmp_path / "sums.jsonl"
    with Stalling("hung") as server:
        status = main(["summarize", *filings, "--endpoint", server.base_url, "--model", "fake", "--tokenizer",
                       "tiny-random", "--timeout", "1", "--concurrency", "1", "--out", str(out)])
        posts = server.posts
    err = capsys.readouterr().err
    observe("`summarize` of 3 filings against a server that hangs", status, err, wrong=int(posts != 1))
    assert status == 1 and posts == 1 and "Traceback" not in err, (status, posts, err[-1500:])
    assert "looks hung" in err and "rerun" in err, err[-1500:]
