"""Every committed label file speaks codebook v4, has no empty or repeated items, and no split leaks."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest

from models.schema import CODEBOOK_VERSION, FRAME_LABELS, SOURCE_LABELS
from training.data import LEAKAGE_MIN_WORDS, check_leakage, normalize_text, read_table, validate_rows
from training.fakes import SPLITS as FAKES_SPLITS
from training.fakes import join_annotations, read_fakes_csv, wire_groups

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CORPUS = DATA / "corpus" / "corpus.jsonl"
FAKES = DATA / "fakes"
FAKES_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "fa-kes" / "fa-kes-dev.csv"
LABELS = {"source": set(SOURCE_LABELS), "frame": set(FRAME_LABELS)}
FAKES_LABEL_FILES = ("labels.jsonl", "pass_a.jsonl", "pass_b.jsonl")
needs_csv = pytest.mark.skipif(not FAKES_CSV.is_file(), reason=f"FA-KES CSV not at {FAKES_CSV}")


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sentence_key(row: dict) -> tuple:
    return row["unit_id"], row["article_hash"], row["sentence_index"]


def repeated(keys) -> list:
    return [key for key, n in Counter(keys).items() if n > 1]


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return read_table(CORPUS)


@pytest.fixture(scope="module")
def fakes_labels() -> dict[str, list[dict]]:
    return {name: read_jsonl(FAKES / name) for name in FAKES_LABEL_FILES}


@pytest.fixture(scope="module")
def joined() -> pd.DataFrame:
    return pd.DataFrame(join_annotations(FAKES, FAKES_CSV))


# --- every labelled file ---------------------------------------------------------------------


def labelled_files() -> list[Path]:
    """Files under data/ that carry a task column (or adjudicated labels)."""
    found = []
    for path in sorted(DATA.rglob("*")):
        if path.suffix not in {".jsonl", ".csv", ".parquet"}:
            continue
        columns = set(read_table(path).columns)
        if columns & {"source", "frame", "final"}:
            found.append(path)
    return found


def test_the_known_label_files_are_found():
    names = {p.relative_to(DATA).as_posix() for p in labelled_files()}
    assert {"corpus/corpus.jsonl", *(f"fakes/{n}" for n in (*FAKES_LABEL_FILES, "adjudication.jsonl"))} <= names


@pytest.mark.parametrize("path", labelled_files(), ids=lambda p: p.relative_to(DATA).as_posix())
def test_every_label_file_has_a_sidecar_with_the_codebook_version(path):
    sidecar = path.parent / "metadata.json"
    assert sidecar.is_file(), f"{path} has no metadata.json beside it"
    assert json.loads(sidecar.read_text(encoding="utf-8")).get("codebook_version") == CODEBOOK_VERSION == 4


# --- the bundled corpus -----------------------------------------------------------------------


def test_corpus_labels_texts_and_ids_are_valid(corpus):
    from models.schema import DEFAULT_TASKS

    validate_rows(corpus.copy(), DEFAULT_TASKS, str(CORPUS))  # labels, empty texts, duplicate ids
    for task, labels in LABELS.items():
        assert corpus[task].notna().all(), f"{CORPUS}: a row has no {task} label"
        assert set(corpus[task]) <= labels
    assert set(corpus["split"]) == {"train", "dev", "test"}
    assert corpus["text"].map(lambda t: isinstance(t, str) and t.strip() != "").all()


def test_corpus_has_no_repeated_sentence(corpus):
    texts = [normalize_text(t) for t in corpus["text"]]
    assert repeated(t for t in texts if len(t.split()) >= LEAKAGE_MIN_WORDS) == []


def test_corpus_articles_sit_in_one_split(corpus):
    splits = corpus.groupby("article_id")["split"].nunique()
    assert list(splits[splits > 1].index) == []


def test_corpus_train_text_never_appears_in_dev_or_test(corpus):
    train = {normalize_text(t) for t in corpus.loc[corpus["split"] == "train", "text"]}
    held_out = corpus[corpus["split"] != "train"]
    leaked = [(r.article_id, r.sentence_index) for r in held_out.itertuples() if normalize_text(r.text) in train]
    assert leaked == []


# --- the FA-KES annotations -------------------------------------------------------------------


@pytest.mark.parametrize("name", FAKES_LABEL_FILES)
def test_fakes_label_files_use_codebook_labels_and_unique_ids(fakes_labels, name):
    rows = fakes_labels[name]
    for row in rows:
        for task, labels in LABELS.items():
            assert row.get(task) in labels, f"{name}: {sentence_key(row)} has {task} label {row.get(task)!r}"
    assert repeated(map(sentence_key, rows)) == []


def test_every_label_row_matches_a_sentence_reference(fakes_labels):
    references = {sentence_key(r) for r in read_jsonl(FAKES / "sentences.jsonl")}
    for name, rows in fakes_labels.items():
        assert [sentence_key(r) for r in rows if sentence_key(r) not in references] == [], name
        assert {sentence_key(r) for r in rows} == references, f"{name} does not label every referenced sentence"


def test_sentence_references_cover_whole_articles_in_order():
    articles = {(a["unit_id"], a["article_hash"]): a for a in read_jsonl(FAKES / "articles.jsonl")}
    indices = defaultdict(list)
    for ref in read_jsonl(FAKES / "sentences.jsonl"):
        assert 0 <= ref["start"] < ref["end"], ref
        indices[(ref["unit_id"], ref["article_hash"])].append(ref["sentence_index"])
    assert set(indices) == set(articles)
    for key, found in indices.items():
        assert sorted(found) == list(range(articles[key]["n_sentences"])), key


def test_adjudication_covers_every_disagreement_and_gives_the_final_labels(fakes_labels):
    adjudication = read_jsonl(FAKES / "adjudication.jsonl")
    by_item = {(sentence_key(r), r["task"]): r for r in adjudication}
    assert len(by_item) == len(adjudication), "an item is adjudicated twice"
    for row in adjudication:
        for field in ("pass_a", "pass_b", "final"):
            assert row[field] in LABELS[row["task"]], f"adjudication {sentence_key(row)}: {field} {row[field]!r}"
        assert row["pass_a"] != row["pass_b"], f"adjudication {sentence_key(row)}: the passes agreed"
        assert row["reason"].strip(), f"adjudication {sentence_key(row)}: no reason"
    passes = {name: {sentence_key(r): r for r in fakes_labels[f"{name}.jsonl"]} for name in ("pass_a", "pass_b")}
    for final in fakes_labels["labels.jsonl"]:
        key = sentence_key(final)
        for task in LABELS:
            a, b = passes["pass_a"][key][task], passes["pass_b"][key][task]
            decision = by_item.get((key, task))
            if a == b:
                assert decision is None and final[task] == a, f"{key} {task}: agreed {a!r}, final {final[task]!r}"
            else:
                assert decision is not None, f"{key} {task}: passes disagree ({a!r} vs {b!r}) and nothing is adjudicated"
                assert (decision["pass_a"], decision["pass_b"], decision["final"]) == (a, b, final[task]), f"{key} {task}"


def test_fakes_articles_sit_in_exactly_one_split():
    articles = read_jsonl(FAKES / "articles.jsonl")
    assert repeated((a["unit_id"], a["article_hash"]) for a in articles) == []
    assert {a["split"] for a in articles} == set(FAKES_SPLITS)


@needs_csv
def test_fakes_wire_copy_groups_sit_in_one_split():
    split_of = {(a["unit_id"], a["article_hash"]): a["split"] for a in read_jsonl(FAKES / "articles.jsonl")}
    texts = [r for r in read_fakes_csv(FAKES_CSV) if (r["unit_id"], r["article_hash"]) in split_of]
    groups = defaultdict(set)
    for key, group in wire_groups(texts).items():
        unit_id, article_hash = key.split(":")
        groups[group].add(split_of[(unit_id, article_hash)])
    assert [g for g, splits in groups.items() if len(splits) > 1] == []


@needs_csv
def test_fakes_train_text_never_appears_in_dev_or_test(joined):
    joined["_file"], joined["_row"] = "fakes", range(1, len(joined) + 1)
    check_leakage(joined, ["real-train"], ["real-dev", "real-test"])
    check_leakage(joined, ["real-dev"], ["real-test"])


@needs_csv
def test_corpus_shares_no_sentence_with_fakes(corpus):
    """The corpus was written without reading FA-KES: no sentence of it may appear in the CSV."""
    from models.segment import split_sentences

    real = {normalize_text(s.text) for r in read_fakes_csv(FAKES_CSV) for s in split_sentences(r["article_content"])}
    copied = [
        (r.article_id, r.sentence_index)
        for r in corpus.itertuples()
        if normalize_text(r.text) in real and len(r.text.split()) >= LEAKAGE_MIN_WORDS
    ]
    assert copied == []
