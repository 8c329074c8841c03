"""The endpoint client goes through the proxy the environment names (HTTP_PROXY and NO_PROXY, as any httpx client):
its bounded transport used to skip it, so chat requests bypassed a user's proxy while /models went through it."""

from __future__ import annotations

import pytest
from _fake_openai import FakeOpenAI

from filingsum.api import Summarizer

FILING = ("Acme Widgets, Inc. designs and sells industrial widgets to hardware stores and distributors in the United "
          "States. Revenue comes mainly from product sales, and the company finances its operations with cash from "
          "operations and a revolving credit facility.")


@pytest.fixture
def proxy_env(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_chat_requests_go_through_the_environments_proxy(proxy_env):
    # the stand-in server answers any request line, so it serves as a forward proxy for plain http
    with FakeOpenAI(model="fake") as proxy:
        proxy_env.setenv("HTTP_PROXY", proxy.base_url.removesuffix("/v1"))
        summarizer = Summarizer.from_endpoint("http://filings.example.invalid/v1", model="fake", max_retries=0)
        result = summarizer.summarize_text(FILING, id="acme")
    assert result.error is None, result.error
    assert result.summary.startswith("The company:")
    assert proxy.requests == 1 and proxy.headers[0]["Host"] == "filings.example.invalid"


def test_no_proxy_keeps_a_host_off_the_proxy(proxy_env):
    with FakeOpenAI(model="fake") as server, FakeOpenAI(model="fake") as proxy:
        proxy_env.setenv("HTTP_PROXY", proxy.base_url.removesuffix("/v1"))
        proxy_env.setenv("NO_PROXY", "127.0.0.1")
        result = Summarizer.from_endpoint(server.base_url, model="fake").summarize_text(FILING, id="acme")
    assert result.error is None, result.error
    assert server.requests == 1 and proxy.requests == 0
