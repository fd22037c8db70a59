"""Score a saved tagger on any labelled file (`python -m training evaluate`)."""

from __future__ import annotations

import json
from pathlib import Path

from models.predict import Tagger
from training.data import read_table, validate_rows
from training.evaluate import evaluate_predictions, evaluate_tagger, tagger_probabilities


def evaluate_file(model: str, data: str, output: str | Path, model_only: bool = False) -> dict:
    """Per-task reports for `data` under `model`, also written as JSON to `output` (atomically).

    Scores the labels `Tagger` returns (for a hybrid model, the rule label where it wins); with
    `model_only`, the model's own most probable labels. Each report's `scored` says which.
    """
    tagger = Tagger.load(model)
    frame = read_table(data)
    validate_rows(frame, tagger.tasks, data)
    hybrid = bool(tagger.rule_override_below) and not model_only
    if hybrid:
        evaluation = evaluate_tagger(tagger, Path(data).stem, frame)
    else:
        evaluation = evaluate_predictions(Path(data).stem, frame, tagger_probabilities(tagger, frame), tagger.tasks)
    for report in evaluation.reports.values():
        report["scored"] = "hybrid" if hybrid else "model"
    output = Path(output)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(json.dumps(evaluation.reports, indent=2), encoding="utf-8")
    tmp.replace(output)
    return evaluation.reports
