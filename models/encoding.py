"""Turn sentences and their context into encoder inputs, the same way in training and tagging.

Two context modes (``ContextWindow.mode``):

- ``fused`` (default): each sentence is encoded alone, ``[CLS] sentence [SEP]``; the heads see
  its vector next to the mean vectors of the ``before`` sentences ahead of it and the ``after``
  sentences behind it. Every sentence is encoded once, so context costs almost nothing.
- ``tokens``: the neighbours' tokens join the input, ``[CLS] sentence [SEP] before [SEP] after [SEP]``
  (token type 1 for the context), within ``max_length`` tokens. (A model with ``rule_input: text``
  also gets the rules' marked text right after the sentence's [SEP], ahead of any context; see
  `models.rule_evidence`.) The sentence is cut only when it
  alone overflows the budget; the side before keeps its last tokens, the side after its first.
  Cross-attention to the context costs 2-3x the encoder time (see the README).

Inputs come in *groups* (an article, or a sentence with its free-text context): items whose
`before`/`after` lists index other items of the same group. Items with ``target=False`` only
serve as context.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Sequence

SPECIAL_TOKENS = 3
MODES = ("fused", "tokens")


@dataclass(frozen=True)
class ContextWindow:
    before: int = 1
    after: int = 1
    max_length: int = 128
    max_chars: int = 2000
    mode: str = "fused"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"context mode must be one of {MODES}, got {self.mode!r}")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Control characters become spaces, lone surrogates U+FFFD (as `Tagger` does before anything else)."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text))


def clip_text(text: str, max_chars: int) -> str:
    """Cut over-long text before tokenizing (tokenizers truncate only after a full pass)."""
    return text if len(text) <= max_chars else text[:max_chars]


def tokenize(tokenizer, texts: Sequence[str], max_chars: int) -> list[list[int]]:
    """Token ids without special tokens; texts longer than ``max_chars`` are cut with a warning."""
    clipped = [clip_text(t, max_chars) for t in texts]
    if any(len(c) != len(t) for c, t in zip(clipped, texts)):
        warnings.warn(f"texts longer than {max_chars} characters were cut before tokenizing", stacklevel=3)
    if not clipped:
        return []
    return tokenizer(clipped, add_special_tokens=False, truncation=False)["input_ids"]


def _share_budget(before: list[int], after: list[int], budget: int) -> tuple[list[int], list[int]]:
    if len(before) + len(after) <= budget:
        return before, after
    keep_before = min(len(before), max(budget // 2, budget - len(after)))
    return (before[len(before) - keep_before :] if keep_before else []), after[: budget - keep_before]


def assemble(tokenizer, sentence: list[int], before: list[int], after: list[int], max_length: int) -> dict:
    """One encoder input from token ids; `before`/`after` are the context's two sides (may be empty)."""
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    sentence = sentence[: max_length - SPECIAL_TOKENS]
    joiner = [sep_id] if before and after else []
    budget = max(0, max_length - SPECIAL_TOKENS - len(sentence) - len(joiner))
    before, after = _share_budget(before, after, budget)
    context = before + (joiner if before and after else []) + after
    input_ids = [cls_id, *sentence, sep_id, *context, sep_id] if context else [cls_id, *sentence, sep_id]
    token_type_ids = [0] * (len(sentence) + 2) + [1] * (len(input_ids) - len(sentence) - 2)
    return {"input_ids": input_ids, "token_type_ids": token_type_ids, "before": [], "after": [], "target": True}


def _join(tokenizer, pieces: list[list[int]]) -> list[int]:
    out: list[int] = []
    for piece in pieces:
        if out:
            out.append(tokenizer.sep_token_id)
        out.extend(piece)
    return out


def encode_article(tokenizer, sentences: Sequence[str], window: ContextWindow) -> list[dict]:
    """One group: the sentences of one article, in order, each with its neighbours as context."""
    ids = tokenize(tokenizer, sentences, window.max_chars)
    items = []
    for i, sentence in enumerate(ids):
        before_idx = list(range(max(0, i - window.before), i))
        after_idx = list(range(i + 1, min(len(ids), i + 1 + window.after)))
        if window.mode == "fused":
            item = assemble(tokenizer, sentence, [], [], window.max_length)
            item["before"], item["after"] = before_idx, after_idx
        else:
            before = _join(tokenizer, [ids[j] for j in before_idx])
            after = _join(tokenizer, [ids[j] for j in after_idx])
            item = assemble(tokenizer, sentence, before, after, window.max_length)
        items.append(item)
    return items


def encode_pairs(tokenizer, texts: Sequence[str], contexts: Sequence[str | None], window: ContextWindow) -> list[list[dict]]:
    """One group per sentence; a free-text context serves as both neighbours (fused) or as the context tokens."""
    text_ids = tokenize(tokenizer, texts, window.max_chars)
    context_ids = tokenize(tokenizer, [c or "" for c in contexts], window.max_chars)
    groups = []
    for sentence, context in zip(text_ids, context_ids):
        if window.mode == "tokens" or not context:
            groups.append([assemble(tokenizer, sentence, [], context if window.mode == "tokens" else [], window.max_length)])
            continue
        item = assemble(tokenizer, sentence, [], [], window.max_length)
        item["before"], item["after"] = [1], [1]
        helper = {**assemble(tokenizer, context, [], [], window.max_length), "target": False}
        groups.append([item, helper])
    return groups


def flatten(groups: Sequence[Sequence[dict]]) -> list[dict]:
    """Concatenate groups, turning group-local neighbour indices into indices of the flat list."""
    flat: list[dict] = []
    for group in groups:
        offset = len(flat)
        for item in group:
            flat.append({**item, "before": [offset + j for j in item["before"]], "after": [offset + j for j in item["after"]]})
    return flat
