"""The rule taggers' findings per sentence: as evidence next to the model's labels, and as model input.

Two uses of the same per-article rule pass (`article_evidence`):

- evidence: every `Tagger` result carries a :class:`RuleEvidence` per rule task (the rule label,
  the speaker's normalized name, the spans that decided it);
- input (`model.rule_input`, see :class:`RuleInput`), so the model learns when to trust the
  gazetteer and the cue patterns: `features` puts the rule labels as one-hot vectors next to the
  encoder's sentence vector in the fusion layer; `text` appends them, with the speaker's
  normalized name and the cue, as marked text after the sentence
  (`[CLS] sentence [SEP] source: state media | Syrian Arab News Agency | said ; frame: neutral [SEP]`,
  token type 1, so the sentence vector attends to it but does not average it in).
  Training and tagging build these inputs with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from models.encoding import clip_text, tokenize
from models.gazetteer import Gazetteer
from models.rules import Evidence, FrameRuleTagger, RuleResult, SourceRuleTagger
from models.schema import TaskSpec

RULE_TASKS = ("source", "frame")
RULE_INPUTS = ("none", "features", "text")


@dataclass(frozen=True)
class RuleEvidence:
    """What a rule tagger found in one sentence: its label, the speaker's normalized name, the spans.

    ``spans`` are :class:`models.rules.Evidence` items (kind "cue", "source", "marker" or
    "carry_over", their text and start/end offsets).
    """

    label: str
    normalized_source: str | None = None
    spans: tuple[Evidence, ...] = ()

    @classmethod
    def from_rule(cls, result: RuleResult) -> "RuleEvidence":
        return cls(result.label, result.normalized_source, result.evidence)

    def shifted(self, offset: int) -> "RuleEvidence":
        """The same evidence with offsets moved by ``offset`` (sentence -> article offsets)."""
        if not offset:
            return self
        spans = tuple(Evidence(e.kind, e.text, e.start + offset, e.end + offset) for e in self.spans)
        return RuleEvidence(self.label, self.normalized_source, spans)


def rule_taggers(tasks: Sequence[TaskSpec], gazetteer: Gazetteer | None = None) -> dict:
    """A rule tagger for each of `tasks` that has one (`RULE_TASKS`)."""
    makers = {"source": lambda: SourceRuleTagger(gazetteer), "frame": FrameRuleTagger}
    return {t.name: makers[t.name]() for t in tasks if t.name in RULE_TASKS}


def saved_rule_input(description: dict) -> str:
    """The `rule_input` of a saved tagger's description (tagger.json); older files without it
    read as `features` when they have rule features, else `none`."""
    mode = description.get("rule_input", "features" if description.get("rule_width") else "none")
    if mode not in RULE_INPUTS:
        raise ValueError(f"tagger.json: rule_input {mode!r} is not one of {RULE_INPUTS}")
    return mode


def article_evidence(rules: dict, articles: Sequence[Sequence[str]], max_chars: int) -> list[dict[str, RuleEvidence]]:
    """Rule evidence per sentence, flat in order; each inner sequence is one article's sentences.

    The rules see what the model sees (a text cut at `max_chars`, a prefix, so offsets hold);
    empty sentences are left out of the article, so they neither get nor break a carry-over.
    """
    out: list[dict[str, RuleEvidence]] = []
    for sentences in articles:
        clipped = [clip_text(s, max_chars) for s in sentences]
        kept = [i for i, s in enumerate(clipped) if s.strip()]
        found = {name: tagger.tag([clipped[i] for i in kept]) for name, tagger in rules.items()}
        per_sentence: list[dict[str, RuleEvidence]] = [{} for _ in clipped]
        for k, i in enumerate(kept):
            per_sentence[i] = {name: RuleEvidence.from_rule(results[k]) for name, results in found.items()}
        out.extend(per_sentence)
    return out


def rule_wins(task: TaskSpec, top_probability: float, rule_label: str | None, threshold: float) -> bool:
    """The hybrid's rule: the rule label replaces the model's where the model's top probability is
    below `threshold` and the rules found a label of the task other than its default."""
    return top_probability < threshold and rule_label in task.labels and rule_label != task.default_label


def feature_width(tasks: Sequence[TaskSpec]) -> int:
    """Length of the rule feature vector: one slot per label of each task that has a rule tagger."""
    return sum(len(t.labels) for t in tasks if t.name in RULE_TASKS)


def feature_vector(evidence: dict[str, RuleEvidence], tasks: Sequence[TaskSpec]) -> list[float]:
    """The rule labels as concatenated one-hot vectors (all zeros for a task without a usable rule label)."""
    vector: list[float] = []
    for task in tasks:
        if task.name in RULE_TASKS:
            found = evidence.get(task.name)
            vector.extend(float(found is not None and found.label == label) for label in task.labels)
    return vector


def feature_tensor(items: Sequence[dict], width: int) -> torch.Tensor | None:
    """Rule features of a batch of items (zeros for context-only items); None for a model without them.

    A target item without `rule_features` is an error: the model would read zeros as "the rules found nothing".
    """
    if not width:
        return None
    rows = []
    for index, item in enumerate(items):
        if item["target"] and "rule_features" not in item:
            raise ValueError(f"item {index} has no rule features; encode it with the model's RuleInput (see models.rule_evidence)")
        rows.append(item.get("rule_features") or [0.0] * width)
    return torch.tensor(rows, dtype=torch.float32).reshape(len(items), width)


def hint_text(evidence: dict[str, RuleEvidence], tasks: Sequence[TaskSpec]) -> str:
    """The marked text for `rule_input: text`: per rule task its label in words, for `source`
    also the speaker's normalized name and the cue."""
    parts = []
    for task in tasks:
        found = evidence.get(task.name)
        if task.name not in RULE_TASKS or found is None:
            continue
        words = [found.label.replace("_", " ")]
        if task.name == "source":
            words += [found.normalized_source or ""] + [e.text for e in found.spans if e.kind == "cue"][:1]
        parts.append(f"{task.name}: " + " | ".join(w for w in words if w))
    return " ; ".join(parts)


def insert_hint(item: dict, hint: list[int], sep_id: int, max_length: int) -> None:
    """Put `hint` token ids right after the sentence's [SEP] as token type 1, ahead of any context;
    the input keeps `max_length` tokens, losing context (then hint) tokens from the end. A sentence
    that fills the budget gets no hint."""
    cut = item["token_type_ids"].count(0)  # [CLS] sentence [SEP]
    if not hint or cut + 2 > max_length:
        return
    merged = item["input_ids"][:cut] + hint + [sep_id] + item["input_ids"][cut:]
    if len(merged) > max_length:
        merged = merged[: max_length - 1] + [sep_id]
    item["input_ids"] = merged
    item["token_type_ids"] = [0] * cut + [1] * (len(merged) - cut)


@dataclass(frozen=True)
class RuleInput:
    """How a model reads the rule taggers' findings (`features` or `text`), with the taggers it uses."""

    mode: str
    rules: dict
    tasks: tuple[TaskSpec, ...]

    def __post_init__(self) -> None:
        if self.mode not in RULE_INPUTS[1:]:
            raise ValueError(f"rule input must be one of {RULE_INPUTS[1:]}, got {self.mode!r}")

    @classmethod
    def for_mode(cls, mode: str, tasks: Sequence[TaskSpec], rules: dict | None = None) -> "RuleInput | None":
        """The rule input of a model trained with `rule_input: mode` (None for `none`); `rules`
        defaults to `rule_taggers(tasks)`."""
        return None if mode == "none" else cls(mode, rules if rules is not None else rule_taggers(tasks), tuple(tasks))

    def evidence(self, articles: Sequence[Sequence[str]], max_chars: int) -> list[dict[str, RuleEvidence]]:
        return article_evidence(self.rules, articles, max_chars)

    def attach(self, tokenizer, items: Sequence[dict], evidence: Sequence[dict[str, RuleEvidence]], max_length: int) -> None:
        """Add the rule input to each target item (in order): `rule_features`, or hint tokens in `input_ids`."""
        targets = [item for item in items if item["target"]]
        if len(targets) != len(evidence):
            raise ValueError(f"{len(targets)} target items but evidence for {len(evidence)} sentences")
        if self.mode == "features":
            for item, found in zip(targets, evidence):
                item["rule_features"] = feature_vector(found, self.tasks)
            return
        hints = tokenize(tokenizer, [hint_text(found, self.tasks) for found in evidence], max_chars=10_000)
        for item, hint in zip(targets, hints):
            insert_hint(item, hint, tokenizer.sep_token_id, max_length)
