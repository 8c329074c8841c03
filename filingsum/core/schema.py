"""Record schema shared by data building, training, eval and serving (one source of truth)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from filingsum.core.names import printable, storable

# The closed vocabularies, defined once; config fields, CLI choices and the stages import them from here.
SectionName = Literal["item_1", "item_1a", "item_7", "part_i_item_2", "whole"]
SECTION_NAMES: tuple[str, ...] = get_args(SectionName)
# item_1 maps to Part I Item 2 (MD&A) on a 10-Q, so one section per filing by default.
DEFAULT_SECTIONS: tuple[str, ...] = ("item_1",)
FormType = Literal["10-K", "10-Q", "unknown"]
SplitName = Literal["train", "validation", "test"]
SPLITS: tuple[str, ...] = get_args(SplitName)
FitStrategy = Literal["aspects", "extract", "truncate", "chunk"]
FIT_STRATEGIES: tuple[str, ...] = get_args(FitStrategy)
ReferenceSource = Literal["gold", "teacher", "extractive"]
ReferenceOrigin = Literal["teacher", "gold", "extractive", "none"]
# How a generation ended, and why an input got no summary (local and endpoint summarizers alike).
FinishReason = Literal["stop", "length"]
ErrorKind = Literal["input", "timeout", "unreachable", "http", "empty", "internal"]


class FilingSection(BaseModel):
    """A cleaned section of one filing, before it is fitted to a model's context."""

    model_config = ConfigDict(extra="forbid")

    company: str
    form: FormType = "unknown"
    fiscal_period: str | None = None
    source_path: str
    section: SectionName
    text: str
    instruction: str | None = Field(None, description="request found in a prompt-wrapped file, if any")
    warnings: list[str] = Field(default_factory=list)


class FilingRecord(BaseModel):
    """One filing-to-summary pair, as written to the dataset (JSONL and `datasets` on disk)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="stable id: company, form, period and section, plus a content-hash prefix")
    company: str
    form: FormType = "unknown"
    fiscal_period: str | None = None
    source_path: str
    content_hash: str = Field(description="sha256 of the cleaned section text")
    section: SectionName
    instruction: str = Field(description="the request the summary answers")
    text: str = Field(description="the cleaned section, fitted to the model's context")
    char_count: int = Field(description="characters of the cleaned section before fitting")
    token_count: int = Field(description="tokens of the fitted text, with the model's tokenizer")
    kept_ratio: float = Field(1.0, description="share of the section's characters kept by context fitting")
    warnings: list[str] = Field(default_factory=list)
    reference: str | None = None
    reference_origin: ReferenceOrigin = "none"
    split: SplitName | None = None


class PredictionRecord(BaseModel):
    """One line of a predictions JSONL that `filingsum eval --predictions` scores."""

    model_config = ConfigDict(extra="ignore")

    id: str
    source: str
    prediction: str
    reference: str | None = None
    system: str | None = Field(None, description="which system produced it (baseline name, model, adapter)")
    company: str | None = Field(
        None, description="the filer's name, when known: the claim checks accept it for the filing's \"we\" and "
        "give no other name the benefit of the doubt (docs/eval.md)",
    )
    error: str | None = Field(
        None, description="why the system produced no prediction (failed request, generation error); eval "
        "scores such a document as failed, never as an empty summary"
    )

    @field_validator("reference")
    @classmethod
    def _blank_is_no_reference(cls, value: str | None) -> str | None:
        """An empty reference is no reference: ROUGE is undefined (null), not 0, and the means skip it
        (docs/eval.md)."""
        return value if value is not None and value.strip() else None


GuardPolicy = Literal["flag", "drop", "off"]
GUARD_POLICIES: tuple[str, ...] = get_args(GuardPolicy)


class GuardFinding(BaseModel):
    """One sentence of a generated summary that failed a check, and why."""

    model_config = ConfigDict(extra="forbid")

    sentence: str
    index: int = Field(description="position among the summary's sentences, from 0")
    reason: str


class GuardChecks(BaseModel):
    """What `filingsum summarize`'s guard did to one summary (`filingsum.inference.guard`)."""

    model_config = ConfigDict(extra="forbid")

    policy: GuardPolicy
    retried: bool = Field(False, description="regenerated once with a repetition penalty after a loop")
    dropped: list[GuardFinding] = Field(default_factory=list, description="sentences removed (policy drop)")
    flagged: list[GuardFinding] = Field(default_factory=list, description="sentences reported, kept")
    note: str | None = None


class SummaryResult(BaseModel):
    """What the summarizer client returns per input: a summary or an explicit error, never nothing."""

    model_config = ConfigDict(extra="forbid")

    id: str
    source_path: str
    summary: str | None = None
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    chunks: int = 1
    latency_s: float | None = None
    finish_reason: FinishReason | None = Field(None, description="stop, or length when the summary hit the cap")
    error_kind: ErrorKind | None = Field(None, description="category of the error, when there is one")
    checks: GuardChecks | None = Field(None, description="what the output guard checked, dropped or flagged")
    warnings: list[str] = Field(
        default_factory=list, description="what reading the filing noted (FilingSection.warnings): no heading "
        "found so the whole text was used, a section mapped to the form, a decoding fallback, removed instructions",
    )

    @field_validator("id", "source_path")
    @classmethod
    def _storable(cls, value: str) -> str:
        # An input file named with bytes that are not UTF-8 is escaped (filingsum.core.names): results are
        # journalled and written; its summary must not be lost to a UnicodeEncodeError. Control characters in
        # the name stay: source_path names the real file and ids stay apart; the CLI escapes what it prints.
        return storable(value)

    @field_validator("error")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return None if value is None else printable(value)

    @field_validator("warnings")
    @classmethod
    def _printable_warnings(cls, value: list[str]) -> list[str]:
        return [printable(warning) for warning in value]  # they name files too ("... in bad\\xff.jsonl skipped")
