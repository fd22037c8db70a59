"""Labelled data: read, validate, split and encode.

A labelled file (JSONL, CSV or Parquet) has one row per sentence: `text`, a column per task,
and `article_id` + `sentence_index` (the context is built from the article's neighbours) or an
explicit `context` column. An optional `split` column fixes each row's split; rows without one
are drawn by article with a fixed seed, and articles that share a sentence (wire copy) always
land in the same split. Errors name the file and the row.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from models.schema import TaskSpec

READERS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
SHARED_SENTENCE_MIN_WORDS = 8
LEAKAGE_MIN_WORDS = 5
META_COLUMNS = ("_file", "_row")


class DataError(ValueError):
    """Labelled data that cannot be used; the message names the file and row."""


def _read_jsonl(path: Path) -> pd.DataFrame:
    records, rows = [], []
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}: line {line_no}, column {error.colno}: invalid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise DataError(f"{path}: line {line_no}: expected a JSON object, got {type(record).__name__}")
            records.append(record)
            rows.append(line_no)
    frame = pd.DataFrame.from_records(records)
    frame["_row"] = rows
    return frame


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a labelled file; `_row` holds the line (JSONL, CSV) or row number (Parquet)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{path}: unsupported format {path.suffix!r}; use one of {sorted(READERS)}")
    try:
        if kind == "jsonl":
            frame = _read_jsonl(path)
        elif kind == "csv":
            frame = pd.read_csv(path, dtype=object, keep_default_na=False, na_values=[""])
            frame["_row"] = range(2, len(frame) + 2)
        else:
            frame = pd.read_parquet(path)
            frame["_row"] = range(1, len(frame) + 1)
    except DataError:
        raise
    except Exception as error:  # parsers raise many types; the user needs the file named
        raise DataError(f"{path}: cannot be read as {kind}: {error}") from None
    if frame.empty or len(frame.columns) <= 1:
        raise DataError(f"{path}: the file has no rows")
    frame["_file"] = str(path)
    return frame


def _where(row) -> str:
    return f"{row['_file']}: row {row['_row']}"


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def validate_rows(frame: pd.DataFrame, tasks: Sequence[TaskSpec], source: str) -> None:
    """Check columns, texts, labels and ids of one file; raise DataError at the first problem."""
    if "text" not in frame.columns:
        raise DataError(f"{source}: missing column 'text' (columns: {sorted(c for c in frame.columns if c not in META_COLUMNS)})")
    has_article = {"article_id", "sentence_index"} <= set(frame.columns)
    if not has_article and "context" not in frame.columns:
        raise DataError(f"{source}: needs columns 'article_id' and 'sentence_index', or a 'context' column")
    if not any(t.name in frame.columns for t in tasks):
        raise DataError(f"{source}: no task column; expected one of {[t.name for t in tasks]}")
    for _, row in frame.iterrows():
        text = row["text"]
        if is_missing(text) or not isinstance(text, str):
            raise DataError(f"{_where(row)}: column 'text' is {'missing' if is_missing(text) else type(text).__name__}, expected a string")
        if not text.strip():
            raise DataError(f"{_where(row)}: column 'text' is empty")
        for task in tasks:
            if task.name in frame.columns:
                label = row[task.name]
                if not is_missing(label) and label not in task.labels:
                    raise DataError(f"{_where(row)}: unknown {task.name} label {label!r}; allowed: {list(task.labels)}")
    if has_article:
        if frame["article_id"].map(is_missing).any() or frame["sentence_index"].map(is_missing).any():
            bad = frame[frame["article_id"].map(is_missing) | frame["sentence_index"].map(is_missing)].iloc[0]
            raise DataError(f"{_where(bad)}: 'article_id' and 'sentence_index' must both be set")
        try:
            frame["sentence_index"] = frame["sentence_index"].map(int)
        except (TypeError, ValueError):
            raise DataError(f"{source}: 'sentence_index' must hold whole numbers") from None
        frame["article_id"] = frame["article_id"].map(str)
        dup = frame.duplicated(["article_id", "sentence_index"], keep="first")
        if dup.any():
            row = frame[dup].iloc[0]
            raise DataError(f"{_where(row)}: duplicate id (article_id={row['article_id']!r}, sentence_index={row['sentence_index']})")


def normalize_text(text: str) -> str:
    return " ".join(text.lower().split())


def group_shared_sentences(articles: dict[str, Iterable[str]], min_words: int = SHARED_SENTENCE_MIN_WORDS) -> dict[str, int]:
    """Group articles that share a sentence of `min_words` or more words; article key -> group id."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    holder: dict[str, str] = {}
    for key, sentences in articles.items():
        find(key)
        for sentence in sentences:
            norm = normalize_text(sentence)
            if len(norm.split()) < min_words:
                continue
            if norm in holder:
                parent[find(key)] = find(holder[norm])
            else:
                holder[norm] = key
    roots: dict[str, int] = {}
    return {key: roots.setdefault(find(key), len(roots)) for key in parent}


def assign_auto_splits(frame: pd.DataFrame, seed: int, dev_fraction: float, test_fraction: float) -> pd.DataFrame:
    """Fill empty `split` cells by article (wire-copy groups kept together) with a fixed seed."""
    if "split" not in frame.columns:
        frame["split"] = None
    todo = frame["split"].map(is_missing)
    if not todo.any():
        return frame
    keys = frame.loc[todo, "article_id"] if "article_id" in frame.columns else frame.loc[todo].index.map(str)
    texts: dict[str, list[str]] = defaultdict(list)
    for key, text in zip(keys, frame.loc[todo, "text"]):
        texts[str(key)].append(text)
    groups = group_shared_sentences(texts)
    group_ids = sorted(set(groups.values()))
    random.Random(seed).shuffle(group_ids)
    n_test = max(1, round(len(group_ids) * test_fraction))
    n_dev = max(1, round(len(group_ids) * dev_fraction))
    split_of = {g: "test" if i < n_test else "dev" if i < n_test + n_dev else "train" for i, g in enumerate(group_ids)}
    frame.loc[todo, "split"] = [split_of[groups[str(k)]] for k in keys]
    return frame


def check_leakage(frame: pd.DataFrame, train_splits: Sequence[str], eval_splits: Sequence[str]) -> None:
    """Fail when a sentence text of a training split also appears in an evaluation split.

    Texts under LEAKAGE_MIN_WORDS words are exempt: credit lines and page furniture ("Read also",
    "Source: TRT World and Agencies") recur in every article of an outlet and carry no content.
    """
    train_texts = {}
    for _, row in frame[frame["split"].isin(train_splits)].iterrows():
        train_texts.setdefault(normalize_text(row["text"]), row)
    for _, row in frame[frame["split"].isin(eval_splits)].iterrows():
        text = normalize_text(row["text"])
        other = train_texts.get(text) if len(text.split()) >= LEAKAGE_MIN_WORDS else None
        if other is not None:
            raise DataError(
                f"{_where(row)} ({row['split']}): the same sentence is in training split {other['split']!r} at {_where(other)}"
            )


def warn_missing_labels(frame: pd.DataFrame, tasks: Sequence[TaskSpec], split: str) -> list[str]:
    """Warn (and return the messages) for labels with no example in an evaluation split."""
    messages = []
    part = frame[frame["split"] == split]
    for task in tasks:
        if task.name not in part.columns or part[task.name].map(is_missing).all():
            continue
        present = set(part[task.name].dropna())
        for label in task.labels:
            if label not in present:
                messages.append(f"split {split!r}: {task.name} label {label!r} has no examples")
    for message in messages:
        warnings.warn(message, stacklevel=2)
    return messages


def frame_digest(frame: pd.DataFrame, tasks: Sequence[TaskSpec]) -> str:
    """A content digest of rows (text, ids and labels), independent of file paths."""
    columns = [c for c in ("article_id", "sentence_index", "context", "text", *[t.name for t in tasks]) if c in frame.columns]
    payload = frame[columns].astype(str).to_csv(index=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def article_groups(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """Rows grouped into articles in sentence order; rows with explicit context stand alone."""
    if "article_id" not in frame.columns:
        return [frame.iloc[[i]] for i in range(len(frame))]
    return [g.sort_values("sentence_index") for _, g in frame.groupby("article_id", sort=False)]


def split_rows(frame: pd.DataFrame) -> tuple[list[pd.DataFrame], pd.DataFrame, list[str | None]]:
    """(articles, loose rows, their contexts): rows with `article_id` grouped into articles in
    sentence order; the other rows stand alone, each with its `context` (None where missing)."""
    with_article = frame["article_id"].notna() if "article_id" in frame.columns else pd.Series(False, index=frame.index)
    loose = frame[~with_article]
    contexts = [None if is_missing(c) else c for c in loose["context"]] if "context" in loose.columns else [None] * len(loose)
    return article_groups(frame[with_article]), loose, contexts


def encode_rows(frame: pd.DataFrame, tokenizer, window, tasks: Sequence[TaskSpec], rule_input=None) -> list[list[dict]]:
    """Encoder input groups for a frame; each target item carries `row` (its position), `labels` (-100 = missing) and `weight`.

    Rows with `article_id` form one group per article and take their context from their
    neighbours (as `Tagger.tag_sentences`); rows with an explicit `context` form a group each
    (as `Tagger.predict`). Texts are cleaned as `Tagger` cleans them. With a `models.rule_evidence.RuleInput` (a model that reads the rule
    taggers' findings), each target item also gets that input, found the way `Tagger` finds it.
    """
    from models.encoding import clean_text, encode_article, encode_pairs

    position = {index: i for i, index in enumerate(frame.index)}
    articles, loose, contexts = split_rows(frame)
    groups: list[list[dict]] = []
    labelled: list[tuple[dict, object]] = []
    for article in articles:
        texts = [clean_text(t) for t in article["text"]]
        items = encode_article(tokenizer, texts, window)
        if rule_input is not None:
            rule_input.attach(tokenizer, items, rule_input.evidence([texts], window.max_chars), window.max_length)
        labelled += list(zip(items, article.index))
        groups.append(items)
    if len(loose):
        texts = [clean_text(t) for t in loose["text"]]
        contexts = [None if c is None else clean_text(c) for c in contexts]
        for index, text, group in zip(loose.index, texts, encode_pairs(tokenizer, texts, contexts, window)):
            if rule_input is not None:
                rule_input.attach(tokenizer, group, rule_input.evidence([[text]], window.max_chars), window.max_length)
            labelled.append((group[0], index))
            groups.append(group)
    for item, index in labelled:
        row = frame.loc[index]
        item["row"] = position[index]
        item["labels"] = [
            task.labels.index(row[task.name]) if task.name in frame.columns and not is_missing(row[task.name]) else -100
            for task in tasks
        ]
        item["weight"] = float(row["weight"]) if "weight" in frame.columns and not is_missing(row["weight"]) else 1.0
    return groups


def pack_groups(groups: list[list[dict]], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffle groups with `seed` and pack whole groups into batches of about `batch_size` items."""
    import torch

    order = torch.randperm(len(groups), generator=torch.Generator().manual_seed(seed)).tolist()
    batches, current, size = [], [], 0
    for g in order:
        current.append(g)
        size += len(groups[g])
        if size >= batch_size:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches
