"""The planted-error suite (tests/planted/cases.yaml): faithful summaries of real filing text pass every check,
their corrupted twins are caught, with exactly the verdicts the case states (contradicted / unverifiable
figures, unsupported names). No false alarm on a faithful twin, no false pass on a corrupted one."""

from __future__ import annotations

import re
from functools import cache
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


@cache
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


# --- claim-level suite (issue 19): tests/planted/claims.yaml plus the twins of cases.yaml -------------------------

from collections import defaultdict  # noqa: E402

from filingsum.quality.claims import check_claims  # noqa: E402

CLAIM_GROUPS = yaml.safe_load((HERE / "planted" / "claims.yaml").read_text(encoding="utf-8"))
CLAIM_SHAPES = ("value", "scale", "name", "points", "binding", "direction", "period", "role", "negation", "vague",
                "count")


def _claim_cases(groups: list[dict]) -> list[dict]:
    out = []
    for group in groups:
        for case in group["cases"]:
            out.append({**case, "source_text": group["source"], "origin": group["filing"]})
    return out


CLAIM_CASES = _claim_cases(CLAIM_GROUPS)
# A suite written on 2026-12-02 by another author on six filings the other suites do not quote; scored once held
# out (69/104 caught, 19/127 false alarms), then tuned on (docs/eval.md).
FRESH_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh.yaml").read_text(encoding="utf-8")))
# A second, written on 2026-12-02 evening by another author (13 filings, excerpts no other suite quotes); scored
# once held out (100/149, 39/200), then tuned on, 2026-12-03 (docs/eval.md).
FRESH2_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh2.yaml").read_text(encoding="utf-8")))
# A third, written on 2026-12-03 by another author without running the checks (299 cases, 15 filings); scored
# once held out (162/262 caught, 90/299 false alarms), then, like fresh and fresh2, tuned on (docs/eval.md).
FRESH3_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh3.yaml").read_text(encoding="utf-8")))
# A fourth, written on 2026-12-03 (afternoon) by another author without running the checks or reading their code
# (356 cases, 17 filings); held out: scored, never tuned on (docs/eval.md).
FRESH4_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh4.yaml").read_text(encoding="utf-8")))
# A fifth, written on 2026-12-03 (night) by another author without running the checks or reading their code
# (280 cases, 15 filings, 25 groups with a table); held out: scored, never tuned on (docs/eval.md).
FRESH5_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh5.yaml").read_text(encoding="utf-8")))
# A sixth, written on 2026-12-04 by another author without running the checks or reading their code (280 cases,
# 14 filings, 26 groups with a table); held out: scored once, never tuned on (docs/eval.md).
FRESH6_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh6.yaml").read_text(encoding="utf-8")))
# A seventh, written on 2026-12-04 (evening) by another author without running the checks or reading their code
# (280 cases, 17 filings, 24 groups with a table and its scale note); held out: scored once, never tuned on.
FRESH7_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh7.yaml").read_text(encoding="utf-8")))
# An eighth, written on 2026-12-04 night the same way (280 cases); held out: scored once at b8cb5a4, then tuned on.
FRESH8_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh8.yaml").read_text(encoding="utf-8")))
# A ninth, written on 2026-12-04 night by another author without running the checks or reading their code (280
# cases, 20 filings, 17 groups of prose only); held out: scored once on 2026-12-05, never tuned on (docs/eval.md).
FRESH9_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh9.yaml").read_text(encoding="utf-8")))
# A tenth, written on 2026-12-05 by another author without running the checks or reading their code (280 cases,
# 20 filings, 36 groups, 10 with a table); held out: scored once on 2026-12-05, never tuned on (docs/eval.md).
FRESH10_CASES = _claim_cases(yaml.safe_load((HERE / "planted" / "claims_fresh10.yaml").read_text(encoding="utf-8")))


def _model_cases() -> list[dict]:
    """tests/planted/model_outputs.yaml: sentences of the project's own served summaries, labelled by hand. An
    erroneous sentence is the corrupted twin of its hand correction; a faithful one is a faithful summary."""
    out = []
    for group in yaml.safe_load((HERE / "planted" / "model_outputs.yaml").read_text(encoding="utf-8")):
        for case in group["cases"]:
            base = {"id": case["id"], "source_text": group["source"], "origin": group["filing"]}
            if case["shape"] == "faithful":
                out.append({**base, "shape": "paraphrase", "faithful": case["model"]})
            else:
                out.append({**base, "shape": case["shape"], "faithful": case["corrected"],
                            "corrupted": case["model"]})
    return out


MODEL_CASES = _model_cases()


# The filer's name as the product extracts it (the corpus records it per filing): eval passes the record's
# company to the claim checks, so the suite does too.
FILERS = {r["source_file"]: r["company"] for r in map(__import__("json").loads,
          (HERE.parent / "data" / "gold" / "corpus.jsonl").read_text(encoding="utf-8").splitlines())}


def company_of(case: dict) -> str | None:
    source = case.get("source") or {}
    filing = case.get("origin") or source.get("filing") or source.get("sample")
    return FILERS.get(filing)


def claim_signals(summary: str, source: str, company: str | None = None) -> dict[str, float]:
    """The gate-usable signals of one summary: claim-level rates, and the figure precision (1 when no figure)."""
    check = check_claims(summary, source, company)
    numbers = check_numbers(summary, source)
    return {
        "claim_support_rate": check.support_rate or 0.0,
        "contradiction_rate": check.contradiction_rate or 0.0,
        "unsupported_sentence_rate": check.unsupported_sentence_rate or 0.0,
        "number_precision": 1.0 if numbers.precision is None else numbers.precision,
    }


_LOWER_IS_BETTER = ("contradiction_rate", "unsupported_sentence_rate")


def _worse(bad: dict[str, float], good: dict[str, float]) -> bool:
    return any(bad[k] > good[k] for k in _LOWER_IS_BETTER) or any(
        bad[k] < good[k] for k in good if k not in _LOWER_IS_BETTER)


def _better(bad: dict[str, float], good: dict[str, float]) -> bool:
    return any(bad[k] < good[k] for k in _LOWER_IS_BETTER) or any(
        bad[k] > good[k] for k in good if k not in _LOWER_IS_BETTER)


def suite_figures(cases: list[dict], source_of) -> dict[str, object]:
    """Per shape: twins caught (corrupted worse than faithful); false alarms on faithful summaries; corrupted
    twins that score better than their faithful twin."""
    caught: dict[str, list[bool]] = defaultdict(list)
    false_alarms: list[str] = []
    better: list[str] = []
    for case in cases:
        source = source_of(case)
        good = claim_signals(case["faithful"], source, company_of(case))
        if good["contradiction_rate"] > 0 or good["unsupported_sentence_rate"] > 0:
            false_alarms.append(case["id"])
        if "corrupted" not in case:
            continue
        bad = claim_signals(case["corrupted"], source, company_of(case))
        caught[case["shape"]].append(_worse(bad, good))
        if _better(bad, good):
            better.append(case["id"])
    faithful = len(cases)
    return {"caught": {s: (sum(v), len(v)) for s, v in caught.items()}, "false_alarms": false_alarms,
            "faithful": faithful, "better": better}


def _old_shape(case: dict) -> str:
    return {"numbers": "value", "units": "value", "scales": "scale", "signs": "direction", "years": "period",
            "dates": "period", "names": "name", "products": "name", "customers": "name",
            "channels": "name"}[case["kind"]]


def _all_twin_cases() -> list[dict]:
    old = [{**c, "shape": _old_shape(c)} for c in CASES if "sample" in c["source"] or SHARED_FILINGS.is_dir()]
    return CLAIM_CASES + old


def _any_source(case: dict) -> str:
    return case["source_text"] if "source_text" in case else _source(case)


def test_claim_suite_shape():
    ids = [c["id"] for c in CLAIM_CASES]
    assert len(ids) == len(set(ids)) and not set(ids) & {c["id"] for c in CASES}
    assert len(CLAIM_CASES) + len(CASES) >= 150
    assert len(CLAIM_CASES) >= (len(CLAIM_CASES) + len(CASES)) / 2  # at least half on sources other than seeds
    shapes = defaultdict(int)
    for case in CLAIM_CASES:
        assert case["shape"] in (*CLAIM_SHAPES, "paraphrase"), case["id"]
        assert ("corrupted" in case) == (case["shape"] != "paraphrase"), case["id"]
        if "corrupted" in case:
            assert case["faithful"] != case["corrupted"], case["id"]
        shapes[case["shape"]] += 1
    for case in CASES:  # the seed suite's twins count under the shape they plant
        shapes[_old_shape(case)] += 1
    assert all(shapes[s] >= 6 for s in CLAIM_SHAPES), dict(shapes)
    assert shapes["paraphrase"] >= 30
    fresh = [c["id"] for c in FRESH_CASES]
    assert len(fresh) == len(set(fresh)) and not set(fresh) & (set(ids) | {c["id"] for c in CASES})
    assert {c["shape"] for c in FRESH_CASES} == {*CLAIM_SHAPES, "paraphrase"}
    assert not {c["origin"] for c in FRESH_CASES} & {c["origin"] for c in CLAIM_CASES}  # other filings
    fresh2 = [c["id"] for c in FRESH2_CASES]
    assert len(fresh2) == len(set(fresh2)) and not set(fresh2) & (set(ids) | set(fresh) | {c["id"] for c in CASES})
    assert {c["shape"] for c in FRESH2_CASES} == {*CLAIM_SHAPES, "paraphrase"}
    fresh3 = [c["id"] for c in FRESH3_CASES]
    assert len(fresh3) == len(set(fresh3)) and not set(fresh3) & (set(ids) | set(fresh) | set(fresh2))
    assert {c["shape"] for c in FRESH3_CASES} == {*CLAIM_SHAPES, "paraphrase"}
    fresh4 = [c["id"] for c in FRESH4_CASES]
    assert len(fresh4) == len(set(fresh4)) and not set(fresh4) & (set(ids) | set(fresh) | set(fresh2) | set(fresh3))
    assert {c["shape"] for c in FRESH4_CASES} == {*CLAIM_SHAPES, "paraphrase"}
    earlier = set(ids) | set(fresh) | set(fresh2) | set(fresh3) | set(fresh4)
    for later in (FRESH5_CASES, FRESH6_CASES, FRESH7_CASES, FRESH8_CASES, FRESH9_CASES, FRESH10_CASES):
        later_ids = [c["id"] for c in later]
        assert len(later_ids) == len(set(later_ids)) and not set(later_ids) & earlier
        assert {c["shape"] for c in later} == {*CLAIM_SHAPES, "paraphrase"}
        earlier |= set(later_ids)
    errors = [c for c in MODEL_CASES if "corrupted" in c]
    assert len(errors) >= 20 and len(MODEL_CASES) - len(errors) >= 10  # issue 19: >= 20 real model errors


@cache
def _figures(part: str) -> dict:
    """"tuned": claims.yaml and cases.yaml, the suites the checks were developed on; "fresh": the held-out
    suite of filings they were never tuned on; "model": the model's own sentences, labelled by hand."""
    suites = {"fresh": FRESH_CASES, "fresh2": FRESH2_CASES, "fresh3": FRESH3_CASES, "fresh4": FRESH4_CASES,
              "fresh5": FRESH5_CASES, "fresh6": FRESH6_CASES, "fresh7": FRESH7_CASES, "fresh8": FRESH8_CASES,
              "fresh9": FRESH9_CASES, "fresh10": FRESH10_CASES, "model": MODEL_CASES}
    if part in suites:
        return suite_figures(suites[part], _any_source)
    return suite_figures(_all_twin_cases(), _any_source)


def _caught_share(figures: dict) -> float:
    caught = figures["caught"]
    return sum(k for k, _ in caught.values()) / sum(n for _, n in caught.values())


# Issue 19's bar. Where the checks do not meet it, the test is a strict xfail with the measured figures
# (docs/eval.md): it fails as soon as the bar is met, so the marker is removed then. The fresh suite is the
# figure to trust for filings the project has never seen.
_FRESH_MISSES = pytest.mark.xfail(strict=True, reason="fresh suite (scored held-out at 69/104 and 19/127, then "
                                  "tuned on): 84 of 104 corrupted twins caught (81%, bar 90%), 4 of 127 faithful "
                                  "summaries flagged (3.1%, bar 5%)")
_FRESH2_MISSES = pytest.mark.xfail(strict=True, reason="fresh2 suite (scored held-out at 100/149 and 39/200, then "
                                   "tuned on, 2026-12-03): 130 of 149 caught (87%), 8 of 200 flagged (4%)")
_FRESH3_MISSES = pytest.mark.xfail(strict=True, reason="fresh3 suite (scored held-out at 162/262 and 90/299, then "
                                   "tuned on, 2026-12-03): 192 of 262 caught (73%), 41 of 299 flagged (14%)")
_FRESH4_MISSES = pytest.mark.xfail(strict=True, reason="fresh4 suite (held out until 2026-12-03 night at 203/313 "
                                   "and 95/356, then tuned on): 248 of 313 caught (79%), 46 of 356 flagged (13%)")
_FRESH5_MISSES = pytest.mark.xfail(strict=True, reason="fresh5 suite (held out at 141/240 and 96/280, then tuned "
                                   "on, 2026-12-04): 175 of 240 caught (73%), 49 of 280 flagged (18%)")
_FRESH6_MISSES = pytest.mark.xfail(strict=True, reason="fresh6 suite (held out at 157/240 and 80/280, 39883cf; "
                                   "then tuned on, 2026-12-04 evening): 175 of 240 caught (73%), 41 of 280 flagged "
                                   "(15%)")
_FRESH7_MISSES = pytest.mark.xfail(strict=True, reason="fresh7 suite (held out at a6ae137 at 145/240 and 69/280; "
                                   "141/240 and 72/280 with that session's first code, ed08ece; then tuned on, "
                                   "2026-12-04 night): 150 of 240 caught (62%), 57 of 280 flagged (20%)")
_FRESH8_MISSES = pytest.mark.xfail(strict=True, reason="fresh8 suite (held out at b8cb5a4 at 143/240 and 60/280; "
                                   "141/240 and 69/280 with that session's first code, 73feb80; then tuned on): 144 "
                                   "of 240 caught (60%), 56 of 280 flagged (20%)")
_FRESH9_MISSES = pytest.mark.xfail(strict=True, reason="fresh9 suite (held out at fa0ed6e at 169/240 and 51/280; "
                                   "then tuned on, 2026-12-05): 176 of 240 caught (73%), 41 of 280 flagged (15%)")
_FRESH10_MISSES = pytest.mark.xfail(strict=True, reason="fresh10 suite (held out, scored once with the checks of "
                                    "68b6a72): 172 of 240 caught (72%), 51 of 280 flagged (18%)")
_MODEL_MISSES = pytest.mark.xfail(strict=True, reason="model-output suite (2026-12-02, held out): 9 of 46 real "
                                  "errors caught (20%), 4 of 64 faithful sentences flagged (6%)")


@pytest.mark.parametrize("part", ["tuned", pytest.param("fresh", marks=_FRESH_MISSES),
                                  pytest.param("fresh2", marks=_FRESH2_MISSES),
                                  pytest.param("fresh3", marks=_FRESH3_MISSES),
                                  pytest.param("fresh4", marks=_FRESH4_MISSES),
                                  pytest.param("fresh5", marks=_FRESH5_MISSES),
                                  pytest.param("fresh6", marks=_FRESH6_MISSES),
                                  pytest.param("fresh7", marks=_FRESH7_MISSES),
                                  pytest.param("fresh8", marks=_FRESH8_MISSES),
                                  pytest.param("fresh9", marks=_FRESH9_MISSES),
                                  pytest.param("fresh10", marks=_FRESH10_MISSES),
                                  pytest.param("model", marks=_MODEL_MISSES)])
def test_claim_checks_catch_planted_errors_without_false_alarms(part):
    figures = _figures(part)
    assert _caught_share(figures) >= 0.9, figures["caught"]
    assert len(figures["false_alarms"]) / figures["faithful"] <= 0.05, figures["false_alarms"]


def _shapes_below(part: str, shapes: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"{part} suite: {shapes} are below 80%")


@pytest.mark.parametrize("part", [
    "tuned",
    pytest.param("fresh", marks=_shapes_below("fresh", "binding 10/16, name 5/7, period 8/12, role 3/8, scale 4/6")),
    pytest.param("fresh2", marks=_shapes_below("fresh2", "binding 15/20, period 12/16, role 6/10")),
    pytest.param("fresh3", marks=_shapes_below("fresh3", "binding 16/35, period 26/39, role 6/25, vague 12/23")),
    pytest.param("fresh4", marks=_shapes_below("fresh4", "binding 28/48, count 13/17, direction 26/34, role 9/16, "
                                                         "vague 8/23")),
    pytest.param("fresh5", marks=_shapes_below("fresh5", "binding 19/30, count 13/18, direction 15/23, name "
                                                         "10/18, negation 15/19, points 11/19, role 8/18, vague "
                                                         "13/18")),
    pytest.param("fresh6", marks=_shapes_below("fresh6", "binding 16/23, direction 16/22, negation 13/21, role "
                                                         "9/22, vague 8/22")),
    pytest.param("fresh7", marks=_shapes_below("fresh7", "binding 14/22, count 15/21, direction 17/22, period "
                                                         "11/22, points 9/22, role 2/22, vague 4/22")),
    pytest.param("fresh8", marks=_shapes_below("fresh8", "binding 16/22, count 14/21, direction 16/22, name 15/21, "
                                                         "negation 14/22, period 13/22, points 10/22, role 1/22, "
                                                         "vague 2/22")),
    pytest.param("fresh9", marks=_shapes_below("fresh9", "binding 15/22, count 15/21, direction 17/22, name 15/21, "
                                                         "period 14/22, role 5/22, vague 14/22")),
    pytest.param("fresh10", marks=_shapes_below("fresh10", "binding 11/22, count 14/21, negation 17/22, period "
                                                           "16/22, role 4/22, vague 11/21")),
])
def test_every_shape_is_caught_at_least_80_percent(part):
    caught = _figures(part)["caught"]
    assert all(k / n >= 0.8 for k, n in caught.values()), caught


@pytest.mark.parametrize("part", ["tuned", "fresh", pytest.param("fresh2", marks=pytest.mark.xfail(
    strict=True, reason="fresh2 suite: three corrupted twins score better than their faithful twin")),
    pytest.param("fresh3", marks=pytest.mark.xfail(
        strict=True, reason="fresh3 suite: six corrupted twins score better than their faithful twin")),
    pytest.param("fresh4", marks=pytest.mark.xfail(
        strict=True, reason="fresh4 suite: two corrupted twins score better than their faithful twin")),
    pytest.param("fresh5", marks=pytest.mark.xfail(
        strict=True, reason="fresh5 suite: six corrupted twins score better than their faithful twin")),
    pytest.param("fresh6", marks=pytest.mark.xfail(
        strict=True, reason="fresh6 suite: five corrupted twins score better than their faithful twin")),
    pytest.param("fresh7", marks=pytest.mark.xfail(
        strict=True, reason="fresh7 suite: 12 corrupted twins score better than their faithful twin")),
    pytest.param("fresh8", marks=pytest.mark.xfail(
        strict=True, reason="fresh8 suite: 15 corrupted twins score better than their faithful twin")),
    pytest.param("fresh9", marks=pytest.mark.xfail(
        strict=True, reason="fresh9 suite: nine corrupted twins score better than their faithful twin")),
    pytest.param("fresh10", marks=pytest.mark.xfail(
        strict=True, reason="fresh10 suite: three corrupted twins score better than their faithful twin")),
    pytest.param("model", marks=pytest.mark.xfail(
        strict=True, reason="model-output suite: one erroneous sentence scores better than its correction"))])
def test_a_corrupted_twin_never_scores_better(part):
    assert not _figures(part)["better"]


@pytest.mark.parametrize("case", [c for c in CLAIM_CASES if "corrupted" in c], ids=lambda c: c["id"])
def test_claim_verdicts_carry_evidence(case):
    check = check_claims(case["corrupted"], case["source_text"])
    flagged = [c for c in check.claims if c.verdict != "supported"]
    for claim in flagged:
        assert claim.reason
        if claim.verdict == "contradicted":
            assert claim.evidence and re.sub(r"\s+", " ", claim.evidence.split("  [")[0]) in re.sub(
                r"\s+", " ", case["source_text"])
