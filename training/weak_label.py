"""Weak supervision: silver labels from the rule taggers for unlabelled articles.

:func:`weak_label` reads a CSV of articles, splits each into sentences, tags them with
:class:`~models.rules.SourceRuleTagger` and :class:`~models.rules.FrameRuleTagger`, and writes one
JSONL row per sentence in the training format (``article_id``, ``sentence_index``, ``text``,
``source``, ``frame``) plus the evidence behind each label. A config mixes the file with gold data
through a `data.files` entry with a `weight` (see ``configs/fakes_silver.yaml``).

Silver rows must never describe an article that is evaluated. With ``exclude_annotated`` (the
FA-KES annotations folder), every annotated article is dropped, and so is every article that
shares a sentence with a real-dev or real-test article (wire copy). The shared-sentence threshold
is the one :func:`training.data.check_leakage` enforces, so a config that mixes the silver file
with the FA-KES splits loads.

Example:
    >>> result = weak_label("fa-kes-dev.csv", "article_content", "silver.jsonl", id_column="unit_id",
    ...                     exclude_annotated="data/fakes")
    >>> result.meta_path.name
    'silver.jsonl.meta.json'
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from models.gazetteer import Gazetteer
from models.rules import FrameRuleTagger, RuleResult, SourceRuleTagger
from models.schema import CODEBOOK_VERSION
from models.segment import split_sentences
from training.data import LEAKAGE_MIN_WORDS, DataError, normalize_text
from training.fakes import text_hash

DEFAULT_ANNOTATIONS = Path(__file__).resolve().parents[1] / "data" / "fakes"
EVALUATED_SPLITS = ("real-dev", "real-test")
# Shorter shared sentences ("Read also", credit lines) recur across an outlet and carry no content;
# longer ones would fail check_leakage when silver rows train next to the real evaluation splits.
OVERLAP_MIN_WORDS = LEAKAGE_MIN_WORDS
SCHEMA = {
    "article_id": "silver-<id>-<first 6 hex of article_hash>, or silver-<article_hash> without an id column",
    "sentence_index": "int, position of the sentence in its article",
    "text": "the sentence, exactly article[start:end]",
    "start": "int, character offset of the sentence into the article cell",
    "end": "int, exclusive",
    "source": "SourceRuleTagger label (codebook source)",
    "frame": "FrameRuleTagger label (codebook frame)",
    "source_evidence": "list of {kind, text, start, end}; offsets into `text` (the sentence)",
    "frame_evidence": "list of {kind, text, start, end}; offsets into `text` (the sentence)",
    "normalized_source": "the gazetteer's name for the speaker, or null",
}


@dataclass(frozen=True)
class Article:
    """One input article: its id cell (None without an id column), text, hash and CSV line."""

    id: str | None
    text: str
    hash: str
    line: int


@dataclass
class WeakLabelResult:
    """What :func:`weak_label` wrote and what it left out (counts of articles by reason)."""

    output: Path
    meta_path: Path
    rows: int
    articles: int
    excluded: dict[str, int] = field(default_factory=dict)
    label_counts: dict[str, dict[str, int]] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_articles(path: str | Path, text_column: str, id_column: str | None = None) -> list[Article]:
    """Read the articles of a CSV; each cell is kept exactly as written, so hashes match FA-KES.

    Args:
        path: a CSV with a header row.
        text_column: the column holding the article text.
        id_column: the column holding an article id; None for no id.

    Raises:
        FileNotFoundError: the file does not exist.
        DataError: the file is empty or lacks a named column; the message names both.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    csv.field_size_limit(10**8)  # FA-KES cells hold whole articles
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        for role, column in (("--text-column", text_column), ("--id-column", id_column)):
            if column is not None and column not in columns:
                raise DataError(f"{path}: no column {column!r} (given as {role}); columns: {columns}")
        articles = []
        for record in reader:
            text = record[text_column] or ""
            articles.append(Article(record[id_column] if id_column else None, text, text_hash(text), reader.line_num))
    if not articles:
        raise DataError(f"{path}: the file has no rows")
    return articles


def looks_like_fakes(path: str | Path) -> bool:
    """Whether a CSV's header has FA-KES's ``unit_id`` column (False when it cannot be read)."""
    try:
        with Path(path).open(encoding="utf-8", newline="") as f:
            return "unit_id" in next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError):
        return False


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise FileNotFoundError(f"annotations file not found: {path} (is --exclude-annotated the FA-KES annotations folder?)")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _long(sentence: str) -> bool:
    return len(sentence.split()) >= OVERLAP_MIN_WORDS


class _Exclusion:
    """Which input articles may not become silver data, given a FA-KES annotations folder.

    Evaluated sentences are known two ways: by ``sentence_hash`` from ``sentences.jsonl`` (exact
    text, needs no corpus), and by normalised text where the input holds the evaluated article.
    """

    def __init__(self, annotations_dir: Path, articles: list[Article]):
        annotated = _read_jsonl(annotations_dir / "articles.jsonl")
        self.annotated_hashes = {a["article_hash"] for a in annotated}
        evaluated = {(a["unit_id"], a["article_hash"]) for a in annotated if a["split"] in EVALUATED_SPLITS}
        refs = [r for r in _read_jsonl(annotations_dir / "sentences.jsonl") if (r["unit_id"], r["article_hash"]) in evaluated]
        self.sentence_hashes = {r["sentence_hash"] for r in refs}
        evaluated_hashes = {h for _, h in evaluated}
        self.sentence_texts = {
            normalize_text(span.text)
            for article in articles
            if article.hash in evaluated_hashes
            for span in split_sentences(article.text)
            if _long(span.text)
        }

    def reason(self, article: Article, sentences: list[str]) -> str | None:
        """``"annotated"``, ``"shares_evaluated_sentence"`` or None (the article may be used)."""
        if article.hash in self.annotated_hashes:
            return "annotated"
        for sentence in filter(_long, sentences):
            if text_hash(sentence) in self.sentence_hashes or normalize_text(sentence) in self.sentence_texts:
                return "shares_evaluated_sentence"
        return None


def _evidence(result: RuleResult) -> list[dict]:
    return [asdict(e) for e in result.evidence]


def label_sentences(sentences: list[str], source_tagger: SourceRuleTagger, frame_tagger: FrameRuleTagger) -> list[dict]:
    """Silver labels and evidence for the sentences of one article, in order."""
    sources = source_tagger.tag(sentences)
    frames = frame_tagger.tag(sentences)
    return [
        {
            "source": s.label,
            "frame": f.label,
            "source_evidence": _evidence(s),
            "frame_evidence": _evidence(f),
            "normalized_source": s.normalized_source,
        }
        for s, f in zip(sources, frames)
    ]


def _write_atomically(path: Path, lines) -> None:
    """Write text lines to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # open() rather than mkstemp: the file gets the user's usual permissions, not 0600.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            for line in lines:
                f.write(line)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def weak_label(
    input_path: str | Path,
    text_column: str,
    output: str | Path,
    id_column: str | None = None,
    exclude_annotated: str | Path | None = None,
    gazetteer: Gazetteer | None = None,
) -> WeakLabelResult:
    """Tag every sentence of a CSV's articles with the rule taggers and write silver JSONL.

    Articles with an empty text, and repeats of an identical text, are skipped. The output and
    its sidecar ``<output>.meta.json`` are each written to a temporary file and renamed, so an
    interrupted run never leaves a partial file under the final name.

    Args:
        input_path: a CSV of unlabelled articles.
        text_column: the column holding the article text.
        output: the JSONL file to write.
        id_column: the column holding an article id (FA-KES: ``unit_id``); None for no id.
        exclude_annotated: a FA-KES annotations folder (``articles.jsonl``, ``sentences.jsonl``):
            drop its articles and every article sharing a sentence with its real-dev or real-test
            articles. None keeps every article.
        gazetteer: resolves speakers; the default gazetteer when None.

    Returns:
        A :class:`WeakLabelResult` with the counts written to the sidecar.

    Raises:
        FileNotFoundError: the input or an annotations file does not exist.
        DataError: the input lacks a named column or has no rows.
    """
    input_path, output = Path(input_path), Path(output)
    articles = read_articles(input_path, text_column, id_column)
    gazetteer = gazetteer if gazetteer is not None else Gazetteer.load()
    exclusion = _Exclusion(Path(exclude_annotated), articles) if exclude_annotated is not None else None
    source_tagger, frame_tagger = SourceRuleTagger(gazetteer), FrameRuleTagger()

    rows: list[dict] = []
    excluded: Counter[str] = Counter()
    seen: set[str] = set()
    n_articles = 0
    for article in articles:
        if not article.text.strip():
            excluded["empty_text"] += 1
            continue
        if article.hash in seen:
            excluded["duplicate_text"] += 1
            continue
        seen.add(article.hash)
        spans = split_sentences(article.text)
        sentences = [span.text for span in spans]
        reason = exclusion.reason(article, sentences) if exclusion is not None else None
        if reason is not None:
            excluded[reason] += 1
            continue
        article_id = f"silver-{article.id}-{article.hash[:6]}" if article.id is not None else f"silver-{article.hash}"
        n_articles += 1
        for index, (span, labels) in enumerate(zip(spans, label_sentences(sentences, source_tagger, frame_tagger))):
            rows.append({"article_id": article_id, "sentence_index": index, "text": span.text,
                         "start": span.start, "end": span.end, **labels})

    label_counts = {task: dict(Counter(row[task] for row in rows).most_common()) for task in ("source", "frame")}
    _write_atomically(output, (json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    meta_path = output.with_name(output.name + ".meta.json")
    meta = {
        "codebook_version": CODEBOOK_VERSION,
        "labels": "silver: SourceRuleTagger and FrameRuleTagger (models/rules.py), not human annotation",
        "gazetteer": {"version": gazetteer.version, "entries": len(gazetteer)},
        "schema": SCHEMA,
        "input": {"path": str(input_path), "sha256": _sha256(input_path), "text_column": text_column,
                  "id_column": id_column, "articles": len(articles)},
        "exclude_annotated": str(exclude_annotated) if exclude_annotated is not None else None,
        "overlap_min_words": OVERLAP_MIN_WORDS if exclusion is not None else None,
        "excluded": dict(sorted(excluded.items())),
        "articles": n_articles,
        "rows": len(rows),
        "label_counts": label_counts,
    }
    _write_atomically(meta_path, [json.dumps(meta, indent=2, ensure_ascii=False) + "\n"])
    return WeakLabelResult(output, meta_path, len(rows), n_articles, dict(excluded), label_counts)
