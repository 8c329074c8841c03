"""Label filters (with the eval's prose and number checks and the real tokenizer) and the company split."""

from __future__ import annotations

import random

import pytest

from filingsum.core.config import FilterConfig, SplitConfig
from filingsum.core.models import load_tokenizer
from filingsum.core.schema import FilingRecord
from filingsum.core.tokens import token_counter
from filingsum.dataset.filters import check_label, filter_records
from filingsum.dataset.split import assign_splits, company_key, split_records

SOURCE = (
    "Acme Corp. sells cloud phone subscriptions to small businesses through resellers. Revenue was "
    "$12.4 million in 2016, up from $10.1 million. The Company funds operations with a $5 million line of credit."
)
GOOD = (
    "Acme sells cloud phone subscriptions to small businesses, mostly through resellers, and earned $12.4 million "
    "of revenue in 2016, up from $10.1 million a year earlier. It finances its operations with a $5 million "
    "line of credit."
)


@pytest.fixture(scope="module")
def count():
    return token_counter(load_tokenizer("tiny-random"))


def _check(label, count, origin="teacher", finish_reason="stop", max_summary_tokens=512, **cfg):
    return check_label(label, SOURCE, count_tokens=count, config=FilterConfig(**cfg), origin=origin,
                       finish_reason=finish_reason, max_summary_tokens=max_summary_tokens)


def test_a_faithful_prose_label_is_kept(count):
    check = _check(GOOD, count)
    assert check.drop_reason is None and check.warnings == ()


@pytest.mark.parametrize(
    ("label", "finish", "expected"),
    [
        ("", "stop", "empty"),
        (GOOD, "length", "finish_reason=length"),
        (GOOD.rstrip(".") + " and it plans to", "stop", "no final sentence punctuation"),
        ("Acme sells phones.", "stop", "too short"),
        ("Acme overview:\n- sells cloud phone subscriptions to small businesses.\n- uses resellers for sales.\n"
         "- has a $5 million line of credit.\n" + GOOD, "stop", "not continuous prose"),
        ("# Business model\n\n" + GOOD, "stop", "not continuous prose"),
        (GOOD.replace("$12.4 million", "$97.3 million"), "stop", "absent from the source"),
    ],
)
def test_bad_labels_are_dropped_with_the_reason(count, label, finish, expected):
    check = _check(label, count, finish_reason=finish)
    assert check.drop_reason is not None and expected in check.drop_reason


def test_label_over_the_token_limit_is_dropped(count):
    n = count(GOOD)
    assert _check(GOOD, count, max_summary_tokens=n).drop_reason is None
    reason = _check(GOOD, count, max_summary_tokens=n - 1).drop_reason
    assert reason == f"label too long: {n} tokens > max_summary_tokens {n - 1}"


def test_gold_with_an_unsupported_figure_is_kept_with_a_warning_and_checks_can_be_off(count):
    label = GOOD.replace("$12.4 million", "$97.3 million")
    check = _check(label, count, origin="gold")
    assert check.drop_reason is None and "97.3" in check.warnings[0]
    assert _check(label, count, drop_unsupported_numbers=False).drop_reason is None
    assert _check("# Heading\n\n" + GOOD, count, drop_non_prose=False).drop_reason is None


def _record(i: int, company: str, reference: str | None = GOOD, origin: str = "teacher") -> FilingRecord:
    return FilingRecord(
        id=f"r{i}", company=company, source_path=f"/in/{i}.txt", content_hash=f"{i:064x}", section="item_1",
        instruction="x", text=SOURCE, char_count=len(SOURCE), token_count=40, reference=reference,
        reference_origin=origin if reference else "none",
    )


def test_filter_records_reports_missing_references_with_their_errors(count):
    records = [_record(1, "A"), _record(2, "B", None), _record(3, "C", GOOD, "extractive")]
    kept, drops = filter_records(
        records, count_tokens=count, config=FilterConfig(), max_summary_tokens=512, finish_reasons={"r1": "length"},
        reference_errors={"r2": ["teacher: cannot reach teacher (after retries)"]},
    )
    assert [r.id for r in kept] == ["r3"]
    by_id = {d.id: d for d in drops}
    assert by_id["r1"].stage == "filter" and "finish_reason=length" in by_id["r1"].reason
    assert by_id["r2"].stage == "reference" and "cannot reach teacher" in by_id["r2"].reason
    assert by_id["r2"].source_path == "/in/2.txt"


def test_company_key_normalises_names():
    assert company_key("Crexendo, Inc.") == company_key("CREXENDO INC") == company_key("crexendo") == "crexendo"
    assert company_key("AT&T Inc.") == "at and t"
    assert company_key("Fusion Telecommunications International, Inc.") != company_key("Crexendo")


def test_no_company_is_in_two_splits_and_the_split_is_seeded():
    companies = [f"Company {i} {'Inc.' if i % 2 else 'Corp'}" for i in range(20)]
    records = [_record(i * 3 + j, companies[i]) for i in range(20) for j in range(3)]
    shuffled = records[:]
    random.Random(0).shuffle(shuffled)
    a, _ = split_records(records, SplitConfig(seed=1))
    b, _ = split_records(shuffled, SplitConfig(seed=1))
    splits_of = {}
    for r in a:
        splits_of.setdefault(company_key(r.company), set()).add(r.split)
    assert all(len(s) == 1 for s in splits_of.values())
    assert {r.id: r.split for r in a} == {r.id: r.split for r in b}  # input order does not matter
    sizes = {name: sum(1 for s in splits_of.values() if name in s) for name in ("train", "validation", "test")}
    assert sizes == {"train": 14, "validation": 3, "test": 3}
    other = assign_splits(companies, SplitConfig(seed=2))
    assert other != assign_splits(companies, SplitConfig(seed=1))


@pytest.mark.parametrize(
    ("n", "expected_empty"), [(1, {"validation", "test"}), (2, {"validation"}), (3, set())]
)
def test_few_companies_keep_train_non_empty_and_say_which_splits_are_empty(n, expected_empty):
    records = [_record(i, f"Firm{i}") for i in range(n)]
    out, warnings = split_records(records, SplitConfig())
    used = {r.split for r in out}
    assert "train" in used
    assert {"train", "validation", "test"} - used == expected_empty
    assert {w.split("'")[1] for w in warnings} == expected_empty
