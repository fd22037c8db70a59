"""Two simple taggers to measure the transformer against, on the same rows and splits.

- :class:`TfidfBaseline`: TF-IDF word 1-2-grams and character 2-5-grams of the sentence (and,
  optionally, word n-grams of the previous and next sentence of its article, in their own
  feature spaces), with one class-balanced logistic regression per task.
- :class:`RuleBaseline`: the transparent rule taggers of `models.rules` (the source gazetteer
  with attribution cues, the frame marker lists); it needs no training.

Both return, per task, an array of probabilities whose columns follow the task's label order,
so `training.evaluate.evaluate_predictions` scores them exactly like the transformer.

Example:
    >>> baseline = TfidfBaseline(cfg.task_specs).fit(data[data["split"].isin(cfg.data.train_splits)])
    >>> evaluation = evaluate_predictions("real-test", test, baseline.predict_proba(test), cfg.task_specs)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from models.schema import TaskSpec
from training.data import article_groups, split_rows

MAX_ITER = 5000


def _missing(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(pd.isna(value))


def with_neighbours(frame: pd.DataFrame) -> pd.DataFrame:
    """`text`, `previous` and `next` per row, in the frame's row order.

    Neighbours are the article's adjacent rows by `sentence_index` (the transformer's context,
    see `training.data.encode_rows`); a row without `article_id` takes its `context` column,
    if any, as its previous text.
    """
    out = pd.DataFrame({"text": frame["text"].astype(str), "previous": "", "next": ""}, index=frame.index)
    articles, loose, contexts = split_rows(frame)
    for article in articles:
        texts = list(article["text"].astype(str))
        out.loc[article.index, "previous"] = [""] + texts[:-1]
        out.loc[article.index, "next"] = texts[1:] + [""]
    out.loc[loose.index, "previous"] = ["" if _missing(c) else str(c) for c in contexts]
    return out


def tfidf_features(context: bool) -> ColumnTransformer:
    """Sentence word 1-2-grams + char_wb 2-5-grams; with `context`, neighbours' word 1-2-grams too."""
    word = dict(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)
    parts = [
        ("word", TfidfVectorizer(**word), "text"),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, lowercase=True), "text"),
    ]
    if context:
        # Separate vectorizers keep a neighbour's "said" apart from the sentence's own "said".
        parts += [("previous", TfidfVectorizer(**word), "previous"), ("next", TfidfVectorizer(**word), "next")]
    return ColumnTransformer(parts, sparse_threshold=1.0)


class TfidfBaseline:
    """TF-IDF features shared by the tasks, one balanced logistic regression per task.

    Args:
        tasks: the tasks and their label order.
        context: add the previous and next sentence of the article as features.
        c: inverse regularisation strength of the logistic regressions.
        seed: random state of the solver (fixed, so a rerun gives the same model).
    """

    method = "tfidf"

    def __init__(self, tasks: Sequence[TaskSpec], context: bool = True, c: float = 10.0, seed: int = 13):
        self.tasks = tuple(tasks)
        self.context = context
        self.c = c
        self.seed = seed
        self.features: ColumnTransformer | None = None
        self.classifiers: dict[str, LogisticRegression | str] = {}

    def params(self) -> dict[str, object]:
        return {"method": self.method, "tfidf.context": self.context, "tfidf.C": self.c, "tfidf.seed": self.seed,
                "tfidf.features": "word 1-2 + char_wb 2-5" + (" + previous/next word 1-2" if self.context else "")}

    def fit(self, frame: pd.DataFrame) -> "TfidfBaseline":
        """Fit on the training rows; a row missing a task's label is skipped for that task only.

        A `weight` column, when present, weights the rows as in the transformer's loss.
        """
        inputs = with_neighbours(frame)
        self.features = tfidf_features(self.context).fit(inputs)
        matrix = self.features.transform(inputs)
        weights = frame["weight"].astype(float).to_numpy() if "weight" in frame.columns else np.ones(len(frame))
        for task in self.tasks:
            if task.name not in frame.columns:
                raise ValueError(f"training rows have no {task.name!r} column")
            labelled = ~frame[task.name].map(_missing).to_numpy()
            gold = frame[task.name].to_numpy()[labelled]
            unknown = sorted(set(gold) - set(task.labels))
            if unknown:
                raise ValueError(f"task {task.name!r}: labels {unknown} are not in {list(task.labels)}")
            if len(set(gold)) == 0:
                raise ValueError(f"task {task.name!r}: no training row has a label")
            if len(set(gold)) == 1:
                self.classifiers[task.name] = gold[0]  # one class seen: nothing to learn
                continue
            model = LogisticRegression(C=self.c, class_weight="balanced", max_iter=MAX_ITER, random_state=self.seed)
            self.classifiers[task.name] = model.fit(matrix[labelled], gold, sample_weight=weights[labelled])
        return self

    def predict_proba(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per task, probabilities (rows x the task's labels); labels unseen in training get 0."""
        if self.features is None:
            raise RuntimeError("fit the baseline before predicting")
        matrix = self.features.transform(with_neighbours(frame))
        out = {}
        for task in self.tasks:
            probabilities = np.zeros((len(frame), len(task.labels)))
            model = self.classifiers[task.name]
            if isinstance(model, str):
                probabilities[:, task.labels.index(model)] = 1.0
            else:
                columns = [task.labels.index(label) for label in model.classes_]
                probabilities[:, columns] = model.predict_proba(matrix)
            out[task.name] = probabilities
        return out


class RuleBaseline:
    """The rule taggers of `models.rules` as a baseline: one-hot probabilities, no training.

    Only tasks with a rule tagger (`source`, `frame`) are covered; `tasks` lists them.

    Args:
        tasks: the run's tasks; those without a rule tagger are left out.
        gazetteer: a `models.gazetteer.Gazetteer`; the bundled one when None.
    """

    method = "rules"
    TASKS = ("source", "frame")

    def __init__(self, tasks: Sequence[TaskSpec], gazetteer=None):
        from models.gazetteer import Gazetteer
        from models.rule_evidence import rule_taggers

        self.gazetteer = gazetteer if gazetteer is not None else Gazetteer.load()
        self.tasks = tuple(t for t in tasks if t.name in self.TASKS)
        self.taggers = rule_taggers(self.tasks, self.gazetteer)

    def params(self) -> dict[str, object]:
        return {"method": self.method, "rules.gazetteer_entries": len(self.gazetteer),
                "rules.gazetteer_version": getattr(self.gazetteer, "version", "unknown")}

    def fit(self, frame: pd.DataFrame) -> "RuleBaseline":
        """Nothing to learn; here so both baselines are used the same way."""
        return self

    def labels(self, frame: pd.DataFrame) -> dict[str, list[str]]:
        """Per task, the rule label of every row, tagging each article's sentences in order."""
        out = {task.name: [None] * len(frame) for task in self.tasks}
        position = {index: i for i, index in enumerate(frame.index)}
        for article in article_groups(frame):
            sentences = list(article["text"].astype(str))
            for task in self.tasks:
                results = self.taggers[task.name].tag(sentences)
                if len(results) != len(sentences):
                    raise RuntimeError(f"the {task.name} rule tagger returned {len(results)} results for {len(sentences)} sentences")
                for index, result in zip(article.index, results):
                    out[task.name][position[index]] = task.default_label if result.label is None else result.label
        return out

    def predict_proba(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per task, one-hot rows (rows x the task's labels) for the rule labels."""
        out = {}
        labels_by_task = self.labels(frame)
        for task in self.tasks:
            probabilities = np.zeros((len(frame), len(task.labels)))
            for row, label in enumerate(labels_by_task[task.name]):
                if label not in task.labels:
                    raise ValueError(f"the {task.name} rule tagger returned {label!r}, not one of {list(task.labels)}")
                probabilities[row, task.labels.index(label)] = 1.0
            out[task.name] = probabilities
        return out
