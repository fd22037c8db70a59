"""The TF-IDF and rule baselines, and `compare` end to end on the smoke config."""

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from models.schema import DEFAULT_TASKS, TaskSpec
from training.baselines import RuleBaseline, TfidfBaseline, with_neighbours
from training.cli import main
from training.compare import compare
from training.config import load_config
from training.evaluate import evaluate_predictions

from .conftest import CONFIGS, make_rows


@pytest.fixture
def rows() -> pd.DataFrame:
    return pd.DataFrame(make_rows())


def test_tfidf_learns_a_separable_task(rows):
    train, dev = rows[rows["split"] == "train"], rows[rows["split"] == "dev"]
    baseline = TfidfBaseline(DEFAULT_TASKS, context=False).fit(train)
    evaluation = evaluate_predictions("dev", dev, baseline.predict_proba(dev), DEFAULT_TASKS, bootstrap=False)
    assert evaluation.reports["frame"]["accuracy"] == 1.0  # chance: 0.25
    assert evaluation.reports["source"]["accuracy"] > 0.9


def test_tfidf_probabilities_follow_the_label_order_with_unseen_labels(rows):
    task = TaskSpec("source", ("unseen_first", "government", "unseen_middle", "ngo", "none"))
    train = rows[rows["source"].isin(["government", "ngo", "none"])].copy()
    train.loc[train.index[:3], "source"] = None  # a missing label is skipped, not an error
    probabilities = TfidfBaseline([task], context=True).fit(train).predict_proba(rows)["source"]
    assert probabilities.shape == (len(rows), 5)
    np.testing.assert_allclose(probabilities.sum(1), 1.0)
    assert (probabilities[:, [0, 2]] == 0).all()
    predicted = [task.labels[i] for i in probabilities.argmax(1)]
    known = rows["source"].isin(["government", "ngo", "none"]).to_numpy()
    assert np.mean(np.array(predicted)[known] == rows["source"].to_numpy()[known]) > 0.9


def test_tfidf_with_a_single_training_class_predicts_it(rows):
    task = TaskSpec("frame", ("pro_government", "neutral"))
    train = rows.assign(frame="neutral")
    probabilities = TfidfBaseline([task]).fit(train).predict_proba(rows.head(4))["frame"]
    assert probabilities.tolist() == [[0.0, 1.0]] * 4


def test_neighbours_come_from_the_same_article_in_sentence_order():
    frame = pd.DataFrame({"article_id": ["b", "a", "a", "a"], "sentence_index": [0, 2, 0, 1], "text": ["B0", "A2", "A0", "A1"]})
    neighbours = with_neighbours(frame)
    assert neighbours["previous"].tolist() == ["", "A1", "", "A0"]
    assert neighbours["next"].tolist() == ["", "", "A1", "A2"]


def test_rule_baseline_gives_one_hot_rows_in_label_order(rows):
    pytest.importorskip("models.rules")
    baseline = RuleBaseline([*DEFAULT_TASKS, TaskSpec("style", ("wire", "feature"))])
    assert [t.name for t in baseline.tasks] == ["source", "frame"]  # no rule tagger for style
    shuffled = rows.sample(frac=1.0, random_state=0)
    probabilities = baseline.predict_proba(shuffled)
    labels = baseline.labels(shuffled)
    for task in baseline.tasks:
        p = probabilities[task.name]
        assert p.shape == (len(rows), len(task.labels))
        assert set(np.unique(p)) <= {0.0, 1.0} and (p.sum(1) == 1).all()
        assert [task.labels[i] for i in p.argmax(1)] == labels[task.name]
    evaluation = evaluate_predictions("all", shuffled, probabilities, baseline.tasks, bootstrap=False)
    assert evaluation.reports["source"]["accuracy"] > 0.5  # the speakers are plain "X said" cues


@pytest.fixture
def quick_bootstrap(monkeypatch):
    """100 resamples instead of 1000: the intervals' code path at a tenth of the time."""
    import training.evaluate

    full = training.evaluate.bootstrap_interval
    monkeypatch.setattr(training.evaluate, "bootstrap_interval", lambda y_true, y_pred: full(y_true, y_pred, n=100))


def test_compare_writes_the_table_and_logs_every_method(smoke_overrides, quick_bootstrap, tmp_path):
    pytest.importorskip("models.rules")
    cfg = load_config(CONFIGS / "smoke.yaml", [*smoke_overrides, "train.epochs=1"])
    output = tmp_path / "compare"
    table = compare(cfg, output, tfidf_grid=[(False, 10.0)])

    written = pd.read_csv(output / "compare.csv")
    assert list(written.columns) == list(table.columns) and len(written) == len(table) == 2 * 2 * 4  # splits x tasks x methods
    assert set(written["method"]) == {"transformer", "hybrid", "tfidf", "rules"}
    assert set(written["split"]) == {"dev", "test"} and set(written["task"]) == {"source", "frame"}
    assert written[["macro_f1", "macro_f1_ci_low", "macro_f1_ci_high", "accuracy"]].notna().all().all()
    for task in DEFAULT_TASKS:
        part = written[written["task"] == task.name]
        for label in task.labels:  # a class in the gold always has an F1
            assert part.loc[part[f"support.{label}"] > 0, f"f1.{label}"].notna().all()
    assert (written["macro_f1_ci_low"] <= written["macro_f1_ci_high"]).all()
    baselines = written[written["method"].isin(["tfidf", "rules"])]
    for candidate in ("transformer", "hybrid"):
        model = written[written["method"] == candidate].set_index(["split", "task"])
        expected = [model.loc[(r.split, r.task), "macro_f1_ci_low"] > r.macro_f1_ci_high for r in baselines.itertuples()]
        assert baselines[f"{candidate}_beats"].tolist() == expected
        assert written.loc[written["method"].isin(["transformer", "hybrid"]), f"{candidate}_beats"].isna().all()
    markdown = (output / "compare.md").read_text()
    assert "## source" in markdown and "## frame" in markdown and "Verdict on real-test" in markdown

    client = MlflowClient()
    experiment = client.get_experiment_by_name(f"{cfg.tracking.experiment}-compare")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.data.params["method"] for r in runs) == ["compare", "hybrid", "rules", "tfidf", "transformer"]
    assert all(r.info.status == "FINISHED" for r in runs)
    parent = next(r for r in runs if r.data.params["method"] == "compare")
    for run in runs:
        assert {"compare.csv", "compare.md"} <= {a.path for a in client.list_artifacts(run.info.run_id)}
        if run is not parent:
            assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        if run.data.params["method"] == "transformer":
            assert run.data.tags["model_dev_digest_matches"] == "True"  # the trained model saw this dev set
            assert "test.source.macro_f1_ci_low" in run.data.metrics and "dev.frame.neutral.f1" in run.data.metrics
        if run.data.params["method"] == "hybrid":
            assert float(run.data.params["hybrid.rule_override_below.source"]) == cfg.model.rule_override_below["source"]


def test_compare_command_passes_the_model_and_prints_the_table(monkeypatch, tmp_path, capsys):
    import training.compare

    calls = {}

    def fake_compare(cfg, output_dir, model_dir=None):
        calls.update(output_dir=output_dir, model_dir=model_dir, epochs=cfg.train.epochs)
        (output_dir / "compare.md").parent.mkdir(parents=True)
        (output_dir / "compare.md").write_text("# Transformer vs baselines")

    monkeypatch.setattr(training.compare, "compare", fake_compare)
    args = ["compare", "--config", str(CONFIGS / "default.yaml"), "--set", "train.epochs=1", "--model", "some/model",
            "--output-dir", str(tmp_path / "out")]
    assert main(args) == 0
    assert calls == {"output_dir": tmp_path / "out", "model_dir": "some/model", "epochs": 1}
    assert "Transformer vs baselines" in capsys.readouterr().out
