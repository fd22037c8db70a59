"""Weak labelling: silver rows in the training format, their evidence, the sidecar and the exclusions.

Every article here is written for the test; none is taken from a real article.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from models.rules import FRAME_LABELS, SOURCE_LABELS
from models.schema import DEFAULT_TASKS
from models.segment import split_sentences
from training.cli import main
from training.config import config_from_dict, load_config
from training.corpus import load_run_data
from training.data import DataError, read_table, validate_rows
from training.fakes import sentence_references, text_hash
from training.weak_label import DEFAULT_ANNOTATIONS, SCHEMA, weak_label

from .conftest import CONFIGS, make_rows, write_jsonl

# Shared verbatim by the evaluated article and the wire copy below (10 words).
WIRE_SENTENCE = "Shelling hit the grain silo outside Qaryat Zahra late on Tuesday night."
ARTICLES = {
    "9001": (
        "Fighting resumed near the village of Tell Sarab on Friday, the Observatory said. "
        "It added that 6 civilians died when a shell struck a bakery. "
        "Regime forces shelled the southern outskirts for hours."
    ),
    "9002": (
        "Army units liberated the hamlet of Ain Hamra from terrorist groups, SANA reported. "
        "Aid trucks were unable to reach 300 displaced families in the area."
    ),
    "9003": f"{WIRE_SENTENCE} A UN spokeswoman told reporters that talks would resume next week.",
    "9004": f"{WIRE_SENTENCE} Residents said the fire burned until dawn.",
}


def write_csv(path: Path, articles: dict[str, str], id_column: str = "unit_id") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([id_column, "article_title", "article_content"])
        for unit_id, text in articles.items():
            writer.writerow([unit_id, f"Title {unit_id}", text])
    return path


def write_annotations(folder: Path, splits: dict[str, str]) -> Path:
    """A FA-KES-style annotations folder holding the given articles of ARTICLES with their splits."""
    folder.mkdir()
    annotated = [{"unit_id": u, "article_hash": text_hash(ARTICLES[u]), "article_content": ARTICLES[u]} for u in splits]
    write_jsonl(folder / "articles.jsonl", [
        {"unit_id": a["unit_id"], "article_hash": a["article_hash"], "outlet": "test", "split": splits[a["unit_id"]],
         "n_sentences": len(split_sentences(a["article_content"]))} for a in annotated
    ])
    write_jsonl(folder / "sentences.jsonl", [ref for a in annotated for ref in sentence_references(a)])
    return folder


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def articles_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "articles.csv", {u: ARTICLES[u] for u in ("9001", "9002")})


@pytest.fixture
def silver(articles_csv, tmp_path):
    return weak_label(articles_csv, "article_content", tmp_path / "out" / "silver.jsonl", id_column="unit_id")


def test_one_row_per_sentence_in_the_training_format(silver):
    rows = read_rows(silver.output)
    expected = [(u, i, s.text) for u in ("9001", "9002") for i, s in enumerate(split_sentences(ARTICLES[u]))]
    assert [(r["article_id"].split("-")[1], r["sentence_index"], r["text"]) for r in rows] == expected
    assert silver.rows == len(rows) == 5 and silver.articles == 2
    for row in rows:
        assert set(row) == set(SCHEMA)
        assert ARTICLES[row["article_id"].split("-")[1]][row["start"] : row["end"]] == row["text"]
        assert row["source"] in SOURCE_LABELS and row["frame"] in FRAME_LABELS
    validate_rows(read_table(silver.output), DEFAULT_TASKS, str(silver.output))


def test_labels_and_evidence_come_from_the_rule_taggers(silver):
    rows = read_rows(silver.output)
    assert [r["source"] for r in rows] == ["opposition_monitor", "opposition_monitor", "none", "state_media", "none"]
    assert rows[0]["normalized_source"] and rows[2]["normalized_source"] is None
    assert rows[2]["frame"] == "pro_opposition" and rows[3]["frame"] == "pro_government"
    assert {e["text"] for e in rows[0]["source_evidence"]} >= {"said", "Observatory"}
    for row in rows:
        for evidence in row["source_evidence"] + row["frame_evidence"]:
            assert row["text"][evidence["start"] : evidence["end"]] == evidence["text"]
            assert evidence["kind"] in {"cue", "source", "marker", "carry_over"}
    assert any(r["frame_evidence"] for r in rows)


def test_sidecar_describes_the_file(silver, articles_csv):
    meta = json.loads(silver.meta_path.read_text(encoding="utf-8"))
    assert silver.meta_path.name == "silver.jsonl.meta.json"
    assert meta["codebook_version"] == 4 and isinstance(meta["gazetteer"]["version"], int)
    assert meta["schema"] == SCHEMA
    assert meta["input"]["path"] == str(articles_csv)
    assert meta["input"]["sha256"] == hashlib.sha256(articles_csv.read_bytes()).hexdigest()
    assert meta["rows"] == silver.rows and meta["articles"] == 2
    assert sum(meta["label_counts"]["source"].values()) == silver.rows
    assert sorted(p.name for p in silver.output.parent.iterdir()) == ["silver.jsonl", "silver.jsonl.meta.json"]


def test_missing_column_and_file_are_named(articles_csv, tmp_path):
    output = tmp_path / "silver.jsonl"
    output.write_text("earlier run\n", encoding="utf-8")
    with pytest.raises(DataError, match="no column 'body'.*--text-column.*article_content"):
        weak_label(articles_csv, "body", output)
    with pytest.raises(DataError, match="no column 'id'.*--id-column"):
        weak_label(articles_csv, "article_content", output, id_column="id")
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        weak_label(tmp_path / "nope.csv", "article_content", output)
    assert output.read_text(encoding="utf-8") == "earlier run\n"


def test_cli_reports_bad_input_and_exits_2(articles_csv, tmp_path, capsys):
    code = main(["weak-label", "--input", str(articles_csv), "--text-column", "body", "--output", str(tmp_path / "s.jsonl")])
    assert code == 2 and "'body'" in capsys.readouterr().err


def test_annotated_and_wire_copy_articles_are_excluded(tmp_path):
    source = write_csv(tmp_path / "articles.csv", ARTICLES)
    annotations = write_annotations(tmp_path / "fakes", {"9002": "real-train", "9003": "real-dev"})
    result = weak_label(source, "article_content", tmp_path / "silver.jsonl", id_column="unit_id", exclude_annotated=annotations)
    assert {r["article_id"].split("-")[1] for r in read_rows(result.output)} == {"9001"}
    assert result.excluded == {"annotated": 2, "shares_evaluated_sentence": 1}


def test_wire_copy_is_excluded_when_the_evaluated_article_is_not_in_the_input(tmp_path):
    source = write_csv(tmp_path / "articles.csv", {u: ARTICLES[u] for u in ("9001", "9004")})
    annotations = write_annotations(tmp_path / "fakes", {"9003": "real-test"})
    result = weak_label(source, "article_content", tmp_path / "silver.jsonl", exclude_annotated=annotations)
    assert result.excluded == {"shares_evaluated_sentence": 1} and result.articles == 1


def test_cli_excludes_annotated_articles_by_default_for_fakes(articles_csv, tmp_path, capsys):
    output = tmp_path / "silver.jsonl"
    assert main(["weak-label", "--input", str(articles_csv), "--text-column", "article_content", "--output", str(output)]) == 0
    meta = json.loads(output.with_name("silver.jsonl.meta.json").read_text(encoding="utf-8"))
    assert meta["exclude_annotated"] == str(DEFAULT_ANNOTATIONS) and meta["input"]["id_column"] == "unit_id"
    assert json.loads(capsys.readouterr().out)["rows"] == 5
    assert main(["weak-label", "--input", str(articles_csv), "--text-column", "article_content", "--output", str(output),
                 "--keep-annotated"]) == 0
    assert json.loads(output.with_name("silver.jsonl.meta.json").read_text(encoding="utf-8"))["exclude_annotated"] is None


def test_input_without_ids_gets_hash_ids(tmp_path):
    source = write_csv(tmp_path / "plain.csv", {"a": ARTICLES["9001"], "b": ARTICLES["9001"], "c": "  "}, id_column="row")
    result = weak_label(source, "article_content", tmp_path / "silver.jsonl")
    assert {r["article_id"] for r in read_rows(result.output)} == {f"silver-{text_hash(ARTICLES['9001'])}"}
    assert result.excluded == {"duplicate_text": 1, "empty_text": 1}


def test_silver_config_adds_the_silver_file_at_a_weight():
    cfg = load_config(CONFIGS / "fakes_silver.yaml")
    fakes = load_config(CONFIGS / "fakes.yaml")
    silver = [f for f in cfg.data.files if f.path and f.path.endswith("fakes_silver.jsonl")]
    assert len(silver) == 1 and silver[0].split == "real-train" and silver[0].weight == 0.3
    assert [f for f in cfg.data.files if f not in silver] == fakes.data.files
    assert cfg.data.model_dump(exclude={"files"}) == fakes.data.model_dump(exclude={"files"})
    assert cfg.resolve_path(cfg.train.output_dir).name == "fakes_silver"


@pytest.mark.filterwarnings("ignore:split 'test'")
def test_silver_rows_train_next_to_gold_at_their_weight(silver, tmp_path):
    gold = write_jsonl(tmp_path / "gold.jsonl", make_rows(6, 3))
    raw = yaml_config(files=[{"path": str(gold)}, {"path": str(silver.output), "split": "train", "weight": 0.3}])
    data = load_run_data(config_from_dict(raw, tmp_path))
    assert data.loc[data["article_id"].str.contains("silver"), "weight"].eq(0.3).sum() == silver.rows
    assert set(data.loc[data["weight"] == 1.0, "split"]) == {"train", "dev", "test"}


def yaml_config(files: list[dict]) -> dict:
    return {
        "tasks": [{"name": t.name, "labels": list(t.labels)} for t in DEFAULT_TASKS],
        "data": {"files": files, "train_splits": ["train"], "dev_split": "dev", "eval_splits": ["test"]},
    }
