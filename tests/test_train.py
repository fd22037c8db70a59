"""A smoke training run end to end: train, log, register, reload through MLflow, evaluate."""

import json

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from models.gazetteer import Gazetteer
from models.predict import Tagger
from training.cli import main
from training.config import ConfigError, load_config
from training.train import train

from .conftest import CONFIGS, make_rows, write_jsonl


@pytest.fixture
def smoke_result(smoke_overrides):
    cfg = load_config(CONFIGS / "smoke.yaml", smoke_overrides)
    return cfg, train(cfg)


def test_smoke_run_logs_registers_and_loads(smoke_result):
    cfg, result = smoke_result
    client = MlflowClient()
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["codebook_version"] == "4"
    assert run.data.tags["git_commit"] and run.data.tags["version.torch"]
    assert "data.digest.dev" in run.data.params and run.data.params["train.epochs"] == "2"
    assert len(client.get_metric_history(result.run_id, "dev_selection")) == 2
    for key in ("test.source.macro_f1", "test.frame.accuracy", "test.source.none.f1", "test.frame.macro_f1_ci_low",
                "calibration.source.temperature", "dev.frame.ece_before", "dev.frame.ece_after", "test.source.ece_after",
                "hybrid.test.source.macro_f1", "hybrid.dev.frame.macro_f1_ci_low"):  # the hybrid: what `Tagger` returns
        assert key in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(result.run_id, "evaluation")}
    assert "evaluation/test_source_confusion.png" in artifacts and "evaluation/dev_frame_errors.csv" in artifacts

    champion = client.get_model_version_by_alias(cfg.tracking.registered_model, "champion")
    assert str(champion.version) == result.registered_version
    pyfunc = mlflow.pyfunc.load_model(f"models:/{cfg.tracking.registered_model}@champion")
    out = pyfunc.predict(pd.DataFrame({"text": ["The war monitor said 4 people died.", "Calm returned."], "context": ["", ""]}))
    assert list(out.columns) == ["source", "source_probability", "frame", "frame_probability"]
    assert out["source_probability"].between(0, 1).all()

    tagger = Tagger.load(f"models:/{cfg.tracking.registered_model}@champion")
    local = Tagger.load(result.model_dir)
    assert tagger.predict(["A sentence."])[0].labels() == local.predict(["A sentence."])[0].labels()


def test_saved_model_describes_itself(smoke_result):
    cfg, result = smoke_result
    description = json.loads((result.model_dir / "tagger.json").read_text())
    assert description["codebook_version"] == 4
    assert [t["name"] for t in description["tasks"]] == ["source", "frame"]
    assert description["context"]["before"] == 1
    assert set(description["temperatures"]) == {"source", "frame"} and all(t > 0 for t in description["temperatures"].values())
    assert description["uncertain_below"] == cfg.model.uncertain_below == 0.5
    assert description["gazetteer_version"] == Gazetteer.load().version
    assert result.metrics["calibration.frame.temperature"] == pytest.approx(description["temperatures"]["frame"])
    names = {p.name for p in result.model_dir.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "config.yaml", "README.md", "gazetteer.yaml"} <= names
    assert Gazetteer.load(result.model_dir / "gazetteer.yaml").version == description["gazetteer_version"]
    tagger = Tagger.load(result.model_dir)
    assert tagger.temperatures == description["temperatures"]
    found = tagger.predict(["Four died, the Syrian Observatory for Human Rights said."])[0].evidence["source"]
    assert found.normalized_source == "Syrian Observatory for Human Rights"
    assert "Intended use" in (result.model_dir / "README.md").read_text()


def test_the_model_learns_the_tiny_task(smoke_overrides):
    cfg = load_config(CONFIGS / "smoke.yaml", [*smoke_overrides, "train.epochs=12", "train.max_train_rows=null"])
    result = train(cfg)
    assert result.metrics["dev.frame.accuracy"] > 0.8  # chance: 0.25
    assert result.dev_score > 0.4  # mean macro-F1 of both tasks; chance is about 0.2


def test_champion_moves_only_on_a_better_dev_score(smoke_overrides):
    cfg = load_config(CONFIGS / "smoke.yaml", [*smoke_overrides, "train.epochs=1"])
    first = train(cfg)
    worse = train(load_config(CONFIGS / "smoke.yaml", [*smoke_overrides, "train.epochs=1", "train.learning_rate=1e-9", "seed=5"]))
    client = MlflowClient()
    champion = client.get_model_version_by_alias(cfg.tracking.registered_model, "champion")
    expected = first if first.dev_score >= worse.dev_score else worse
    assert str(champion.version) == expected.registered_version
    assert "champion" in worse.champion


def test_evaluate_command_prints_and_saves(smoke_result, tmp_path, capsys):
    _, result = smoke_result
    data = write_jsonl(tmp_path / "eval.jsonl", make_rows(3, 4))
    output = tmp_path / "report.json"
    assert main(["evaluate", "--model", str(result.model_dir), "--data", str(data), "--output", str(output)]) == 0
    report = json.loads(output.read_text())
    assert set(report) == {"source", "frame"} and report["source"]["n"] == 12
    assert report["source"]["scored"] == "hybrid"  # the smoke config keeps the default rule override
    assert "macro-F1" in capsys.readouterr().out
    assert main(["evaluate", "--model", str(result.model_dir), "--data", str(data), "--output", str(output), "--model-only"]) == 0
    assert json.loads(output.read_text())["source"]["scored"] == "model"


def test_cli_reports_bad_config_without_traceback(tmp_path, capsys):
    assert main(["train", "--config", str(CONFIGS / "smoke.yaml"), "--set", "train.epochs=0"]) == 2
    assert "train.epochs" in capsys.readouterr().err


def test_missing_base_model_fails_before_work(smoke_overrides, tmp_path):
    cfg = load_config(CONFIGS / "smoke.yaml", [*smoke_overrides, "model.base_model=./no-such-model"])
    with pytest.raises(ConfigError, match="model.base_model"):
        train(cfg)
    assert not (tmp_path / "out").exists()
