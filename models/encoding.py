"""Turn sentences and their context into encoder inputs, the same way in training and tagging.

Input layout: ``[CLS] sentence [SEP] context [SEP]`` with token type 0 for the sentence and 1
for the context. An article's context is the ``before`` sentences ahead of each sentence and the
``after`` sentences behind it, joined by ``[SEP]``. The sentence is cut only when it alone
overflows the budget; the context takes what is left, split between the two sides (the side
before keeps its last tokens, the side after its first). Each sentence is tokenized once per
article and reused as its neighbours' context.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

SPECIAL_TOKENS = 3


@dataclass(frozen=True)
class ContextWindow:
    before: int = 1
    after: int = 1
    max_length: int = 128
    max_chars: int = 2000


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
    half = budget // 2
    keep_before = min(len(before), max(half, budget - len(after)))
    keep_after = budget - keep_before
    return (before[len(before) - keep_before :] if keep_before else []), after[:keep_after]


def assemble(tokenizer, sentence: list[int], before: list[int], after: list[int], max_length: int) -> dict:
    """One encoder input from token ids; `before`/`after` are the context's two sides."""
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    sentence = sentence[: max_length - SPECIAL_TOKENS]
    budget = max_length - SPECIAL_TOKENS - len(sentence)
    joiner = [sep_id] if before and after else []
    before, after = _share_budget(before, after, max(0, budget - len(joiner)))
    context = before + (joiner if before and after else []) + after
    input_ids = [cls_id, *sentence, sep_id, *context, sep_id]
    token_type_ids = [0] * (len(sentence) + 2) + [1] * (len(context) + 1)
    return {"input_ids": input_ids, "token_type_ids": token_type_ids}


def _join(tokenizer, pieces: list[list[int]]) -> list[int]:
    out: list[int] = []
    for piece in pieces:
        if out:
            out.append(tokenizer.sep_token_id)
        out.extend(piece)
    return out


def encode_article(tokenizer, sentences: Sequence[str], window: ContextWindow) -> list[dict]:
    """Encoder inputs for the sentences of one article, in order, each with its neighbours."""
    ids = tokenize(tokenizer, sentences, window.max_chars)
    encoded = []
    for i, sentence in enumerate(ids):
        before = _join(tokenizer, ids[max(0, i - window.before) : i]) if window.before else []
        after = _join(tokenizer, ids[i + 1 : i + 1 + window.after]) if window.after else []
        encoded.append(assemble(tokenizer, sentence, before, after, window.max_length))
    return encoded


def encode_pairs(tokenizer, texts: Sequence[str], contexts: Sequence[str | None], window: ContextWindow) -> list[dict]:
    """Encoder inputs for independent sentences, each with an optional free-text context."""
    text_ids = tokenize(tokenizer, texts, window.max_chars)
    context_ids = tokenize(tokenizer, [c or "" for c in contexts], window.max_chars)
    return [assemble(tokenizer, s, [], c, window.max_length) for s, c in zip(text_ids, context_ids)]
