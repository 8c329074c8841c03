"""The one progress helper: a real tqdm bar with rate and ETA, counts of done and failed items, a final line."""

from __future__ import annotations

import io
import logging

from filingsum.core.progress import Progress


def test_progress_counts_and_reports_totals(caplog):
    out = io.StringIO()
    with caplog.at_level(logging.INFO, logger="filingsum.progress"):
        with Progress(5, "summarizing", "filing", file=out) as progress:
            for i in range(5):
                progress.update(failed=i == 3)
    assert (progress.done, progress.failed) == (5, 1)
    assert progress.final_line.startswith("summarizing: 5 of 5 filing(s) done, 1 failed, in ")
    assert progress.final_line in caplog.text
    bar = out.getvalue()
    assert "5/5" in bar and ("filing/s" in bar or "s/filing" in bar)  # tqdm's counter and rate


def test_disabled_progress_still_counts_and_closes_once():
    progress = Progress(3, "generating (tuned)", "summary", enabled=False)
    progress.update(2)
    first = progress.close()
    progress.update(1)
    assert progress.close() == first and "2 of 3 summary(s) done" in first


def test_summarize_files_reports_each_file_to_the_progress(tmp_path, monkeypatch):
    """summarize_files counts every file, failures included, through the helper."""
    from _fake_openai import FakeOpenAI

    import filingsum.core.progress as progress_module
    from filingsum.inference.endpoint import EndpointSummarizer

    seen: list[Progress] = []
    real = progress_module.Progress

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self)

    monkeypatch.setattr(progress_module, "Progress", Spy)
    good = tmp_path / "a.txt"
    good.write_text("Acme sells widgets to retailers and funds itself with a bank loan. " * 5)
    empty = tmp_path / "b.txt"
    empty.write_text("")
    with FakeOpenAI() as server:
        client = EndpointSummarizer(server.base_url, "fake", tokenizer="tiny-random", max_summary_tokens=64,
                                    max_source_tokens=256, progress=True)
        results = list(client.summarize_files([str(good), str(empty)]))
    assert len(results) == 2
    (progress,) = seen
    assert (progress.total, progress.done, progress.failed) == (2, 2, 1)
