"""Score a saved tagger on any labelled file (`python -m training evaluate`)."""

from __future__ import annotations

import json
from pathlib import Path

from models.predict import Tagger
from training.data import encode_rows, read_table, validate_rows
from training.evaluate import evaluate_predictions, predict_rows


def evaluate_file(model: str, data: str, output: str | Path) -> dict:
    """Per-task reports for `data` under `model`, also written as JSON to `output` (atomically)."""
    tagger = Tagger.load(model)
    frame = read_table(data)
    validate_rows(frame, tagger.tasks, data)
    groups = encode_rows(frame, tagger.tokenizer, tagger.window, tagger.tasks)
    evaluation = evaluate_predictions(Path(data).stem, frame, predict_rows(tagger, groups, len(frame)), tagger.tasks)
    output = Path(output)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(json.dumps(evaluation.reports, indent=2), encoding="utf-8")
    tmp.replace(output)
    return evaluation.reports
