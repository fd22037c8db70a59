"""Tag sentences and articles with a saved tagger.

    >>> from models.predict import Tagger
    >>> tagger = Tagger.load("outputs/default/model")            # or "models:/source-bias-tagger@champion"
    >>> result = tagger.predict(["The Observatory said 12 civilians were killed."])[0]
    >>> result["source"].label, round(result["source"].probability, 2)
    ('opposition_monitor', 0.93)
    >>> [(s.start, s["frame"].label) for s in tagger.tag_article(article_text)]
    >>> source = tagger.tag_article(article_text)[0].evidence["source"]
    >>> source.label, source.normalized_source, [(e.kind, e.text) for e in source.spans]
    ('opposition_monitor', 'Syrian Observatory for Human Rights', [('cue', 'said'), ('source', 'Syrian Observatory for Human Rights')])

Input rules (the same for every call): an item that is not a string raises `ValueError` naming
its index; an empty or white-space sentence gets each task's default label (`none`, `neutral`)
with probability 1 and the flag `empty`; control characters are replaced by spaces and lone
surrogates by U+FFFD (flag `cleaned`); a text longer than the model's `max_chars` is cut before
tokenizing with a warning (flag `truncated`).

Probabilities are calibrated: each task's logits are divided by the temperature fitted on dev
(`temperatures` in tagger.json, 1.0 when absent). A result whose top probability for a task is
below `uncertain_below` (tagger.json, default 0.5) gets the flag `uncertain_<task>`.
Hybrid: where the model's top probability for a task is below `rule_override_below[task]`
(tagger.json; from `model.rule_override_below`) and the rule tagger found a non-default label,
the rule's label wins and the result gets the flag `rule_<task>`; `probabilities` stay the model's.

Rule input: a model trained with `model.rule_input: features | text` (tagger.json `rule_input`)
also reads the rule taggers' findings for each sentence, built as in training (see
`models.rule_evidence`).

Evidence: next to the model's labels, each result carries what the transparent rule taggers of
`models.rules` found (`evidence["source"]`, `evidence["frame"]`: a :class:`RuleEvidence` with the
rule label, the normalized source name and the spans that decided it: the cue, the source span,
the marker words). Span offsets point into the caller's article text for `tag_article(s)` and
into the sentence for `tag_sentences` and `predict` (where each text is its own one-sentence
article). The source rules use the gazetteer shipped in the model directory (`gazetteer.yaml`),
else the repository's. Empty sentences get no evidence.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from transformers import AutoTokenizer

from models.encoding import ContextWindow, clean_text, encode_article, encode_pairs, flatten
from models.gazetteer import Gazetteer
from models.network import GAZETTEER_FILE, MultiTaskTagger, window_from_metadata
from models.rule_evidence import RuleEvidence, RuleInput, article_evidence, feature_tensor, rule_taggers, rule_wins, saved_rule_input
from models.schema import UNCERTAIN_BELOW, TaskSpec
from models.segment import split_sentences
from models.store import fetch_model_dir

MODEL_ENV = "SOURCE_TAGGER_MODEL"
CONFIG_ENV = "SOURCE_TAGGER_CONFIG"


@dataclass(frozen=True)
class TaskPrediction:
    """One task's answer for one sentence: the label and the probability of every label."""

    label: str
    probabilities: dict[str, float]

    @property
    def probability(self) -> float:
        return self.probabilities[self.label]


@dataclass(frozen=True)
class SentenceResult:
    """The tags of one sentence; `start`/`end` are offsets into the article for `tag_article`.

    `evidence` maps a rule tagger's task (`source`, `frame`) to what it found (see :class:`RuleEvidence`).
    """

    text: str
    tasks: dict[str, TaskPrediction]
    start: int | None = None
    end: int | None = None
    flags: tuple[str, ...] = ()
    evidence: dict[str, RuleEvidence] = field(default_factory=dict)

    def __getitem__(self, task: str) -> TaskPrediction:
        return self.tasks[task]

    def labels(self) -> dict[str, str]:
        return {name: p.label for name, p in self.tasks.items()}


def _clean(text: str) -> tuple[str, tuple[str, ...]]:
    cleaned = clean_text(text)
    return cleaned, (("cleaned",) if cleaned != text else ())


def _check_items(items, what: str, allow_none: bool = False) -> list:
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise ValueError(f"{what} must be a list of strings, got {type(items).__name__}")
    for i, item in enumerate(items):
        if item is None and allow_none:
            continue
        if not isinstance(item, str):
            raise ValueError(f"{what}[{i}] is {type(item).__name__}, expected a string")
    return list(items)


class Tagger:
    """A loaded tagger: a model, its tokenizer, its description and the rule taggers for evidence.

    Args:
        model: the network.
        tokenizer: its tokenizer.
        metadata: the tagger.json description: `context` window, optional `temperatures`
            (task -> temperature) and `uncertain_below`.
        batch_size: sentences per encoder batch.
        gazetteer: the source rules' gazetteer; the repository's default when None.
    """

    def __init__(self, model: MultiTaskTagger, tokenizer, metadata: dict, batch_size: int = 64, gazetteer: Gazetteer | None = None):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.tasks: tuple[TaskSpec, ...] = model.tasks
        self.window: ContextWindow = window_from_metadata(metadata)
        self.batch_size = batch_size
        self.temperatures = {t.name: float((metadata.get("temperatures") or {}).get(t.name, 1.0)) for t in self.tasks}
        if not all(np.isfinite(v) and v > 0 for v in self.temperatures.values()):
            raise ValueError(f"temperatures must be positive numbers, got {self.temperatures}")
        self.uncertain_below = float(metadata.get("uncertain_below", UNCERTAIN_BELOW))
        self.rule_override_below = {k: float(v) for k, v in (metadata.get("rule_override_below") or {}).items()}
        self.rules = rule_taggers(self.tasks, gazetteer)
        mode = saved_rule_input({"rule_width": model.rule_width, **metadata})
        if (mode == "features") != bool(model.rule_width):
            raise ValueError(f"rule_input {mode!r} does not fit a model with {model.rule_width} rule features per sentence")
        self.rule_input = RuleInput.for_mode(mode, self.tasks, self.rules)
        self._tokenizer_lock = threading.Lock()

    @classmethod
    def load(cls, path_or_uri: str | os.PathLike, batch_size: int = 64) -> "Tagger":
        """Load a saved tagger directory or an MLflow model URI (`models:/name@alias`, `runs:/...`)."""
        directory = fetch_model_dir(path_or_uri)
        model, metadata = MultiTaskTagger.load(directory)
        tokenizer = AutoTokenizer.from_pretrained(str(directory), trust_remote_code=False)
        metadata = {**metadata, "path": str(directory)}
        shipped = directory / GAZETTEER_FILE
        gazetteer = Gazetteer.load(shipped) if shipped.is_file() else None
        return cls(model, tokenizer, metadata, batch_size, gazetteer)

    def predict(self, texts: str | Sequence[str], contexts: Sequence[str | None] | None = None) -> list[SentenceResult]:
        """Tag independent sentences, each with an optional context string (a bare string is one sentence)."""
        texts = [texts] if isinstance(texts, str) else _check_items(texts, "texts")
        if contexts is None:
            contexts = [None] * len(texts)
        contexts = _check_items(contexts, "contexts", allow_none=True)
        if len(contexts) != len(texts):
            raise ValueError(f"contexts has {len(contexts)} items but texts has {len(texts)}")
        clean = [_clean(t) for t in texts]
        clean_ctx = [_clean(c)[0] if c else None for c in contexts]
        with self._tokenizer_lock:
            encoded = flatten(encode_pairs(self.tokenizer, [c for c, _ in clean], clean_ctx, self.window))
        return self._results(texts, clean, encoded, self._rule_evidence([[c] for c, _ in clean]))

    def tag_sentences(self, sentences: Sequence[str]) -> list[SentenceResult]:
        """Tag one article given as its sentences in order; context comes from the neighbours."""
        if isinstance(sentences, str):
            raise ValueError("tag_sentences takes a list of sentences; use tag_article for a whole text")
        return self._tag_sentence_lists([_check_items(sentences, "sentences")])

    def tag_article(self, text: str) -> list[SentenceResult]:
        """Segment an article into sentences (offsets kept) and tag them with their context."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a string, got {type(text).__name__}")
        spans = split_sentences(text)
        results = self.tag_sentences([s.text for s in spans])
        return [_with_offsets(r, s.start, s.end) for r, s in zip(results, spans)]

    def tag_articles(self, texts: Sequence[str]) -> list[list[SentenceResult]]:
        """Tag many articles in shared batches (faster than one `tag_article` call each)."""
        texts = _check_items(texts, "texts")
        spans = [split_sentences(t) for t in texts]
        results = iter(self._tag_sentence_lists([[s.text for s in article] for article in spans]))
        return [[_with_offsets(next(results), s.start, s.end) for s in article] for article in spans]

    def _tag_sentence_lists(self, articles: list[list[str]]) -> list[SentenceResult]:
        """Results for several articles' sentences in shared batches, flat in order."""
        clean_by_article = [[_clean(t) for t in article] for article in articles]
        texts_by_article = [[c for c, _ in article] for article in clean_by_article]
        with self._tokenizer_lock:
            encoded = flatten([encode_article(self.tokenizer, texts, self.window) for texts in texts_by_article])
        flat = [t for article in articles for t in article]
        return self._results(flat, [c for article in clean_by_article for c in article], encoded, self._rule_evidence(texts_by_article))

    def _rule_evidence(self, articles: list[list[str]]) -> list[dict[str, RuleEvidence]]:
        """Rule evidence per sentence, flat in order; each inner list is one article's cleaned sentences."""
        return article_evidence(self.rules, articles, self.window.max_chars)

    def _results(self, originals, clean, encoded, evidence: list[dict[str, RuleEvidence]]) -> list[SentenceResult]:
        if self.rule_input is not None:
            with self._tokenizer_lock:
                self.rule_input.attach(self.tokenizer, encoded, evidence, self.window.max_length)
        targets = [i for i, item in enumerate(encoded) if item["target"]]
        probabilities = {name: probs[targets] for name, probs in self.predict_encoded(encoded).items()}
        results = []
        for i, (original, (text, flags)) in enumerate(zip(originals, clean)):
            if len(text) > self.window.max_chars:
                flags = (*flags, "truncated")
            if not text.strip():
                tasks = {t.name: TaskPrediction(t.default_label, {l: float(l == t.default_label) for l in t.labels}) for t in self.tasks}
                results.append(SentenceResult(original, tasks, flags=(*flags, "empty")))
                continue
            tasks = {}
            for task in self.tasks:
                probs = probabilities[task.name][i]
                label = task.labels[int(probs.argmax())]
                rule = evidence[i].get(task.name)
                if rule is not None and rule_wins(task, float(probs.max()), rule.label, self.rule_override_below.get(task.name, 0.0)):
                    label, flags = rule.label, (*flags, f"rule_{task.name}")
                tasks[task.name] = TaskPrediction(label, dict(zip(task.labels, map(float, probs))))
                if float(probs.max()) < self.uncertain_below:
                    flags = (*flags, f"uncertain_{task.name}")
            results.append(SentenceResult(original, tasks, flags=flags, evidence=evidence[i]))
        return results

    def predict_encoded(self, encoded: list[dict]) -> dict[str, np.ndarray]:
        """Calibrated probabilities per task for flat encoder inputs (see `models.encoding.flatten`)."""
        return self.calibrate(self.predict_logits(encoded))

    def calibrate(self, logits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Probabilities from logits per task: softmax(logits / the task's temperature)."""
        out = {}
        for name, values in logits.items():
            scaled = values.astype(np.float32) / np.float32(self.temperatures.get(name, 1.0))
            exp = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
            out[name] = exp / exp.sum(axis=-1, keepdims=True)
        return out

    @torch.inference_mode()
    def predict_logits(self, encoded: list[dict]) -> dict[str, np.ndarray]:
        """Uncalibrated logits per task for flat encoder inputs (see `models.encoding.flatten`).

        Sentence vectors are computed in length-sorted batches with dynamic padding, then the
        heads run once over all of them with each item's neighbours.
        """
        if not encoded:
            return {t.name: np.zeros((0, len(t.labels)), dtype=np.float32) for t in self.tasks}
        pooled = None
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["input_ids"]))
        for start in range(0, len(order), self.batch_size):
            batch_ids = order[start : start + self.batch_size]
            vectors = self.model.pool(**collate([encoded[i] for i in batch_ids], self.tokenizer.pad_token_id))
            if pooled is None:
                pooled = vectors.new_zeros((len(encoded), vectors.shape[1]))
            pooled[batch_ids] = vectors
        logits = self.model.classify(pooled, *neighbour_index(encoded), feature_tensor(encoded, self.model.rule_width))
        return {name: values.float().numpy() for name, values in logits.items()}


def _with_offsets(result: SentenceResult, start: int, end: int) -> SentenceResult:
    """The result placed in its article: sentence offsets and evidence offsets moved by `start`."""
    evidence = {task: found.shifted(start) for task, found in result.evidence.items()}
    return SentenceResult(result.text, result.tasks, start, end, result.flags, evidence)


def results_frame(results: Sequence[SentenceResult], tasks: Sequence[TaskSpec]):
    """Results as a DataFrame: per task a label column and a `<task>_probability` column."""
    import pandas as pd

    columns = {}
    for task in tasks:
        columns[task.name] = [r[task.name].label for r in results]
        columns[f"{task.name}_probability"] = [r[task.name].probability for r in results]
    return pd.DataFrame(columns)


def neighbour_index(items: list[dict]) -> tuple[torch.Tensor, torch.Tensor]:
    """`before`/`after` lists as two index tensors padded with -1."""

    def pad(lists: list[list[int]]) -> torch.Tensor:
        width = max((len(x) for x in lists), default=0)
        return torch.tensor([x + [-1] * (width - len(x)) for x in lists], dtype=torch.long).reshape(len(lists), width)

    return pad([item["before"] for item in items]), pad([item["after"] for item in items])


def collate(items: list[dict], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch's token inputs to its longest item."""
    width = max(len(item["input_ids"]) for item in items)
    input_ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    token_type_ids = torch.zeros((len(items), width), dtype=torch.long)
    attention_mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, item in enumerate(items):
        n = len(item["input_ids"])
        input_ids[row, :n] = torch.tensor(item["input_ids"])
        token_type_ids[row, :n] = torch.tensor(item["token_type_ids"])
        attention_mask[row, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


_LOADED: dict[str, Tagger] = {}
_LOAD_LOCK = threading.Lock()


def default_model_location(model: str | os.PathLike | None = None) -> str:
    """Which model `predict` uses: the argument, $SOURCE_TAGGER_MODEL, the config's output, the registry's champion."""
    if model is not None:
        return str(model)
    if os.environ.get(MODEL_ENV):
        return os.environ[MODEL_ENV]
    config_path = os.environ.get(CONFIG_ENV, str(Path(__file__).resolve().parents[1] / "configs" / "default.yaml"))
    registered = "source-bias-tagger"
    if Path(config_path).is_file():
        from training.config import load_config

        cfg = load_config(config_path)
        saved = cfg.resolve_path(cfg.train.output_dir) / "model"
        if (saved / "tagger.json").is_file():
            return str(saved)
        registered = cfg.tracking.registered_model or registered
    return f"models:/{registered}@champion"


def predict(texts: str | Sequence[str], contexts: Sequence[str | None] | None = None, model: str | os.PathLike | None = None) -> list[SentenceResult]:
    """Tag sentences with a model chosen by :func:`default_model_location` (loaded once, then cached)."""
    location = default_model_location(model)
    with _LOAD_LOCK:
        if location not in _LOADED:
            _LOADED[location] = Tagger.load(location)
    return _LOADED[location].predict(texts, contexts)
