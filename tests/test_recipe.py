"""The training recipe's contract on a real tokenized batch: loss on the summary only, and every supervised
span ends with the end-of-turn token, so the tuned model learns to stop instead of looping to the cap."""

from __future__ import annotations

from _training_data import EXCERPTS, make_record

from filingsum.core.models import load_tokenizer
from filingsum.core.prompt import prompt_ids, summary_ids
from filingsum.core.schema import FilingRecord
from filingsum.training.data import make_collator, tokenize_records


def _records() -> list[FilingRecord]:
    return [FilingRecord.model_validate(make_record(i, *e, split="train", chars=300 + 150 * i))
            for i, e in enumerate(EXCERPTS[:4])]


def test_padded_batch_supervises_the_summary_and_ends_each_with_eos():
    tokenizer = load_tokenizer("tiny-random")  # SmolLM2's tokenizer and chat template
    assert tokenizer.pad_token_id == tokenizer.eos_token_id  # the case where a careless collator masks EOS
    records = _records()
    dataset = tokenize_records(records, tokenizer, seq2seq=False, max_summary_tokens=512)
    batch = make_collator(tokenizer, seq2seq=False).collator(
        [{k: row[k] for k in ("input_ids", "attention_mask", "labels")} for row in dataset]
    )
    lengths = {len(row["input_ids"]) for row in dataset}
    assert len(lengths) > 1, "the batch must need padding for this test to mean anything"
    for row, record in enumerate(records):
        labels = batch["labels"][row].tolist()
        supervised = [i for i, t in enumerate(labels) if t != -100]
        n_prompt = len(prompt_ids(tokenizer, record.text, record.instruction))
        target = summary_ids(tokenizer, record.reference or "")
        # Loss only on the summary: the span starts right after the prompt and is exactly the target ids.
        assert supervised[0] == n_prompt
        assert supervised == list(range(n_prompt, n_prompt + len(target)))
        assert [labels[i] for i in supervised] == target
        assert labels[supervised[-1]] == tokenizer.eos_token_id
        # Padding after the span is never supervised, though the pad id equals the EOS id.
        assert all(t == -100 for t in labels[supervised[-1] + 1:])


def test_a_reference_over_the_cap_still_ends_with_eos():
    tokenizer = load_tokenizer("tiny-random")
    record = _records()[0].model_copy(update={"reference": "Revenue comes from cloud services. " * 40})
    row = tokenize_records([record], tokenizer, seq2seq=False, max_summary_tokens=32)[0]
    supervised = [t for t in row["labels"] if t != -100]
    assert len(supervised) == 33
    assert supervised[-1] == tokenizer.eos_token_id
