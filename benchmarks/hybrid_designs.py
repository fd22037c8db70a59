"""Choose how the rule taggers and the model combine, on real-dev, over several seeds per design.

A design is a set of trained models (one per seed) of one kind, e.g. `model.rule_input: none`
vs `features`. On top of each, the hybrid override: for each task and threshold t, the rule label
replaces the model's where the model's top probability is below t and the rules found a
non-default label (t = 0: the model alone). For each design and task this prints the mean
real-dev macro-F1 over the seeds at every t; the design whose best thresholds give the highest
mean of the tasks' real-dev scores wins. Real-test figures are printed for every design at its
own real-dev-chosen thresholds, for the record, not for choosing.

Usage:
    python benchmarks/hybrid_designs.py FAKES_JOINED.jsonl NAME=DIR,DIR,DIR [NAME=DIR,...]

FAKES_JOINED.jsonl comes from `python -m training join-fakes --csv ... --output FILE`.
"""

import sys

import numpy as np
import pandas as pd

from models.predict import Tagger
from models.rule_evidence import rule_wins
from training.evaluate import macro_f1

THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
SPLITS = ("real-dev", "real-test")


def model_and_rule_labels(tagger: Tagger, frame: pd.DataFrame) -> pd.DataFrame:
    """Per sentence and task: gold, the model's label and probability, and the rule label."""
    tagger.rule_override_below = {}
    rows = []
    for _, article in frame.groupby("article_id", sort=False):
        article = article.sort_values("sentence_index")
        for (_, gold), result in zip(article.iterrows(), tagger.tag_sentences(list(article["text"]))):
            for task in tagger.tasks:
                rule = result.evidence.get(task.name)
                rows.append({"task": task.name, "gold": gold[task.name], "model": result[task.name].label,
                             "p": result[task.name].probability, "rule": rule.label if rule else None})
    return pd.DataFrame(rows)


def hybrid_f1(labels: pd.DataFrame, task, threshold: float) -> float:
    chosen = [rule if rule_wins(task, p, rule, threshold) else model for model, p, rule in zip(labels["model"], labels["p"], labels["rule"])]
    return macro_f1(list(labels["gold"]), chosen)


def score_design(models: list[str], data: pd.DataFrame) -> dict:
    """{task: {split: {threshold: [macro-F1 per seed]}}} for one design."""
    scores: dict = {}
    for directory in models:
        tagger = Tagger.load(directory)
        for split in SPLITS:
            labels = model_and_rule_labels(tagger, data[data["split"] == split])
            for task in tagger.tasks:
                of_task = labels[labels["task"] == task.name]
                for t in THRESHOLDS:
                    scores.setdefault(task.name, {}).setdefault(split, {}).setdefault(t, []).append(hybrid_f1(of_task, task, t))
    return scores


def main(joined: str, designs: dict[str, list[str]]) -> None:
    data = pd.read_json(joined, lines=True)
    summary = {}
    for name, models in designs.items():
        scores = score_design(models, data)
        chosen = {}
        for task, by_split in scores.items():
            dev = {t: float(np.mean(v)) for t, v in by_split["real-dev"].items()}
            print(f"{name} {task} real-dev mean over {len(models)} seeds: " + ", ".join(f"t={t:.1f} {s:.3f}" for t, s in dev.items()))
            best = max(dev, key=dev.get)
            test = by_split["real-test"][best]
            chosen[task] = (best, dev[best], dev[0.0], test, by_split["real-test"][0.0])
            print(f"{name} {task}: best t={best:.1f} (real-dev {dev[best]:.3f}; model alone {dev[0.0]:.3f}); "
                  f"real-test per seed {[round(x, 3) for x in test]}, mean {np.mean(test):.3f}")
        summary[name] = chosen
    print("\ndesign | real-dev mean of tasks (best thresholds) | thresholds | per task: real-dev alone -> hybrid; real-test alone -> hybrid (means over seeds)")
    for name, chosen in sorted(summary.items(), key=lambda kv: -np.mean([c[1] for c in kv[1].values()])):
        print(f"{name} | {np.mean([c[1] for c in chosen.values()]):.3f} | "
              + ", ".join(f"{task} {c[0]:.1f}" for task, c in chosen.items()) + " | "
              + "; ".join(f"{task} {c[2]:.3f} -> {c[1]:.3f}, {np.mean(c[4]):.3f} -> {np.mean(c[3]):.3f}" for task, c in chosen.items()))


def parse_designs(arguments: list[str]) -> dict[str, list[str]]:
    designs = {}
    for argument in arguments:
        name, sep, dirs = argument.partition("=")
        if not sep or not dirs:
            raise SystemExit(f"expected NAME=DIR,DIR,..., got {argument!r}")
        designs[name] = dirs.split(",")
    return designs


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], parse_designs(sys.argv[2:]))
