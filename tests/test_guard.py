"""The output guard of `filingsum summarize` and the Python API: each generated sentence checked with the eval's
checks, a loop regenerated once with a repetition penalty, and what was done reported per summary."""

from __future__ import annotations

import json
from pathlib import Path

from _fake_openai import FakeOpenAI

from filingsum.inference.guard import guard_line, guard_summary, sentence_findings

ROOT = Path(__file__).resolve().parents[1]
FUSION = ROOT / "data" / "samples" / "fusion_10k_2016_item1_prompt.txt"
SOURCE = ("Acme sells industrial pumps to utilities and municipalities through independent distributors. "
          "Revenue was $12.4 million in 2023. The company funds operations with a $5 million credit facility.")
GOOD = "Acme sells industrial pumps to utilities through independent distributors. Revenue was $12.4 million in 2023."
META = "The excerpt does not describe how the company is financed."
WRONG_FIGURE = "Revenue was $19.7 million in 2023."
INVENTED = "Its largest customer is Globex Corporation."


def test_findings_name_each_bad_sentence_and_its_reason():
    summary = " ".join([GOOD, META, WRONG_FIGURE, INVENTED, GOOD.split(". ")[0] + "."])
    findings = {f.index: f.reason for f in sentence_findings(summary, SOURCE)}
    assert set(findings) == {2, 3, 4, 5}
    assert findings[2].startswith("meta") and "19.7" in findings[3] and "Globex" in findings[4]
    assert findings[5].startswith("repeated")


def test_drop_flag_and_off():
    summary = f"{GOOD} {META}"
    dropped, checks = guard_summary(summary, SOURCE, "drop")
    assert dropped == GOOD and [f.index for f in checks.dropped] == [2] and not checks.flagged
    flagged, checks = guard_summary(summary, SOURCE, "flag")
    assert flagged == summary and [f.index for f in checks.flagged] == [2]
    same, checks = guard_summary(summary, SOURCE, "off")
    assert same == summary and checks.policy == "off" and "off" in guard_line(checks)


def test_a_section_heading_copied_in_as_a_sentence_is_dropped():
    funding = "The company funds operations with a $5 million credit facility."
    summary = f"{GOOD} Human Capital Management. Suppliers and Supply Chain. {funding}"
    text, checks = guard_summary(summary, SOURCE, "drop")
    assert text == f"{GOOD} {funding}"
    assert [f.reason for f in checks.dropped] == ["heading: a section heading, not a sentence"] * 2


def test_drop_never_leaves_an_empty_summary():
    text, checks = guard_summary(META, SOURCE, "drop")
    assert text == META and checks.flagged and checks.note


def test_a_faithful_summary_passes_untouched():
    text, checks = guard_summary(GOOD, SOURCE, "drop")
    assert text == GOOD and not checks.dropped and not checks.flagged
    assert "every sentence passed" in guard_line(checks)


def test_summarize_guards_retries_a_loop_and_reports_checks(tmp_path, capsys):
    """Through the CLI at defaults: the first answer loops, the retry carries a repetition penalty, its meta
    sentence is dropped, and the JSONL and Markdown outputs say so."""
    from filingsum.cli import main

    def respond(body):
        if body.get("repetition_penalty", 1.0) > 1.0:
            return ("Fusion provides cloud services to businesses. The excerpt does not describe its pricing.")
        return "Fusion sells " + "cloud services, " * 40

    out = tmp_path / "s.jsonl"
    with FakeOpenAI(model="filingsum-smollm2", respond=respond) as server:
        assert main(["summarize", str(FUSION), "--endpoint", server.base_url, "--out", str(out)]) == 0
    assert len(server.bodies) == 2 and server.bodies[1]["repetition_penalty"] == 1.15
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["summary"] == "Fusion provides cloud services to businesses."
    assert row["checks"]["policy"] == "drop" and row["checks"]["retried"] is True
    assert row["checks"]["dropped"][0]["reason"].startswith("meta")
    md = tmp_path / "s.md"
    with FakeOpenAI(model="filingsum-smollm2", respond=respond) as server:
        assert main(["summarize", str(FUSION), "--endpoint", server.base_url, "--out", str(md), "--guard", "flag"]) == 0
    text = md.read_text()
    assert "checks (flag): regenerated once" in text and "1 sentence(s) flagged" in text


def test_drop_cuts_a_loop_that_survived_the_retry_at_the_last_whole_sentence():
    summary = ("Acme sells industrial pumps to utilities. Revenue was $12.4 million in 2023. It earns returns, "
               "how it earns returns, how it earns returns, how it earns returns, how it earns returns")
    text, checks = guard_summary(summary, SOURCE, "drop", retried=True)
    assert text == "Acme sells industrial pumps to utilities. Revenue was $12.4 million in 2023."
    assert checks.dropped[0].reason.startswith("loop") and checks.retried
    flagged, _ = guard_summary(summary, SOURCE, "flag")
    assert flagged == summary  # flag never rewrites


def test_drop_removes_an_unfinished_last_sentence_cut_by_the_cap():
    summary = "Acme sells industrial pumps to utilities. Revenue was $12.4 million in 2023. Investors use its"
    text, checks = guard_summary(summary, SOURCE, "drop")
    assert text == "Acme sells industrial pumps to utilities. Revenue was $12.4 million in 2023."
    assert checks.dropped[0].reason.startswith("unfinished")
    assert guard_summary(GOOD, SOURCE, "drop")[0] == GOOD  # a finished summary keeps its last sentence


def test_a_list_item_written_twice_in_a_row_is_kept_once_and_reported():
    """Seen in the shipped default's Fusion summary: "legal and healthcare, healthcare and hospitality"."""
    summary = ("Acme sells industrial pumps to utilities, utilities and municipalities. "
               "It sells through independent distributors and independent distributors.")
    text, checks = guard_summary(summary, SOURCE, "drop")
    assert text == ("Acme sells industrial pumps to utilities and municipalities. "
                    "It sells through independent distributors.")
    assert [f.sentence for f in checks.dropped] == ["utilities", "independent distributors"]
    assert "written twice in a row" in guard_line(checks)
    flagged, checks = guard_summary(summary, SOURCE, "flag")
    assert flagged == summary and {f.sentence for f in checks.flagged} == {"utilities", "independent distributors"}


def test_repeated_words_that_are_not_a_repeated_item_are_left_alone():
    for summary in ("More and more utilities buy Acme pumps.", "It is based in New York, New York.",
                    "It sells through direct sales and direct sales personnel.", "It sells pumps, valves and pumps."):
        text, checks = guard_summary(summary, summary, "drop")
        assert text == summary and not checks.dropped, summary


def test_a_repeated_item_of_up_to_six_words_is_kept_once():
    """Seen in the shipped default's Crexendo 10-Q summary: "a new director of marketing, a new director of
    marketing, and ..." (five words)."""
    from filingsum.inference.guard import collapse_repeated_items

    text, items = collapse_repeated_items("It hired a new director of marketing, a new director of marketing, and a "
                                          "sales lead.")
    assert text == "It hired a new director of marketing, and a sales lead."
    assert items == ["a new director of marketing"]
