"""`Tagger.load` reads only data: no pickle, no code, no remote code, no logged MLflow code."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import mlflow
import pytest
from transformers import AutoTokenizer

from models.network import MultiTaskTagger
from models.predict import Tagger
from models.schema import DEFAULT_TASKS
from models.store import UnsafeModelError

WINDOW = {"before": 1, "after": 1, "max_length": 64, "max_chars": 2000}
SENTENCES = ["The war monitor said 4 people died.", "Calm returned to the town."]


def save_tagger(directory: Path, encoder: Path, tasks=DEFAULT_TASKS) -> Path:
    """A saved tagger directory (weights, configs, tokenizer) built from the tiny encoder."""
    MultiTaskTagger.from_pretrained_encoder(str(encoder), tasks).save(directory, {"context": WINDOW})
    AutoTokenizer.from_pretrained(encoder).save_pretrained(directory)
    return directory


class WritesMarker:
    """A pickle payload that leaves a file behind if anything unpickles it."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "unpickled"))


def booby_trapped_pickle(path: Path, marker: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(WritesMarker(marker)))
    return path


@pytest.fixture
def saved_tagger(tiny_encoder, tmp_path) -> Path:
    return save_tagger(tmp_path / "tagger", tiny_encoder)


def test_a_clean_directory_loads(saved_tagger):
    assert len(Tagger.load(saved_tagger).predict(SENTENCES)) == 2


@pytest.mark.parametrize("name", ["pytorch_model.bin", "optimizer.pt", "weights.pth", "state.pkl", "modeling_evil.py", "nested/extra.pt"])
def test_pickle_and_code_files_are_refused_unread(saved_tagger, tmp_path, name):
    marker = tmp_path / "marker"
    booby_trapped_pickle(saved_tagger / name, marker)
    with pytest.raises(UnsafeModelError, match=name.replace(".", r"\.")):
        Tagger.load(saved_tagger)
    assert not marker.exists()


def test_remote_code_in_auto_map_is_never_run(saved_tagger, tmp_path):
    # transformers runs `auto_map` code only with trust_remote_code=True; with it, this load
    # would look for evil.py and fail (or, were the file there, import it).
    for name in ("config.json", "tokenizer_config.json"):
        config = json.loads((saved_tagger / name).read_text())
        config["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoModel": "evil.EvilModel", "AutoTokenizer": ["evil.EvilTokenizer", None]}
        (saved_tagger / name).write_text(json.dumps(config))
    tagger = Tagger.load(saved_tagger)
    assert type(tagger.model.encoder).__module__.startswith("transformers.models.bert")
    assert len(tagger.predict(SENTENCES)) == 2


def test_auto_map_with_its_code_file_is_refused(saved_tagger, tmp_path):
    marker = tmp_path / "marker"
    (saved_tagger / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    config = json.loads((saved_tagger / "config.json").read_text())
    (saved_tagger / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoConfig": "evil.EvilConfig"}}))
    with pytest.raises(UnsafeModelError, match=r"evil\.py"):
        Tagger.load(saved_tagger)
    assert not marker.exists()


def log_with_code(model_dir: Path, code: Path, tracking_uri: str) -> tuple[str, str]:
    """Log `model_dir` as a pyfunc "model from code" whose code is `code`; returns (model URI, run id)."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("safe-loading")  # the process may remember an experiment of another store
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=str(code), artifacts={"model_dir": str(model_dir)}, pip_requirements=[])
    return info.model_uri, run.info.run_id


def test_an_mlflow_uri_loads_the_model_dir_without_running_logged_code(saved_tagger, tmp_path, isolated_mlflow):
    marker = tmp_path / "marker"
    code = tmp_path / "logged_code.py"
    code.write_text(
        "import pathlib, mlflow\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "class M(mlflow.pyfunc.PythonModel):\n    def predict(self, context, model_input, params=None):\n        return model_input\n"
        "mlflow.models.set_model(M())\n"
    )
    uri, run_id = log_with_code(saved_tagger, code, isolated_mlflow)
    marker.unlink(missing_ok=True)  # logging may import the code; loading must not
    local = Tagger.load(saved_tagger).predict(SENTENCES)
    for location in (uri, f"runs:/{run_id}/model"):
        remote = Tagger.load(location)
        assert Path(remote.metadata["path"]).name == "tagger"  # the downloaded model_dir artifact
        assert [r.labels() for r in remote.predict(SENTENCES)] == [r.labels() for r in local]
    assert not marker.exists()


def test_an_mlflow_uri_with_a_pickle_in_its_model_dir_is_refused(saved_tagger, tmp_path, isolated_mlflow):
    marker = tmp_path / "marker"
    booby_trapped_pickle(saved_tagger / "extra.pkl", marker)
    code = tmp_path / "plain.py"
    code.write_text(
        "import mlflow\nclass M(mlflow.pyfunc.PythonModel):\n    def predict(self, context, model_input, params=None):\n"
        "        return model_input\nmlflow.models.set_model(M())\n"
    )
    uri, _ = log_with_code(saved_tagger, code, isolated_mlflow)
    with pytest.raises(UnsafeModelError, match=r"extra\.pkl"):
        Tagger.load(uri)
    assert not marker.exists()


def test_a_training_checkpoint_is_not_a_loadable_model(saved_tagger, tmp_path):
    checkpoint = tmp_path / "out" / "checkpoints" / "step-0000002"
    shutil.copytree(saved_tagger, checkpoint)
    booby_trapped_pickle(checkpoint / "optimizer.pt", tmp_path / "marker")
    with pytest.raises(UnsafeModelError, match=r"optimizer\.pt"):
        Tagger.load(checkpoint)
    assert not (tmp_path / "marker").exists()


@pytest.mark.parametrize("name", ["payload.dat", "loader"])
def test_files_of_unknown_kinds_are_refused(saved_tagger, name):
    (saved_tagger / name).write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(UnsafeModelError, match=name):
        Tagger.load(saved_tagger)
