"""Interrupted, failed and unreachable runs lose nothing; runs reproduce; saves are atomic.

Each test injects the fault for real: SIGKILL to a training subprocess, a file where a folder
must go, a disk that fills up halfway through a write, sockets that refuse or never answer.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from mlflow.tracking import MlflowClient
from transformers import get_linear_schedule_with_warmup

from models.network import MultiTaskTagger
from models.predict import Tagger
from models.schema import DEFAULT_TASKS, TaskSpec
from training import checkpoints
from training.cli import main
from training.config import ConfigError, load_config
from training.evaluate_file import evaluate_file
from training.tracking import TrackingError
from training.train import train

from .conftest import CONFIGS, ROOT, make_rows, rel, write_jsonl
from .test_safe_loading import booby_trapped_pickle, save_tagger

SMOKE = CONFIGS / "smoke.yaml"
FINAL_METRICS = re.compile(r"^(dev|test)\.|^best_epoch$|^dev_selection_best$")


def final_metrics(tracking_uri: str, run_id: str) -> dict[str, float]:
    return {k: v for k, v in MlflowClient(tracking_uri).get_run(run_id).data.metrics.items() if FINAL_METRICS.search(k)}


def runs_of(tracking_uri: str, experiment: str = "smoke") -> list:
    client = MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    return client.search_runs([found.experiment_id]) if found else []


def cli_train(overrides: list[str], *extra: str) -> list[str]:
    sets = [arg for item in overrides for arg in ("--set", item)]
    return [sys.executable, "-m", "training", "train", "--config", str(SMOKE), *sets, *extra]


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID")}
    return {**env, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}


def steps_saved(output_dir: Path) -> list[int]:
    return [int(p.name.removeprefix(checkpoints.PREFIX)) for p in checkpoints.list_checkpoints(output_dir / "checkpoints")]


def kill_after_checkpoint(command: list[str], cwd: Path, output_dir: Path, step: int, log: Path) -> None:
    """Start training, wait for checkpoint `step` (or later) and SIGKILL the process."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=cli_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not any(s >= step for s in steps_saved(output_dir)):
            assert process.poll() is None, f"training ended before it could be killed:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "no checkpoint within 180 s"
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)  # also when the wait failed: leave no training behind
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_a_killed_run_resumes_to_the_same_result_in_the_same_mlflow_run(smoke_overrides, tmp_path, isolated_mlflow):
    overrides = [*smoke_overrides, "train.checkpoint_every=1", "train.epochs=3"]  # 3 steps an epoch
    killed = tmp_path / "killed"
    command = cli_train([*overrides, f"train.output_dir={rel(killed)}"])
    kill_after_checkpoint(command, tmp_path, killed, step=4, log=tmp_path / "killed.log")
    assert not (killed / "model").exists(), "the run finished before the kill"
    latest = checkpoints.latest_checkpoint(killed / "checkpoints")
    interrupted_run = json.loads((latest / "state.json").read_text())["run_id"]
    partial = killed / "checkpoints" / f".tmp-{checkpoints.PREFIX}0000099-0badc0de"  # as a kill mid-write leaves it
    partial.mkdir()

    resumed = subprocess.run([*command, "--resume", str(killed)], cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming from {latest}" in resumed.stdout
    summary = json.loads(re.search(r"^\{$.*^\}$", resumed.stdout, re.S | re.M).group())
    assert summary["run_id"] == interrupted_run
    assert not partial.exists()

    reference = train(load_config(SMOKE, [*overrides, f"train.output_dir={rel(tmp_path / 'reference')}"]))
    assert sorted(r.info.run_id for r in runs_of(isolated_mlflow)) == sorted([interrupted_run, reference.run_id])
    assert all(r.info.status == "FINISHED" for r in runs_of(isolated_mlflow))
    expected, got = final_metrics(isolated_mlflow, reference.run_id), final_metrics(isolated_mlflow, interrupted_run)
    assert "test.source.macro_f1" in got and got.keys() == expected.keys()
    assert got == pytest.approx(expected, abs=1e-6)
    epochs = {m.step for m in MlflowClient(isolated_mlflow).get_metric_history(interrupted_run, "dev_selection")}
    assert epochs == {1, 2, 3}
    # Metrics of a tiny model can agree by chance; the losses and the weights cannot.
    assert step_losses(isolated_mlflow, interrupted_run) == pytest.approx(step_losses(isolated_mlflow, reference.run_id), abs=1e-6)
    weights, expected_weights = (load_file(str(d / "model" / "model.safetensors")) for d in (killed, tmp_path / "reference"))
    assert all(torch.allclose(weights[k], expected_weights[k], atol=1e-6) for k in expected_weights)


def step_losses(tracking_uri: str, run_id: str) -> dict[int, float]:
    """The last logged train loss of each step (a resumed run logs the steps after its checkpoint again)."""
    history = sorted(MlflowClient(tracking_uri).get_metric_history(run_id, "train_loss"), key=lambda m: m.timestamp)
    return {m.step: m.value for m in history}


def write_checkpoint(output_dir: Path, encoder: Path) -> Path:
    """A real checkpoint of a tiny model after one optimizer step."""
    model = MultiTaskTagger.from_pretrained_encoder(str(encoder), DEFAULT_TASKS)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = get_linear_schedule_with_warmup(optimizer, 1, 10)
    for parameter in model.parameters():  # an optimizer step fills the optimizer's state
        parameter.grad = torch.full_like(parameter, 0.1)
    optimizer.step()
    scheduler.step()
    state = {"epoch": 0, "step_in_epoch": 1, "best_score": -1.0, "best_epoch": -1, "run_id": None}
    return checkpoints.save_checkpoint(output_dir / "checkpoints", 1, model, optimizer, scheduler, state, keep=2)


@pytest.mark.parametrize("missing", checkpoints.CHECKPOINT_FILES)
def test_resume_refuses_a_checkpoint_missing_a_file(smoke_overrides, tiny_encoder, tmp_path, isolated_mlflow, missing, capsys):
    (write_checkpoint(tmp_path / "out", tiny_encoder) / missing).unlink()
    assert main(["train", "--config", str(SMOKE), *[a for o in smoke_overrides for a in ("--set", o)], "--resume", str(tmp_path / "out")]) == 2
    assert re.search(rf"incomplete \(missing {re.escape(missing)}\); refusing to resume", capsys.readouterr().err)
    assert runs_of(isolated_mlflow) == []


def test_checkpoint_files_are_read_only_by_resume_and_never_unpickle_objects(smoke_overrides, tiny_encoder, tmp_path):
    planted = write_checkpoint(tmp_path / "out", tiny_encoder)
    for name in ("optimizer.pt", "scheduler.pt", "rng.pt"):
        booby_trapped_pickle(planted / name, tmp_path / f"marker-{name}")
    cfg = load_config(SMOKE, [*smoke_overrides, "train.epochs=1"])
    result = train(cfg)
    assert not list(tmp_path.glob("marker-*"))  # a run without --resume reads no checkpoint

    latest = checkpoints.latest_checkpoint(tmp_path / "out" / "checkpoints")
    booby_trapped_pickle(latest / "rng.pt", tmp_path / "marker-resume")
    with pytest.raises(ValueError, match=rf"{re.escape(str(latest))}/rng\.pt cannot be read safely"):
        train(cfg, resume=result.run_id)  # found through the run's output_dir tag
    assert not list(tmp_path.glob("marker-*"))


def test_resume_from_an_unknown_run_id_is_a_clear_error(smoke_overrides, tmp_path):
    with pytest.raises(FileNotFoundError, match="neither a directory nor a run id"):
        train(load_config(SMOKE, smoke_overrides), resume="0123456789abcdef")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_model_save_that_fails_halfway_keeps_the_previous_model(smoke_overrides, tmp_path, isolated_mlflow, monkeypatch):
    cfg = load_config(SMOKE, [*smoke_overrides, "train.epochs=1"])
    first = train(cfg)
    before = snapshot(first.model_dir)

    def card_fails_after_weights_and_tokenizer(directory, *args, **kwargs):
        assert {"model.safetensors", "tokenizer.json"} <= {p.name for p in Path(directory).iterdir()}
        disk_full()

    monkeypatch.setattr("training.train.write_model_card", card_fails_after_weights_and_tokenizer)
    with pytest.raises(OSError, match="No space left"):
        train(cfg)
    assert snapshot(first.model_dir) == before
    assert len(Tagger.load(first.model_dir).predict(["The ministry said the road was open."])) == 1
    assert not [p.name for p in first.model_dir.parent.iterdir() if p.name.startswith(".")]  # no half-written leftovers
    assert sorted(r.info.status for r in runs_of(isolated_mlflow)) == ["FAILED", "FINISHED"]


def test_a_report_write_that_fails_halfway_keeps_the_previous_report(tiny_encoder, tmp_path, monkeypatch):
    model_dir = save_tagger(tmp_path / "tagger", tiny_encoder)
    data = write_jsonl(tmp_path / "eval.jsonl", make_rows(2, 4))
    report = tmp_path / "report.json"
    evaluate_file(str(model_dir), str(data), report)
    before = report.read_bytes()
    write_text = Path.write_text

    def half_then_disk_full(self, text, *args, **kwargs):
        write_text(self, text[: len(text) // 2], *args, **kwargs)
        disk_full()

    monkeypatch.setattr(Path, "write_text", half_then_disk_full)
    with pytest.raises(OSError, match="No space left"):
        evaluate_file(str(model_dir), str(data), report)
    monkeypatch.undo()
    assert report.read_bytes() == before and json.loads(before)


def test_a_run_that_fails_after_it_started_is_marked_failed(smoke_overrides, tmp_path, isolated_mlflow):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "checkpoints").write_text("a file where the checkpoint folder must go")
    with pytest.raises(FileExistsError):
        train(load_config(SMOKE, smoke_overrides))  # fails at the first checkpoint, step 2
    [run] = runs_of(isolated_mlflow)
    assert run.info.status == "FAILED"
    assert MlflowClient(isolated_mlflow).get_metric_history(run.info.run_id, "train_loss")


@contextmanager
def tracking_server(behaviour: str):
    """An http URI on localhost whose server refuses connections or accepts and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    uri = f"http://127.0.0.1:{listener.getsockname()[1]}"
    if behaviour == "refusing":
        listener.close()  # nothing listens on the port any more
        yield uri
        return
    listener.listen(8)
    listener.settimeout(0.1)
    held, stop = [], threading.Event()

    def accept_and_stay_silent():
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except socket.timeout:
                continue

    thread = threading.Thread(target=accept_and_stay_silent, daemon=True)
    thread.start()
    try:
        yield uri
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


@pytest.mark.parametrize("behaviour", ["refusing", "silent"])
def test_an_unusable_tracking_server_fails_fast_naming_the_uri(smoke_overrides, tmp_path, behaviour):
    with tracking_server(behaviour) as uri:
        cfg = load_config(SMOKE, [*smoke_overrides, f"tracking.uri={uri}"])  # the default 10 s timeout
        start = time.monotonic()
        with pytest.raises(TrackingError, match=re.escape(uri)):
            train(cfg)
        elapsed = time.monotonic() - start
    assert elapsed < 15
    assert not (tmp_path / "out").exists()  # failed before the first step


def test_an_unusable_tracking_server_falls_back_to_local_logging_if_allowed(smoke_overrides, tmp_path):
    with tracking_server("silent") as uri:
        overrides = [f"tracking.uri={uri}", "tracking.allow_local_fallback=true", "tracking.connect_timeout_s=2", "train.epochs=1"]
        result = train(load_config(SMOKE, [*smoke_overrides, *overrides]))
    local = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run = MlflowClient(local).get_run(result.run_id)
    assert run.info.status == "FINISHED" and run.data.tags["tracking_uri"] == local


def test_two_runs_with_the_same_config_and_seed_give_the_same_metrics(smoke_overrides, tmp_path, isolated_mlflow):
    results = [train(load_config(SMOKE, [*smoke_overrides, "train.epochs=1", f"train.output_dir={rel(tmp_path / name)}"])) for name in "ab"]
    client = MlflowClient(isolated_mlflow)
    first, second = (final_metrics(isolated_mlflow, r.run_id) for r in results)
    assert "dev.source.macro_f1" in first and first.keys() == second.keys()
    assert second == pytest.approx(first, abs=1e-6)
    losses = [[m.value for m in client.get_metric_history(r.run_id, "train_loss")] for r in results]
    assert losses[0] == losses[1]
    tags = [client.get_run(r.run_id).data.tags for r in results]
    for key in ("git_commit", "version.torch", "version.transformers", "codebook_version"):
        assert tags[0][key] == tags[1][key] != ""
    params = [client.get_run(r.run_id).data.params for r in results]
    assert params[0]["data.digest.train"] == params[1]["data.digest.train"] and params[0]["seed"] == "13"


def test_a_base_model_with_another_label_schema_fails_before_training(smoke_overrides, tiny_encoder, tmp_path):
    other = save_tagger(tmp_path / "topic-tagger", tiny_encoder, (TaskSpec("topic", ("war", "peace")),))
    cfg = load_config(SMOKE, [*smoke_overrides, f"model.base_model={rel(other)}"])
    with pytest.raises(ConfigError, match=r"model\.base_model.*topic:war,peace"):
        train(cfg)
    assert not (tmp_path / "out").exists()
