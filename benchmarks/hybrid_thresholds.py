"""Choose the hybrid's per-task thresholds on real-dev, over several trained models (seeds).

For each task and threshold t, the rule label replaces the model's where the model's top
probability is below t and the rules found a non-default label. Prints the mean real-dev
macro-F1 over the models for every t, and the real-test figure for the best t.

Usage: python benchmarks/hybrid_thresholds.py FAKES_JOINED.jsonl MODEL_DIR [MODEL_DIR ...]
(the first file from `python -m training join-fakes --csv ...`).
"""

import sys

import numpy as np
import pandas as pd

from models.predict import Tagger
from training.evaluate import macro_f1

THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def model_and_rule_labels(tagger: Tagger, frame: pd.DataFrame) -> pd.DataFrame:
    tagger.rule_override_below = {}
    rows = []
    for _, article in frame.groupby("article_id", sort=False):
        article = article.sort_values("sentence_index")
        for (_, gold), result in zip(article.iterrows(), tagger.tag_sentences(list(article["text"]))):
            for task in tagger.tasks:
                rule = result.evidence.get(task.name)
                rows.append({"task": task.name, "default": task.default_label, "gold": gold[task.name],
                             "model": result[task.name].label, "p": result[task.name].probability,
                             "rule": rule.label if rule else task.default_label})
    return pd.DataFrame(rows)


def hybrid_f1(labels: pd.DataFrame, threshold: float) -> float:
    override = (labels["p"] < threshold) & (labels["rule"] != labels["default"])
    return macro_f1(list(labels["gold"]), list(np.where(override, labels["rule"], labels["model"])))


def main(joined: str, models: list[str]) -> None:
    data = pd.read_json(joined, lines=True)
    per_model = [{split: model_and_rule_labels(Tagger.load(m), data[data["split"] == split]) for split in ("real-dev", "real-test")}
                 for m in models]
    for task in ("source", "frame"):
        of_task = [{split: labels[labels["task"] == task] for split, labels in m.items()} for m in per_model]
        dev = {t: np.mean([hybrid_f1(m["real-dev"], t) for m in of_task]) for t in THRESHOLDS}
        for t, score in dev.items():
            print(f"{task} t={t:.1f} real-dev mean macro-F1 {score:.3f}")
        best = max(dev, key=dev.get)
        test = [hybrid_f1(m["real-test"], best) for m in of_task]
        print(f"{task}: best t={best:.1f}; real-test per model {[round(x, 3) for x in test]}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
