"""The datasheet's figures: computed from the data files by one command, never typed by hand.

`compute_figures` counts the bundled corpus and the FA-KES annotations, measures how varied the
text is, how well the two annotation passes agree, and what the source gazetteer covers.
`write_datasheet` stores the figures in ``data/datasheet_figures.json`` and renders them into the
figures block of ``data/DATASHEET.md``; a test recomputes them and fails when the committed ones
differ. Every figure is deterministic and rounded to 4 decimals.

Diversity figures all work on the distinct sentences: texts are normalised (lower-cased, white
space collapsed, `training.data.normalize_text`), exact repeats dropped, and split into words at
white space. On that set:

- ``words_per_sentence``: the mean number of words (for reading the 3-gram figure).
- ``trigrams_per_sentence``: distinct word 3-grams over the whole set / number of sentences.
- ``shared_opening_share``: share of sentences whose first four words also open another
  sentence (sentences under four words never count as shared).
- ``near_duplicate_share``: share of sentences that have another sentence whose word-3-gram
  Jaccard similarity is at least ``NEAR_DUPLICATE_JACCARD``.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from models.schema import CODEBOOK_VERSION, DEFAULT_TASKS
from training.data import normalize_text, read_table, validate_rows

FIGURES_FILE = Path("data/datasheet_figures.json")
DATASHEET_FILE = Path("data/DATASHEET.md")
CORPUS_FILE = Path("data/corpus/corpus.jsonl")
FAKES_DIR = Path("data/fakes")
START_MARKER = "<!-- figures:start -->"
END_MARKER = "<!-- figures:end -->"
NEAR_DUPLICATE_JACCARD = 0.7
OPENING_WORDS = 4
CORPUS_SPLITS = ("train", "dev", "test")
FAKES_SPLITS = ("real-train", "real-dev", "real-test")
TASK_NAMES = tuple(task.name for task in DEFAULT_TASKS)
LABELS = {task.name: task.labels for task in DEFAULT_TASKS}
DIGITS = 4


# --- diversity ----------------------------------------------------------------------------


def distinct_sentences(texts: Iterable[str]) -> list[str]:
    """Normalised texts with exact repeats (and empty texts) dropped, first occurrence kept."""
    return [t for t in dict.fromkeys(normalize_text(text) for text in texts) if t]


def word_trigrams(sentence: str) -> set[tuple[str, str, str]]:
    words = sentence.split()
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def trigrams_per_sentence(sentences: Sequence[str]) -> float:
    """Distinct word 3-grams over all ``sentences`` divided by their number."""
    if not sentences:
        return 0.0
    grams = set()
    for sentence in sentences:
        grams |= word_trigrams(sentence)
    return len(grams) / len(sentences)


def shared_opening_share(sentences: Sequence[str], n_words: int = OPENING_WORDS) -> float:
    """Share of ``sentences`` whose first ``n_words`` words also open another sentence."""
    if not sentences:
        return 0.0
    openings = [tuple(s.split()[:n_words]) for s in sentences]
    counts = Counter(o for o in openings if len(o) == n_words)
    return sum(len(o) == n_words and counts[o] > 1 for o in openings) / len(sentences)


def near_duplicate_share(sentences: Sequence[str], threshold: float = NEAR_DUPLICATE_JACCARD) -> float:
    """Share of ``sentences`` with another whose word-3-gram Jaccard similarity is >= ``threshold``.

    Exact: candidate pairs come from prefix filtering (two sets with Jaccard >= t share a 3-gram
    among the rarest ``|A| - ceil(t |A|) + 1`` of either) and every candidate is verified, so the
    result equals the all-pairs comparison without its quadratic cost on long texts.
    """
    if not sentences:
        return 0.0
    gram_sets = [word_trigrams(s) for s in sentences]
    frequency = Counter(g for grams in gram_sets for g in grams)
    index: dict[tuple, list[int]] = defaultdict(list)
    has_near = [False] * len(sentences)
    for i, grams in enumerate(gram_sets):
        if not grams:
            continue
        ordered = sorted(grams, key=lambda g: (frequency[g], g))
        prefix = ordered[: len(ordered) - math.ceil(threshold * len(ordered) - 1e-9) + 1]
        candidates = {j for g in prefix for j in index[g]}
        for j in candidates:
            other = gram_sets[j]
            if len(grams & other) >= threshold * len(grams | other) - 1e-9:
                has_near[i] = has_near[j] = True
        for g in prefix:
            index[g].append(i)
    return sum(has_near) / len(sentences)


def diversity(texts: Iterable[str]) -> dict:
    """The three diversity figures of a set of sentences (see the module docstring)."""
    sentences = distinct_sentences(texts)
    return {
        "distinct_sentences": len(sentences),
        "words_per_sentence": round(sum(len(s.split()) for s in sentences) / len(sentences), DIGITS) if sentences else 0.0,
        "trigrams_per_sentence": round(trigrams_per_sentence(sentences), DIGITS),
        "shared_opening_share": round(shared_opening_share(sentences), DIGITS),
        "near_duplicate_share": round(near_duplicate_share(sentences), DIGITS),
    }


# --- counting helpers ---------------------------------------------------------------------


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _label_counts(rows: Iterable[dict], task: str) -> dict[str, int]:
    counts = Counter(row[task] for row in rows)
    return {label: counts.get(label, 0) for label in LABELS[task]}


def _share(part: int, whole: int) -> float:
    return round(part / whole, DIGITS) if whole else 0.0


# --- the three data sets ------------------------------------------------------------------


def corpus_figures(repo_root: Path) -> dict:
    path = repo_root / CORPUS_FILE
    frame = read_table(path)
    validate_rows(frame, DEFAULT_TASKS, str(path))
    rows = frame.drop(columns=["_file", "_row"]).to_dict("records")
    by_split = {split: [r for r in rows if r["split"] == split] for split in CORPUS_SPLITS}
    return {
        "articles": len({r["article_id"] for r in rows}),
        "sentences": len(rows),
        "splits": {
            split: {"articles": len({r["article_id"] for r in part}), "sentences": len(part)}
            for split, part in by_split.items()
        },
        "labels": {
            task: {"all": _label_counts(rows, task), **{split: _label_counts(part, task) for split, part in by_split.items()}}
            for task in TASK_NAMES
        },
        **{
            column: {
                value: {
                    "articles": len({r["article_id"] for r in rows if r[column] == value}),
                    "sentences": sum(r[column] == value for r in rows),
                }
                for value in sorted({r[column] for r in rows})
            }
            for column in ("conflict", "style")
        },
        "diversity": diversity(r["text"] for r in rows),
    }


def agreement(pass_a: list[dict], pass_b: list[dict], adjudication: list[dict]) -> dict:
    """Cohen's kappa, raw agreement and adjudicated disagreements per task between two passes."""
    from sklearn.metrics import cohen_kappa_score

    key = lambda r: (r["unit_id"], r["article_hash"], r["sentence_index"])  # noqa: E731
    b_by_key = {key(r): r for r in pass_b}
    pairs = [(a, b_by_key[key(a)]) for a in pass_a if key(a) in b_by_key]
    result = {}
    for task in TASK_NAMES:
        a_labels = [a[task] for a, _ in pairs]
        b_labels = [b[task] for _, b in pairs]
        result[task] = {
            "sentences": len(pairs),
            "cohen_kappa": round(float(cohen_kappa_score(a_labels, b_labels, labels=list(LABELS[task]))), DIGITS),
            "raw_agreement": _share(sum(x == y for x, y in zip(a_labels, b_labels)), len(pairs)),
            "disagreements": sum(x != y for x, y in zip(a_labels, b_labels)),
            "adjudicated": sum(r["task"] == task for r in adjudication),
        }
    return result


def fakes_figures(repo_root: Path) -> dict:
    directory = repo_root / FAKES_DIR
    articles = _read_jsonl(directory / "articles.jsonl")
    labels = _read_jsonl(directory / "labels.jsonl")
    split_of = {(a["unit_id"], a["article_hash"]): a["split"] for a in articles}
    by_split = {split: [r for r in labels if split_of[(r["unit_id"], r["article_hash"])] == split] for split in FAKES_SPLITS}
    outlets = {}
    for outlet in sorted({a["outlet"] for a in articles}):
        mine = [a for a in articles if a["outlet"] == outlet]
        outlets[outlet] = {
            "articles": len(mine),
            "sentences": sum(a["n_sentences"] for a in mine),
            **{split: sum(a["split"] == split for a in mine) for split in FAKES_SPLITS},
        }
    return {
        "articles": len(articles),
        "sentences": len(labels),
        "outlets": outlets,
        "splits": {
            split: {"articles": sum(a["split"] == split for a in articles), "sentences": len(part)}
            for split, part in by_split.items()
        },
        "labels": {
            task: {"all": _label_counts(labels, task), **{split: _label_counts(part, task) for split, part in by_split.items()}}
            for task in TASK_NAMES
        },
        "agreement": agreement(
            _read_jsonl(directory / "pass_a.jsonl"),
            _read_jsonl(directory / "pass_b.jsonl"),
            _read_jsonl(directory / "adjudication.jsonl"),
        ),
    }


def fakes_text_figures(fakes_csv: Path, corpus_size: int) -> dict:
    """Diversity of real FA-KES text: every article of the CSV, segmented like the tagger does.

    Distinct 3-grams per sentence fall as a set grows, so the figure is also given for a fixed
    random sample of as many distinct sentences as the bundled corpus has.
    """
    from models.segment import split_sentences
    from training.fakes import read_fakes_csv

    articles = read_fakes_csv(fakes_csv)
    texts = [span.text for row in articles for span in split_sentences(row["article_content"])]
    figures = {"articles": len({(r["unit_id"], r["article_hash"]) for r in articles}), **diversity(texts)}
    sentences = distinct_sentences(texts)
    sample = random.Random(0).sample(sentences, min(corpus_size, len(sentences)))
    figures["trigrams_per_sentence_at_corpus_size"] = round(trigrams_per_sentence(sample), DIGITS)
    return figures


def _load_gazetteer():
    """The gazetteer, or None while its loader or data is not in the tree."""
    try:
        from models.gazetteer import Gazetteer

        return Gazetteer.load()
    except (ImportError, FileNotFoundError, OSError):
        return None


def _rule_source_tagger(gazetteer):
    """``models.rules.SourceRuleTagger`` bound to ``gazetteer``, or None while it is not in the tree."""
    try:
        from models.rules import SourceRuleTagger
    except ImportError:
        return None
    return SourceRuleTagger(gazetteer)


def gazetteer_figures(repo_root: Path, fakes_csv: Path | None) -> dict | None:
    gazetteer = _load_gazetteer()
    if gazetteer is None:
        return None
    entries = list(gazetteer.entries)
    figures = {
        "version": gazetteer.version,
        "organisations": len(gazetteer),
        "aliases": sum(len(e.aliases) for e in entries),
        "labels": {label: sum(e.label == label for e in entries) for label in LABELS["source"] if label != "none"},
    }
    if fakes_csv is not None:
        figures["real_dev_coverage"] = coverage(repo_root, fakes_csv, gazetteer)
    return figures


def coverage(repo_root: Path, fakes_csv: Path, gazetteer) -> dict:
    """What the gazetteer (and the rule tagger, if present) finds in attributed real-dev sentences."""
    from training.fakes import join_annotations

    rows = [r for r in join_annotations(repo_root / FAKES_DIR, fakes_csv) if r["split"] == "real-dev"]
    attributed = [r for r in rows if r["source"] != "none"]
    matches = [gazetteer.find(r["text"]) for r in attributed]
    result = {
        "attributed_sentences": len(attributed),
        "with_alias": _share(sum(bool(m) for m in matches), len(attributed)),
        "with_alias_of_gold_label": _share(
            sum(any(x.entry.label == r["source"] for x in m) for r, m in zip(attributed, matches)), len(attributed)
        ),
    }
    tagger = _rule_source_tagger(gazetteer)
    if tagger is not None:
        # The rule tagger reads whole articles: pronoun speakers carry over from neighbours.
        by_article: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            by_article[row["article_id"]].append(row)
        predicted = {}
        for article_id, article in by_article.items():
            article.sort(key=lambda r: r["sentence_index"])
            for row, found in zip(article, tagger.tag([r["text"] for r in article])):
                predicted[(article_id, row["sentence_index"])] = found.label
        result["rule_label_equals_gold"] = _share(
            sum(predicted[(r["article_id"], r["sentence_index"])] == r["source"] for r in attributed), len(attributed)
        )
    return result


# --- the public functions -----------------------------------------------------------------


def compute_figures(repo_root: str | Path, fakes_csv: str | Path | None = None) -> dict:
    """All datasheet figures as a JSON-ready dict (deterministic, 4 decimals).

    Args:
        repo_root: the repository root (holds ``data/``).
        fakes_csv: a FA-KES CSV; without it the figures that need real text (FA-KES diversity,
            gazetteer coverage) are left out.

    Returns:
        ``{"codebook_version", "corpus", "fakes", "fakes_text"?, "gazetteer"?}``; ``gazetteer`` is
        left out while ``models.gazetteer`` or its data is missing.
    """
    repo_root = Path(repo_root)
    fakes_csv = Path(fakes_csv) if fakes_csv is not None else None
    figures = {"codebook_version": CODEBOOK_VERSION, "corpus": corpus_figures(repo_root), "fakes": fakes_figures(repo_root)}
    if fakes_csv is not None:
        figures["fakes_text"] = fakes_text_figures(fakes_csv, figures["corpus"]["diversity"]["distinct_sentences"])
    gazetteer = gazetteer_figures(repo_root, fakes_csv)
    if gazetteer is not None:
        figures["gazetteer"] = gazetteer
    return figures


CSV_ONLY = (("fakes_text",), ("gazetteer", "real_dev_coverage"))


def diff_figures(committed: dict, fresh: dict, with_csv: bool = True, path: str = "") -> list[str]:
    """Differences between two figure dicts, one line each (``path: committed -> fresh``).

    Without the CSV (``with_csv=False``) the figures that need it are not compared.
    """
    lines = []
    for key in sorted(set(committed) | set(fresh)):
        where = f"{path}.{key}" if path else key
        if not with_csv and tuple(where.split(".")) in CSV_ONLY:
            continue
        old, new = committed.get(key, "<absent>"), fresh.get(key, "<absent>")
        if isinstance(old, dict) and isinstance(new, dict):
            lines += diff_figures(old, new, with_csv, where)
        elif old != new:
            lines.append(f"{where}: {old!r} -> {new!r}")
    return lines


def _table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    def cell(value) -> str:
        return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)

    rule = ["---"] + ["---:"] * (len(header) - 1)
    return "\n".join("| " + " | ".join(cell(v) for v in row) + " |" for row in [header, rule, *rows])


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def _split_table(data: dict, splits: Sequence[str]) -> str:
    rows = [(s, data["splits"][s]["articles"], data["splits"][s]["sentences"]) for s in splits]
    return _table(["split", "articles", "sentences"], [*rows, ("all", data["articles"], data["sentences"])])


def _label_tables(counts: dict, splits: Sequence[str]) -> list[str]:
    lines = []
    for task in TASK_NAMES:
        rows = [(f"`{label}`", *[counts[task][s][label] for s in splits], counts[task]["all"][label]) for label in LABELS[task]]
        lines += ["", f"`{task}` labels:", "", _table([task, *splits, "all"], rows)]
    return lines


def _corpus_section(corpus: dict) -> list[str]:
    lines = ["### Bundled corpus", "", _split_table(corpus, CORPUS_SPLITS), *_label_tables(corpus["labels"], CORPUS_SPLITS)]
    for column in ("style", "conflict"):
        rows = [(name, v["articles"], v["sentences"]) for name, v in sorted(corpus[column].items())]
        lines += ["", f"By {column}:", "", _table([column, "articles", "sentences"], rows)]
    return lines


def _diversity_section(corpus: dict, real: dict | None) -> list[str]:
    names = [
        ("distinct_sentences", "distinct sentences", str),
        ("words_per_sentence", "mean words per sentence", float),
        ("trigrams_per_sentence", "distinct word 3-grams per sentence", float),
        ("shared_opening_share", "first four words open another sentence", _percent),
        ("near_duplicate_share", f"near-duplicates (3-gram Jaccard >= {NEAR_DUPLICATE_JACCARD})", _percent),
    ]
    rows = [(name, show(corpus[key]), *([show(real[key])] if real else [])) for key, name, show in names]
    header = ["figure (distinct sentences)", "bundled corpus", *(["FA-KES (real text)"] if real else [])]
    if not real:
        return ["### Diversity", "", _table(header, rows)]
    sample = (f"distinct word 3-grams per sentence, sample of {corpus['distinct_sentences']}", corpus["trigrams_per_sentence"],
              real["trigrams_per_sentence_at_corpus_size"])
    return [
        "### Diversity",
        "",
        _table(header, [*rows[:3], sample, *rows[3:]]),
        "",
        f"Real text: all {real['articles']} distinct articles of the FA-KES CSV, segmented with "
        "`models.segment.split_sentences`. Distinct 3-grams per sentence grow with sentence length and "
        "shrink as a set grows, so compare them with the mean length in view and on the same-size sample.",
    ]


def _fakes_section(fakes: dict) -> list[str]:
    outlets = [
        (name, v["articles"], v["sentences"], *[v[s] for s in FAKES_SPLITS]) for name, v in sorted(fakes["outlets"].items())
    ]
    agreement_rows = [
        (task, a["sentences"], a["cohen_kappa"], _percent(a["raw_agreement"]), a["disagreements"], a["adjudicated"])
        for task, a in ((task, fakes["agreement"][task]) for task in TASK_NAMES)
    ]
    return [
        "### FA-KES annotations",
        "",
        _split_table(fakes, FAKES_SPLITS),
        "",
        "By outlet (articles per split):",
        "",
        _table(["outlet", "articles", "sentences", *FAKES_SPLITS], outlets),
        *_label_tables(fakes["labels"], FAKES_SPLITS),
        "",
        "Agreement between the two independent passes (before adjudication):",
        "",
        _table(["task", "sentences", "Cohen's kappa", "raw agreement", "disagreements", "adjudicated"], agreement_rows),
    ]


def _gazetteer_section(gazetteer: dict) -> list[str]:
    labels = [(f"`{label}`", gazetteer["labels"][label]) for label in LABELS["source"] if label in gazetteer["labels"]]
    lines = [
        "### Source gazetteer",
        "",
        f"Version {gazetteer['version']}: {gazetteer['organisations']} distinct organisations and roles, "
        f"{gazetteer['aliases']} aliases.",
        "",
        _table(["source label", "organisations"], labels),
    ]
    coverage = gazetteer.get("real_dev_coverage")
    if coverage:
        rows = [
            ("an alias found", _percent(coverage["with_alias"])),
            ("an alias of the gold label found", _percent(coverage["with_alias_of_gold_label"])),
        ]
        if "rule_label_equals_gold" in coverage:
            rows.append(("rule tagger's source equals the gold", _percent(coverage["rule_label_equals_gold"])))
        lines += [
            "",
            f"Coverage on the {coverage['attributed_sentences']} attributed (gold `source` != `none`) real-dev sentences:",
            "",
            _table(["share of sentences with", "value"], rows),
        ]
    return lines


def render_markdown(figures: dict) -> str:
    """The figures block of the datasheet: Markdown tables, generated from ``figures``.

    Rows follow fixed orders (splits, codebook labels, sorted names), never the dict's order, so
    the figures render the same before and after a JSON round trip.
    """
    sections = [
        [f"_Generated by `python -m training datasheet` from the data files (codebook version "
         f"{figures['codebook_version']}); do not edit by hand._"],
        _corpus_section(figures["corpus"]),
        _diversity_section(figures["corpus"]["diversity"], figures.get("fakes_text")),
        _fakes_section(figures["fakes"]),
    ]
    if figures.get("gazetteer"):
        sections.append(_gazetteer_section(figures["gazetteer"]))
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def replace_block(document: str, block: str) -> str:
    """``document`` with the text between the figures markers replaced by ``block``."""
    start, end = document.find(START_MARKER), document.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(f"the datasheet needs the markers {START_MARKER} and {END_MARKER}, in that order")
    return document[: start + len(START_MARKER)] + "\n" + block + document[end:]


def dump_figures(figures: dict) -> str:
    return json.dumps(figures, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_datasheet(repo_root: str | Path, fakes_csv: str | Path | None = None) -> dict:
    """Compute the figures, write ``data/datasheet_figures.json`` and the datasheet's figures block."""
    repo_root = Path(repo_root)
    figures = compute_figures(repo_root, fakes_csv)
    (repo_root / FIGURES_FILE).write_text(dump_figures(figures), encoding="utf-8")
    sheet = repo_root / DATASHEET_FILE
    sheet.write_text(replace_block(sheet.read_text(encoding="utf-8"), render_markdown(figures)), encoding="utf-8")
    return figures


def check_datasheet(repo_root: str | Path, fakes_csv: str | Path | None = None) -> list[str]:
    """Differences between the committed figures and freshly computed ones (empty: up to date)."""
    repo_root = Path(repo_root)
    path = repo_root / FIGURES_FILE
    committed = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return diff_figures(committed, compute_figures(repo_root, fakes_csv), with_csv=fakes_csv is not None)
