"""FA-KES real-article annotations: references, hashing, the article split, and the join.

The corpus text may not be committed, so annotations are stored as references: ``unit_id``,
``article_hash``, sentence offsets, ``sentence_hash`` and labels. :func:`join_annotations`
rebuilds the sentences from a FA-KES CSV that the user passes, and fails on any hash mismatch.

Hashes: ``article_hash`` is the first 16 hex digits of SHA-256 over the UTF-8 bytes of the
``article_content`` cell exactly as the CSV holds it; ``sentence_hash`` is the first 16 hex
digits of SHA-256 over the UTF-8 bytes of ``article_content[start:end]``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

from models.segment import split_sentences
from training.data import group_shared_sentences

SPLITS = ("real-train", "real-dev", "real-test")
SPLIT_SHARES = (0.6, 0.2, 0.2)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_fakes_csv(path: str | Path) -> list[dict]:
    """Read a FA-KES CSV into row dicts, with a clear error for a missing file or column."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FA-KES CSV not found: {path}")
    csv.field_size_limit(10**8)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    needed = {"unit_id", "article_content", "source"}
    if not rows or not needed <= set(rows[0]):
        raise ValueError(f"{path}: expected FA-KES columns {sorted(needed)}")
    for row in rows:
        row["article_hash"] = text_hash(row["article_content"])
    return rows


def wire_groups(articles: list[dict]) -> dict[str, int]:
    """Group articles that share a sentence (wire copy); returns article key -> group id."""
    return group_shared_sentences(
        {article_key(a): [span.text for span in split_sentences(a["article_content"])] for a in articles}
    )


def article_key(article: dict) -> str:
    return f"{article['unit_id']}:{article['article_hash']}"


def assign_splits(articles: list[dict], seed: int = 13) -> dict[str, str]:
    """Split by article, stratified by outlet, keeping each wire-copy group in one split.

    Within each outlet the groups are shuffled with ``seed`` and cut 60/20/20 by count; an
    outlet with three or more groups puts at least one in each split.
    """
    groups = wire_groups(articles)
    members: dict[int, list[dict]] = defaultdict(list)
    for art in articles:
        members[groups[article_key(art)]].append(art)
    by_outlet: dict[str, list[int]] = defaultdict(list)
    for gid, arts in sorted(members.items()):
        by_outlet[arts[0]["source"]].append(gid)
    rng = random.Random(seed)
    assignment = {}
    for outlet in sorted(by_outlet):
        gids = by_outlet[outlet]
        rng.shuffle(gids)
        n = len(gids)
        n_dev = max(1, round(n * SPLIT_SHARES[1])) if n >= 3 else 0
        n_test = max(1, round(n * SPLIT_SHARES[2])) if n >= 3 else 0
        n_train = n - n_dev - n_test
        for i, gid in enumerate(gids):
            split = SPLITS[0] if i < n_train else SPLITS[1] if i < n_train + n_dev else SPLITS[2]
            for art in members[gid]:
                assignment[article_key(art)] = split
    return assignment


def select_articles(rows: list[dict], target: int = 135, seed: int = 7) -> list[dict]:
    """Pick distinct articles for annotation, spread over every outlet (flattened shares)."""
    distinct = {article_key(r): r for r in rows if 3 <= len(split_sentences(r["article_content"])) <= 30}
    by_outlet: dict[str, list[dict]] = defaultdict(list)
    for art in distinct.values():
        by_outlet[art["source"]].append(art)
    total = sum(len(v) for v in by_outlet.values())
    flat = 3 * len(by_outlet)
    rng = random.Random(seed)
    chosen = []
    for outlet in sorted(by_outlet):
        arts = sorted(by_outlet[outlet], key=article_key)
        rng.shuffle(arts)
        quota = 3 + round((target - flat) * len(arts) / total)
        chosen.extend(arts[:quota])
    return chosen


def sentence_references(article: dict) -> list[dict]:
    """The committed reference of each sentence of an article (no text)."""
    return [
        {
            "unit_id": article["unit_id"],
            "article_hash": article["article_hash"],
            "sentence_index": i,
            "start": span.start,
            "end": span.end,
            "sentence_hash": text_hash(span.text),
        }
        for i, span in enumerate(split_sentences(article["article_content"]))
    ]


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def join_annotations(annotations_dir: str | Path, csv_path: str | Path, labels_file: str = "labels.jsonl") -> list[dict]:
    """Rebuild labelled sentences from committed references and a FA-KES CSV given by path.

    Returns rows in the training format (`article_id`, `sentence_index`, `text`, the task
    columns, `split`, `outlet`). Raises ValueError naming the article or sentence whose hash does
    not match, so a different corpus version never joins silently.
    """
    annotations_dir = Path(annotations_dir)
    articles = {(a["unit_id"], a["article_hash"]): a for a in _read_jsonl(annotations_dir / "articles.jsonl")}
    labels = {(r["unit_id"], r["article_hash"], r["sentence_index"]): r for r in _read_jsonl(annotations_dir / labels_file)}
    texts = {(r["unit_id"], r["article_hash"]): r["article_content"] for r in read_fakes_csv(csv_path)}
    rows = []
    for ref in _read_jsonl(annotations_dir / "sentences.jsonl"):
        key = (ref["unit_id"], ref["article_hash"])
        if key not in texts:
            raise ValueError(f"{csv_path}: no article with unit_id={key[0]} and article_hash={key[1]} (is this the FA-KES CSV?)")
        sentence = texts[key][ref["start"] : ref["end"]]
        if text_hash(sentence) != ref["sentence_hash"]:
            raise ValueError(f"unit_id={key[0]} sentence {ref['sentence_index']}: text hash mismatch; the CSV differs from the annotated version")
        label = labels.get((*key, ref["sentence_index"]))
        if label is None:
            continue
        rows.append(
            {
                "article_id": f"fakes-{key[0]}-{key[1][:6]}",
                "sentence_index": ref["sentence_index"],
                "text": sentence,
                "source": label["source"],
                "frame": label["frame"],
                "split": articles[key]["split"],
                "outlet": articles[key]["outlet"],
            }
        )
    return rows
