"""The planted-error suite (tests/planted/cases.yaml): faithful summaries of real filing text pass every check,
their corrupted twins are caught, with exactly the verdicts the case states (contradicted / unverifiable
figures, unsupported names). No false alarm on a faithful twin, no false pass on a corrupted one."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from filingsum.quality.factual import check_entities
from filingsum.quality.numbers import check_numbers

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLES = REPO / "data" / "samples"
SHARED_FILINGS = REPO.parent / "shared" / "filings"
CASES = yaml.safe_load((HERE / "planted" / "cases.yaml").read_text(encoding="utf-8"))
KINDS = {"numbers", "units", "scales", "signs", "years", "dates", "names", "products", "customers", "channels"}


@lru_cache(maxsize=None)
def _section_text(filing: str, section: str) -> str:
    from filingsum.filings.sections import extract_filing_sections

    found = [s for s in extract_filing_sections(SHARED_FILINGS / filing, (section,)) if s.section == section]
    assert found, f"{filing}: no {section} section extracted"
    return found[0].text


def _source(case: dict) -> str:
    source = case["source"]
    if "sample" in source:
        return (SAMPLES / source["sample"]).read_text(encoding="utf-8")
    if not SHARED_FILINGS.is_dir():
        pytest.skip("../shared/filings is absent (it is only beside the project checkout in CI)")
    return _section_text(source["filing"], source["section"])


def _verdicts(summary: str, source: str) -> dict[str, object]:
    numbers = check_numbers(summary, source)
    names = check_entities(summary, source)
    return {
        "contradicted": [m.text for m in numbers.contradicted],
        "unverifiable": [m.text for m in numbers.unverifiable],
        "names": [e.text for e in names.unsupported],
        "checked": numbers.total + names.total,
    }


def test_suite_shape():
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 60 and len(ids) == len(set(ids))
    assert {c["kind"] for c in CASES} == KINDS
    assert sum("sample" in c["source"] for c in CASES) >= 25  # run in CI without ../shared
    for case in CASES:
        assert case["faithful"] != case["corrupted"], case["id"]
        assert set(case["expect"]) <= {"contradicted", "unverifiable", "names"} and any(case["expect"].values())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_faithful_twin_passes(case):
    source = _source(case)
    assert re.sub(r"\s+", " ", case["snippet"]) in re.sub(r"\s+", " ", source), "snippet not in the source"
    got = _verdicts(case["faithful"], source)
    assert got["checked"] > 0, "the faithful sentence states no figure or name: it tests nothing"
    assert (got["contradicted"], got["unverifiable"], got["names"]) == ([], [], []), got


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corrupted_twin_is_caught(case):
    got = _verdicts(case["corrupted"], _source(case))
    expected = {key: case["expect"].get(key, 0) for key in ("contradicted", "unverifiable", "names")}
    assert {key: len(got[key]) for key in expected} == expected, got
