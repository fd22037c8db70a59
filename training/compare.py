"""`compare(cfg, output_dir) -> table`: the transformer against TF-IDF and the rule taggers.

Methods: `transformer` (the model's own labels), `hybrid` (what `Tagger` returns: the rule label
where the model's probability is below the model's `rule_override_below`; only for a model that
has thresholds), `tfidf` and `rules`. Every method is trained on the config's `train_splits` (the rows `train` uses) and scored on
`[dev_split, *eval_splits]` with `training.evaluate`, so the numbers are comparable line by line.
The TF-IDF settings are chosen on `dev_split` by the transformer's selection score (the mean of
the tasks' macro-F1), as the transformer chooses its epoch there.

Each method is one MLflow run, nested under a `compare` run, in the experiment
`<tracking.experiment>-compare`; metric names follow the training run (`real-test.source.macro_f1`,
`...macro_f1_ci_low`, `...<label>.f1`). The table goes to `compare.csv` and `compare.md` in
`output_dir` and to MLflow.

The rule for "the transformer (or the hybrid) beats a baseline" on a split and task: the lower
end of its 95% bootstrap interval of macro-F1 lies above the upper end of the baseline's.
The intervals come from the same resampled sentences for every method (`bootstrap_interval`'s
fixed seed), and non-overlap is a conservative test: a "no" can still hide a real but small gain.

Example:
    >>> table = compare(load_config("configs/default.yaml"), Path("outputs/compare"), model_dir="outputs/default/model")
    >>> table[(table.split == "real-test") & (table.task == "source")][["method", "macro_f1"]]
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import mlflow
import numpy as np
import pandas as pd

from training import tracking
from training.baselines import RuleBaseline, TfidfBaseline
from training.config import ConfigError, RunConfig
from training.corpus import load_run_data
from training.data import frame_digest
from training.evaluate import SplitEvaluation, evaluate_predictions, evaluate_tagger, tagger_probabilities, write_error_analysis

HEADLINE_SPLIT = "real-test"
METHODS = ("transformer", "hybrid", "tfidf", "rules")
# The model's own labels, and what `Tagger` returns (rule labels where the model is unsure).
CANDIDATES = ("transformer", "hybrid")
# (context, C) candidates for TF-IDF, chosen on dev. On the default config (dev selection score,
# the mean of the tasks' macro-F1): no context C=1 0.755, C=3 0.773, C=10 0.779; with the
# neighbouring sentences C=1 0.753, C=10 0.751 (context does not help TF-IDF here).
TFIDF_GRID: tuple[tuple[bool, float], ...] = ((False, 1.0), (False, 3.0), (False, 10.0), (True, 1.0), (True, 10.0))
TABLE_NAMES = ("compare.csv", "compare.md")


@dataclass
class MethodResult:
    """One method's evaluations on every split, with what to log about it."""

    method: str
    evaluations: dict[str, SplitEvaluation]
    params: dict[str, object] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def training_rows(cfg: RunConfig, data: pd.DataFrame) -> pd.DataFrame:
    """The rows `train(cfg)` trains on: the train splits, cut to `train.max_train_rows` as it does."""
    rows = data[data["split"].isin(cfg.data.train_splits)]
    return rows.head(cfg.train.max_train_rows) if cfg.train.max_train_rows else rows


def evaluation_frames(cfg: RunConfig, data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """`dev_split` then `eval_splits`, each once, for the splits that have rows."""
    names = dict.fromkeys([cfg.data.dev_split, *cfg.data.eval_splits])
    return {name: data[data["split"] == name] for name in names if (data["split"] == name).any()}


def evaluate_all(frames: dict[str, pd.DataFrame], probabilities_of, tasks, bootstrap: bool = True) -> dict[str, SplitEvaluation]:
    return {name: evaluate_predictions(name, frame, probabilities_of(frame), tasks, bootstrap) for name, frame in frames.items()}


def run_tfidf(cfg: RunConfig, train_frame: pd.DataFrame, frames: dict[str, pd.DataFrame],
              grid: Sequence[tuple[bool, float]] = TFIDF_GRID) -> MethodResult:
    """Fit every grid candidate, keep the best on dev, and evaluate it on every split."""
    dev = {cfg.data.dev_split: frames[cfg.data.dev_split]}
    best, best_score, scores = None, -math.inf, {}
    for context, c in grid:
        candidate = TfidfBaseline(cfg.task_specs, context=context, c=c, seed=cfg.seed).fit(train_frame)
        score = evaluate_all(dev, candidate.predict_proba, cfg.task_specs, bootstrap=False)[cfg.data.dev_split].selection_score()
        scores[f"dev_selection.tfidf_C{c:g}_context{int(context)}"] = score
        print(f"tfidf context={context} C={c:g}: dev selection score {score:.4f}")
        if score > best_score:
            best, best_score = candidate, score
    evaluations = evaluate_all(frames, best.predict_proba, cfg.task_specs)
    return MethodResult("tfidf", evaluations, best.params(), {**scores, "dev_selection_best": best_score})


def run_rules(cfg: RunConfig, frames: dict[str, pd.DataFrame]) -> MethodResult:
    baseline = RuleBaseline(cfg.task_specs)
    if not baseline.tasks:
        raise ConfigError(f"no task of the config has a rule tagger (rule tasks: {list(RuleBaseline.TASKS)})")
    return MethodResult("rules", evaluate_all(frames, baseline.predict_proba, baseline.tasks), baseline.params())


def run_transformer(cfg: RunConfig, frames: dict[str, pd.DataFrame], model: str | Path, training_run_id: str | None = None) -> list[MethodResult]:
    """Evaluate a saved tagger (a directory or an MLflow model URI) on the same frames: its own
    labels (`transformer`) and, for a model with `rule_override_below`, the labels `Tagger`
    returns (`hybrid`)."""
    import torch

    from models.predict import Tagger

    torch.set_num_threads(cfg.train.num_threads)
    tagger = Tagger.load(model, batch_size=cfg.train.eval_batch_size)
    if tuple(tagger.tasks) != cfg.task_specs:
        raise ConfigError(f"--model {model}: its tasks {[t.to_dict() for t in tagger.tasks]} differ from the config's")
    dev_digest = frame_digest(frames[cfg.data.dev_split], cfg.task_specs)
    same_dev = tagger.metadata.get("dev_digest") == dev_digest
    if not same_dev:
        warnings.warn(f"the model at {model} was selected on a different {cfg.data.dev_split!r} set than this config's "
                      f"(digest {tagger.metadata.get('dev_digest')} vs {dev_digest})", stacklevel=2)

    params = {"method": "transformer", "transformer.model": str(model), "transformer.base_model": tagger.metadata.get("base_model", "unknown"),
              "transformer.rule_input": tagger.metadata.get("rule_input", "none")}
    tags = {"training_run_id": training_run_id or tagger.metadata.get("run_id") or "unknown", "model_dev_digest_matches": str(same_dev)}
    results = [MethodResult("transformer", evaluate_all(frames, lambda frame: tagger_probabilities(tagger, frame), tagger.tasks), params, tags=tags)]
    if tagger.rule_override_below:
        evaluations = {name: evaluate_tagger(tagger, name, frame) for name, frame in frames.items()}
        thresholds = {f"hybrid.rule_override_below.{task}": value for task, value in tagger.rule_override_below.items()}
        results.append(MethodResult("hybrid", evaluations, {**params, "method": "hybrid", **thresholds}, tags=tags))
    return results


def comparison_table(results: Sequence[MethodResult], tasks) -> pd.DataFrame:
    """One row per split, task and method; `transformer_beats` and `hybrid_beats` on baseline rows (see module doc)."""
    labels = list(dict.fromkeys(label for task in tasks for label in task.labels))
    by_method = {result.method: result for result in results}
    splits = dict.fromkeys(split for result in results for split in result.evaluations)
    rows = []
    for split in splits:
        for task in tasks:
            for method in [m for m in METHODS if m in by_method]:
                evaluation = by_method[method].evaluations.get(split)
                report = evaluation.reports.get(task.name) if evaluation is not None else None
                if report is None:
                    continue
                low, high = report.get("macro_f1_ci95", (math.nan, math.nan))
                row = {"split": split, "task": task.name, "method": method, "n": report["n"], "macro_f1": report["macro_f1"],
                       "macro_f1_ci_low": low, "macro_f1_ci_high": high, "accuracy": report["accuracy"]}
                row.update({f"f1.{label}": _class_f1(report, label) for label in labels})
                row.update({f"support.{label}": report["per_class"][label]["support"] if label in report["per_class"] else math.nan
                            for label in labels})
                rows.append(row)
    table = pd.DataFrame(rows)
    for candidate in CANDIDATES:
        table[f"{candidate}_beats"] = pd.Series([_beats(table, row, candidate) for row in table.itertuples()], dtype=object)
    return table


def _class_f1(report: dict, label: str) -> float:
    """A label's F1, or NaN where it is neither in the gold nor predicted (macro-F1 leaves it out too)."""
    if label not in report["per_class"]:
        return math.nan
    predicted = np.asarray(report["confusion"])[:, report["labels"].index(label)].sum()
    return math.nan if report["per_class"][label]["support"] == 0 and predicted == 0 else report["per_class"][label]["f1"]


def _beats(table: pd.DataFrame, row, candidate: str) -> object:
    """Whether `candidate` beats the baseline in `row` by the interval rule; None for candidates' rows or no interval."""
    if row.method in CANDIDATES:
        return None
    model = table[(table["split"] == row.split) & (table["task"] == row.task) & (table["method"] == candidate)]
    if model.empty or any(math.isnan(v) for v in (model["macro_f1_ci_low"].iloc[0], row.macro_f1_ci_high)):
        return None
    return bool(model["macro_f1_ci_low"].iloc[0] > row.macro_f1_ci_high)


def _score(row) -> str:
    interval = "" if math.isnan(row["macro_f1_ci_low"]) else f" [{row['macro_f1_ci_low']:.3f}, {row['macro_f1_ci_high']:.3f}]"
    return f"{row['macro_f1']:.3f}{interval}"


def verdict_lines(table: pd.DataFrame, split: str = HEADLINE_SPLIT) -> list[str]:
    """Plain sentences: does the transformer (alone, and as the hybrid) beat each baseline on `split`, by the interval rule?"""
    part = table[table["split"] == split]
    if part.empty:
        return [f"- The {split!r} split has no rows in this run (is the FA-KES CSV missing?): no verdict."]
    if "transformer" not in set(part["method"]):
        return [f"- No transformer rows on {split!r}: no verdict."]
    lines = []
    for task in dict.fromkeys(part["task"]):
        rows = part[part["task"] == task].set_index("method")
        for candidate in [c for c in CANDIDATES if c in rows.index]:
            for method in [m for m in rows.index if m not in CANDIDATES]:
                other = rows.loc[method]
                beats = other[f"{candidate}_beats"]
                word = "no interval" if beats is None else "**yes**" if beats else "**no**"
                lines.append(f"- {task}: {candidate} {_score(rows.loc[candidate])} vs {method} {_score(other)}: "
                             f"beats it by more than the interval? {word}")
    return lines


def render_markdown(table: pd.DataFrame, tasks, notes: Sequence[str] = ()) -> str:
    """The table as Markdown: the headline verdicts, then one table per task."""
    lines = ["# Transformer vs baselines", "", *notes, "",
             "**Rule.** The transformer *beats* a baseline on a split and task when the lower end of its 95% bootstrap "
             "interval of macro-F1 is above the upper end of the baseline's interval (the intervals do not overlap; "
             "1000 resamples of the split's sentences, the same resamples for every method).", "",
             f"## Verdict on {HEADLINE_SPLIT}", "", *verdict_lines(table), ""]
    for task in tasks:
        part = table[table["task"] == task.name]
        if part.empty:
            continue
        labels = list(task.labels)
        lines += [f"## {task.name}", "", "Macro-F1 with its 95% bootstrap interval, accuracy, and F1 per class; the *gold* row of "
                  "each split counts its sentences per class. A blank F1: the class is neither in the gold nor predicted.", "",
                  "| split | method | n | macro-F1 [95% CI] | accuracy | " + " | ".join(labels) + " | transformer beats it | hybrid beats it |",
                  "|" + " --- |" * (7 + len(labels))]
        for split in dict.fromkeys(part["split"]):
            first = part[part["split"] == split].iloc[0]
            support = " | ".join(str(int(first[f"support.{label}"])) for label in labels)
            lines.append(f"| {split} | *gold* | {first['n']} | | | {support} | | |")
            for _, row in part[part["split"] == split].iterrows():
                lines.append(_markdown_row(row, labels))
        lines.append("")
    return "\n".join(lines)


def _beats_text(row: pd.Series, candidate: str) -> str:
    beats = row[f"{candidate}_beats"]
    return "" if row["method"] in CANDIDATES else "n/a" if beats is None or beats != beats else "yes" if beats else "no"


def _markdown_row(row: pd.Series, labels: Sequence[str]) -> str:
    per_class = " | ".join("" if math.isnan(row[f"f1.{label}"]) else f"{row[f'f1.{label}']:.2f}" for label in labels)
    beats = " | ".join(_beats_text(row, candidate) for candidate in CANDIDATES)
    return f"| {row['split']} | {row['method']} | {row['n']} | {_score(row)} | {row['accuracy']:.3f} | {per_class} | {beats} |"


def compare(cfg: RunConfig, output_dir: str | Path, transformer_result=None, model_dir: str | Path | None = None,
            tfidf_grid: Sequence[tuple[bool, float]] = TFIDF_GRID) -> pd.DataFrame:
    """Run the baselines and the transformer on the same splits; write, log and return the table.

    Args:
        cfg: the run config; its data, splits and tracking settings apply to every method.
        output_dir: where `compare.csv`, `compare.md` and each method's error analysis go.
        transformer_result: a `TrainResult` of this config; its model is evaluated, not retrained.
        model_dir: a saved tagger (directory or MLflow URI) to evaluate instead of training one.
        tfidf_grid: the (context, C) candidates for TF-IDF, chosen on `dev_split`.

    Returns:
        One row per split, task and method (see `comparison_table`).
    """
    output_dir = Path(output_dir)
    uri = tracking.connect(cfg.tracking)
    data = load_run_data(cfg)
    train_frame = training_rows(cfg, data)
    frames = evaluation_frames(cfg, data)

    results = [run_tfidf(cfg, train_frame, frames, tfidf_grid), run_rules(cfg, frames)]
    training_run_id = None
    if model_dir is None:
        if transformer_result is None:
            from training.train import train

            transformer_result = train(cfg)  # it reads the same config, hence the same rows
        model_dir, training_run_id = transformer_result.model_dir, transformer_result.run_id
    results = [*run_transformer(cfg, frames, model_dir, training_run_id), *results]

    table = comparison_table(results, cfg.task_specs)
    tfidf = next(r for r in results if r.method == "tfidf")
    notes = [f"Training rows: {len(train_frame)} from splits {cfg.data.train_splits}; the TF-IDF settings were chosen on "
             f"{cfg.data.dev_split!r} ({tfidf.params['tfidf.features']}, C={tfidf.params['tfidf.C']:g}). "
             f"The rule taggers are not trained. Transformer: {model_dir}."]
    output_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(output_dir / "compare.csv", index=False)
    (output_dir / "compare.md").write_text(render_markdown(table, cfg.task_specs, notes), encoding="utf-8")
    _log_runs(cfg, uri, output_dir, results, table, train_frame, frames)
    return table


def _log_runs(cfg: RunConfig, uri: str, output_dir: Path, results: Sequence[MethodResult], table: pd.DataFrame,
              train_frame: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> None:
    config_params = tracking.flatten("", cfg.to_dict(), {})
    digests = {f"data.digest.{name}": frame_digest(frame, cfg.task_specs) for name, frame in [("train", train_frame), *frames.items()]}
    rows = {f"data.rows.{name}": len(frame) for name, frame in [("train", train_frame), *frames.items()]}
    tags = {**tracking.environment_tags(), "codebook_version": str(cfg.codebook_version), "tracking_uri": uri, "output_dir": str(output_dir)}
    mlflow.set_experiment(f"{cfg.tracking.experiment}-compare")
    with mlflow.start_run(run_name="compare"):
        mlflow.set_tags(tags)
        mlflow.log_params({"method": "compare", **config_params, **digests, **rows})
        mlflow.log_dict(cfg.to_dict(), "config.yaml")
        for candidate in CANDIDATES:
            for row in table[table[f"{candidate}_beats"].notna()].to_dict("records"):
                mlflow.log_metric(f"{row['split']}.{row['task']}.{candidate}_beats.{row['method']}", float(row[f"{candidate}_beats"]))
        for name in TABLE_NAMES:
            mlflow.log_artifact(str(output_dir / name))
        for result in results:
            with mlflow.start_run(run_name=result.method, nested=True):
                mlflow.set_tags({**tags, **result.tags})
                mlflow.log_params({**config_params, **digests, **rows, **result.params})
                metrics = dict(result.metrics)
                for evaluation in result.evaluations.values():
                    metrics.update(evaluation.metrics())
                    for path in write_error_analysis(evaluation, output_dir / result.method):
                        mlflow.log_artifact(str(path), artifact_path="evaluation")
                mlflow.log_metrics(metrics)
                for name in TABLE_NAMES:
                    mlflow.log_artifact(str(output_dir / name))
