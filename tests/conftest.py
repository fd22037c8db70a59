"""Shared fixtures: a tiny encoder built locally once per session, small labelled data, a smoke config."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
SHARED = ROOT.parent / "shared"
FAKES_CSV = SHARED / "data" / "fa-kes" / "fa-kes-dev.csv"

SOURCES = ["state_media", "government", "opposition_monitor", "un", "armed_group", "ngo", "other", "none"]
FRAMES = ["pro_government", "pro_opposition", "humanitarian", "neutral"]
SPEAKERS = {
    "state_media": "the state news agency reported",
    "government": "the defence ministry said in a statement",
    "opposition_monitor": "the war monitor said",
    "un": "a UN spokeswoman told reporters",
    "armed_group": "a rebel commander claimed",
    "ngo": "the aid group warned",
    "other": "a resident told a local reporter",
}
EVENTS = {
    "pro_government": "army units liberated the hamlet of {place} from terrorist groups on day {n}",
    "pro_opposition": "regime forces shelled the outskirts of {place} for {n} hours",
    "humanitarian": "{n} families fled {place} after a clinic was damaged",
    "neutral": "fighting continued near {place} for a {n}th day",
}
PLACES = ["Kafr Sous", "Tell Amra", "Ain Dara", "Marj Hilal", "Bir Qasab", "Deir Nour", "Jisr Adil", "Wadi Zeit"]


def make_rows(n_articles: int = 12, per_article: int = 6, split: bool = True) -> list[dict]:
    """Small labelled articles whose labels follow their wording (so a model can learn them)."""
    rows = []
    for a in range(n_articles):
        for i in range(per_article):
            source = SOURCES[(a + i) % len(SOURCES)]
            frame = FRAMES[(a * 3 + i) % len(FRAMES)]
            event = EVENTS[frame].format(place=PLACES[(a + 2 * i) % len(PLACES)], n=a * per_article + i + 2)
            text = f"{event[0].upper()}{event[1:]}" + ("." if source == "none" else f", {SPEAKERS[source]}.")
            row = {"article_id": f"art-{a}", "sentence_index": i, "text": text, "source": source, "frame": frame}
            if split:
                row["split"] = "train" if a < n_articles - 4 else "dev" if a < n_articles - 2 else "test"
            rows.append(row)
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide BERT with the MiniLM vocabulary, random weights: fast to train and load."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from models.network import resolve_base_model

    directory = tmp_path_factory.mktemp("tiny-encoder")
    tokenizer = AutoTokenizer.from_pretrained(resolve_base_model("minilm"))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture
def tiny_data(tmp_path) -> Path:
    return write_jsonl(tmp_path / "tiny.jsonl", make_rows())


@pytest.fixture
def isolated_mlflow(tmp_path, monkeypatch) -> str:
    """A private SQLite tracking store in the test's temp dir, whatever the environment says."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def rel(path: Path) -> str:
    return os.path.relpath(path, CONFIGS)


@pytest.fixture
def smoke_overrides(tiny_encoder, tiny_data, tmp_path, isolated_mlflow) -> list[str]:
    """Overrides that point configs/smoke.yaml at the tiny encoder, tiny data and a temp store."""
    return [
        f"model.base_model={rel(tiny_encoder)}",
        f"data.files=[{{path: {rel(tiny_data)}}}]",
        "data.eval_splits=[test]",
        f"train.output_dir={rel(tmp_path / 'out')}",
        f"tracking.uri={isolated_mlflow}",
        "train.learning_rate=0.003",
        "train.epochs=2",
    ]
