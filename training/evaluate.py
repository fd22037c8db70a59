"""Scores for a labelled split: per-task reports, bootstrap intervals, confusion matrices, errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from models.encoding import flatten
from models.schema import TaskSpec
from training.data import encode_rows, split_rows

N_BOOTSTRAP = 1000
N_ERRORS = 25


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Macro-F1 over the labels that occur in the gold or the predictions."""
    labels = sorted(set(y_true) | set(y_pred))
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def bootstrap_interval(y_true: Sequence[str], y_pred: Sequence[str], n: int = N_BOOTSTRAP, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of macro-F1 over sentences resampled with replacement."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    rng = np.random.default_rng(seed)
    scores = [macro_f1(y_true[idx], y_pred[idx]) for idx in rng.integers(0, len(y_true), size=(n, len(y_true)))]
    return float(np.percentile(scores, 2.5)), float(np.percentile(scores, 97.5))


def task_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str], bootstrap: bool = True) -> dict:
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=list(labels), zero_division=0)
    report = {
        "n": len(y_true),
        "macro_f1": macro_f1(y_true, y_pred),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "per_class": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=list(labels)).tolist(),
        "labels": list(labels),
    }
    if bootstrap and len(y_true) > 1:
        report["macro_f1_ci95"] = list(bootstrap_interval(y_true, y_pred))
    return report


def predict_rows(tagger, groups: list[list[dict]], n_rows: int, logits: bool = False) -> dict[str, np.ndarray]:
    """Calibrated probabilities (or, with `logits`, raw logits) per task in the frame's row order
    for groups from `encode_rows`."""
    flat = flatten(groups)
    was_training = tagger.model.training
    tagger.model.eval()
    try:
        probabilities = tagger.predict_logits(flat) if logits else tagger.predict_encoded(flat)
    finally:
        tagger.model.train(was_training)
    rows = [(i, item["row"]) for i, item in enumerate(flat) if "row" in item]
    out = {}
    for name, probs in probabilities.items():
        ordered = np.zeros((n_rows, probs.shape[1]), dtype=probs.dtype)
        ordered[[r for _, r in rows]] = probs[[i for i, _ in rows]]
        out[name] = ordered
    return out


def tagger_probabilities(tagger, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Calibrated probabilities per task for a frame's rows under a loaded `Tagger` (rule features included)."""
    return predict_rows(tagger, encode_rows(frame, tagger.tokenizer, tagger.window, tagger.tasks, tagger.rule_input), len(frame))


def tagger_outputs(tagger, frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """What a `Tagger` returns for a frame's rows, through its public calls: per task the model's
    calibrated probabilities and the final labels (where the hybrid rule won, the rule's label).

    Rows with `article_id` go through `tag_sentences` an article at a time, the others through
    `predict` with their `context`, so the scores are those of the tool as users call it.
    """
    results = [None] * len(frame)
    position = {index: i for i, index in enumerate(frame.index)}
    articles, loose, contexts = split_rows(frame)
    for article in articles:
        for index, result in zip(article.index, tagger.tag_sentences(list(article["text"]))):
            results[position[index]] = result
    if len(loose):
        for index, result in zip(loose.index, tagger.predict(list(loose["text"]), contexts)):
            results[position[index]] = result
    probabilities = {t.name: np.array([[r[t.name].probabilities[l] for l in t.labels] for r in results]).reshape(len(frame), len(t.labels))
                     for t in tagger.tasks}
    return probabilities, {t.name: [r[t.name].label for r in results] for t in tagger.tasks}


def evaluate_tagger(tagger, name: str, frame: pd.DataFrame, bootstrap: bool = True) -> "SplitEvaluation":
    """Scores of the labels a `Tagger` returns for a labelled frame (the hybrid's, for a model with
    `rule_override_below`), with the model's probabilities; see `tagger_outputs`."""
    probabilities, labels = tagger_outputs(tagger, frame)
    return evaluate_predictions(name, frame, probabilities, tagger.tasks, bootstrap, labels)


@dataclass
class SplitEvaluation:
    """Predictions and reports for one labelled split."""

    name: str
    frame: pd.DataFrame
    reports: dict[str, dict]

    def summary(self) -> dict[str, float]:
        out = {}
        for task, report in self.reports.items():
            out[f"{self.name}.{task}.macro_f1"] = report["macro_f1"]
            out[f"{self.name}.{task}.accuracy"] = report["accuracy"]
        return out

    def metrics(self) -> dict[str, float]:
        """Scores, intervals and per-class precision/recall/F1 under MLflow metric names."""
        metrics = self.summary()
        for task, report in self.reports.items():
            if "macro_f1_ci95" in report:
                metrics[f"{self.name}.{task}.macro_f1_ci_low"], metrics[f"{self.name}.{task}.macro_f1_ci_high"] = report["macro_f1_ci95"]
            for label, scores in report["per_class"].items():
                for key in ("precision", "recall", "f1"):
                    metrics[f"{self.name}.{task}.{label}.{key}"] = scores[key]
        return metrics

    def selection_score(self) -> float:
        return float(np.mean([r["macro_f1"] for r in self.reports.values()]))


def evaluate_predictions(name: str, frame: pd.DataFrame, probabilities: dict[str, np.ndarray], tasks: Sequence[TaskSpec],
                         bootstrap: bool = True, labels: dict[str, Sequence[str]] | None = None) -> SplitEvaluation:
    """Attach predictions to `frame` and score every task that has gold labels.

    The predicted label is the most probable one unless `labels` gives it (the hybrid's output).
    """
    frame = frame.copy()
    reports = {}
    for task in tasks:
        probs = probabilities[task.name]
        given = (labels or {}).get(task.name)
        predicted = list(given) if given is not None else [task.labels[i] for i in probs.argmax(1)]
        frame[f"pred_{task.name}"] = predicted
        columns = np.array([task.labels.index(label) for label in predicted], dtype=int)
        frame[f"prob_{task.name}"] = probs[np.arange(len(predicted)), columns]  # the model's probability of the label given
        if task.name not in frame.columns:
            continue
        gold = frame[task.name].notna()
        if gold.any():
            reports[task.name] = task_report(list(frame.loc[gold, task.name]), list(frame.loc[gold, f"pred_{task.name}"]), task.labels, bootstrap)
    return SplitEvaluation(name, frame, reports)


def most_confident_errors(evaluation: SplitEvaluation, task: str, n: int = N_ERRORS) -> pd.DataFrame:
    frame = evaluation.frame
    wrong = frame[frame[task].notna() & (frame[task] != frame[f"pred_{task}"])]
    columns = [c for c in ("article_id", "sentence_index", "outlet", "text", task, f"pred_{task}", f"prob_{task}") if c in wrong.columns]
    return wrong.sort_values(f"prob_{task}", ascending=False)[columns].head(n)


def per_outlet_scores(evaluation: SplitEvaluation, task: str) -> pd.DataFrame | None:
    frame = evaluation.frame
    if "outlet" not in frame.columns or task not in frame.columns or frame["outlet"].isna().all():
        return None
    rows = []
    for outlet, group in frame[frame[task].notna()].groupby("outlet"):
        rows.append({"outlet": outlet, "n": len(group), "macro_f1": macro_f1(list(group[task]), list(group[f"pred_{task}"])),
                     "accuracy": float((group[task] == group[f"pred_{task}"]).mean())})
    return pd.DataFrame(rows).sort_values("n", ascending=False)


def confusion_figure(report: dict, title: str):
    """A confusion-matrix figure (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, matrix = report["labels"], np.asarray(report["confusion"])
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(labels), 0.8 + 0.6 * len(labels)))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center", color="white" if value > matrix.max() / 2 else "black", fontsize=8)
    fig.tight_layout()
    return fig


def write_error_analysis(evaluation: SplitEvaluation, directory: Path) -> list[Path]:
    """Write confusion matrices (PNG + CSV), top errors and per-outlet scores; returns the files."""
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for task, report in evaluation.reports.items():
        stem = directory / f"{evaluation.name}_{task}"
        fig = confusion_figure(report, f"{evaluation.name}: {task}")
        fig.savefig(f"{stem}_confusion.png", dpi=100)
        plt.close(fig)
        pd.DataFrame(report["confusion"], index=report["labels"], columns=report["labels"]).to_csv(f"{stem}_confusion.csv")
        most_confident_errors(evaluation, task).to_csv(f"{stem}_errors.csv", index=False)
        written += [Path(f"{stem}_confusion.png"), Path(f"{stem}_confusion.csv"), Path(f"{stem}_errors.csv")]
        outlets = per_outlet_scores(evaluation, task)
        if outlets is not None:
            outlets.to_csv(f"{stem}_outlets.csv", index=False)
            written.append(Path(f"{stem}_outlets.csv"))
    report_path = directory / f"{evaluation.name}_report.json"
    report_path.write_text(json.dumps(evaluation.reports, indent=2), encoding="utf-8")
    return [*written, report_path]
