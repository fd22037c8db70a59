"""`train(cfg) -> TrainResult`: fine-tune the tagger, track it in MLflow, save and register it.

Stages: check everything (config, base model, tracking server, data) -> encode -> train with
per-epoch dev evaluation, keeping the best epoch -> calibrate the best model on dev (one
temperature per task) and test it on the evaluation splits -> save it as a self-describing
directory that ships its gazetteer -> log it to MLflow and register it.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import torch
import yaml
from torch.nn import functional as F
from tqdm.auto import tqdm
from transformers import AutoConfig, AutoTokenizer, get_linear_schedule_with_warmup

from models.encoding import ContextWindow, flatten
from models.gazetteer import DEFAULT_PATH as GAZETTEER_PATH, Gazetteer
from models.network import GAZETTEER_FILE, MultiTaskTagger, resolve_base_model
from models.predict import Tagger, collate, neighbour_index
from models.rule_evidence import RuleInput, feature_tensor, feature_width, saved_rule_input
from training import checkpoints, tracking
from training.calibration import calibration_metrics, fit_temperatures
from training.config import ConfigError, RunConfig
from training.corpus import load_run_data
from training.data import encode_rows, frame_digest, pack_groups
from training.evaluate import SplitEvaluation, evaluate_predictions, evaluate_tagger, predict_rows, write_error_analysis
from training.model_card import write_model_card


@dataclass
class TrainResult:
    run_id: str
    model_dir: Path
    best_epoch: int
    dev_score: float
    metrics: dict[str, float] = field(default_factory=dict)
    model_uri: str | None = None
    registered_version: str | None = None
    champion: str | None = None


def seed_everything(seed: int, threads: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)


def check_base_model(cfg: RunConfig) -> str:
    """Resolve `model.base_model` and check it loads (config only); a ConfigError names the key."""
    try:
        location = resolve_base_model(cfg.model.base_model, cfg.config_dir)
        AutoConfig.from_pretrained(location, trust_remote_code=False)
    except Exception as error:  # hub, OS and format errors all mean "cannot use this model"
        raise ConfigError(f"model.base_model: cannot load {cfg.model.base_model!r}: {error}") from None
    saved = Path(location) / "tagger.json"
    if saved.is_file():
        description = json.loads(saved.read_text())
        schema = [t["name"] + ":" + ",".join(t["labels"]) for t in description["tasks"]]
        wanted = [t.name + ":" + ",".join(t.labels) for t in cfg.task_specs]
        if schema != wanted:
            raise ConfigError(f"model.base_model: the saved tagger's label schema {schema} differs from the config's tasks {wanted}")
        saved_input = saved_rule_input(description)
        if saved_input != cfg.model.rule_input:
            raise ConfigError(f"model.rule_input: {cfg.model.rule_input!r}, but the saved tagger {location} was trained with {saved_input!r}")
    return location


def rule_width_of(cfg: RunConfig) -> int:
    return feature_width(cfg.task_specs) if cfg.model.rule_input == "features" else 0


def build_model(cfg: RunConfig, location: str) -> tuple[MultiTaskTagger, object]:
    tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
    if (Path(location) / "tagger.json").is_file():
        model, _ = MultiTaskTagger.load(location)
    else:
        model = MultiTaskTagger.from_pretrained_encoder(location, cfg.task_specs, cfg.model.dropout, rule_width_of(cfg))
    return model, tokenizer


def window_of(cfg: RunConfig) -> ContextWindow:
    m = cfg.model
    return ContextWindow(m.context_before, m.context_after, m.max_length, m.max_chars, m.context_mode)


def parameter_groups(model: MultiTaskTagger, cfg: RunConfig) -> list[dict]:
    """The pretrained encoder learns at `learning_rate`; the new fusion layer and heads at `head_learning_rate`."""
    encoder = [p for n, p in model.named_parameters() if n.startswith("encoder.")]
    new = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    return [{"params": encoder, "lr": cfg.train.learning_rate}, {"params": new, "lr": cfg.train.head_learning_rate}]


def batch_loss(model: MultiTaskTagger, groups: list[list[dict]], pad_id: int) -> torch.Tensor:
    """Sum over tasks of the weighted mean cross-entropy; rows without a task's label are skipped."""
    batch = flatten(groups)
    before, after = neighbour_index(batch)
    logits = model(**collate(batch, pad_id), before=before, after=after, rules=feature_tensor(batch, model.rule_width))
    n_tasks = len(model.tasks)
    labels = torch.tensor([item.get("labels", [-100] * n_tasks) for item in batch])
    weights = torch.tensor([item.get("weight", 0.0) for item in batch], dtype=torch.float32)
    total = torch.zeros(())
    for t, task in enumerate(model.tasks):
        mask = labels[:, t] >= 0
        if mask.any():
            losses = F.cross_entropy(logits[task.name][mask], labels[mask, t], reduction="none")
            total = total + (losses * weights[mask]).sum() / weights[mask].sum()
    return total


def evaluate_split(tagger: Tagger, name: str, frame: pd.DataFrame, groups: list[list[dict]], bootstrap: bool) -> SplitEvaluation:
    return evaluate_predictions(name, frame, predict_rows(tagger, groups, len(frame)), tagger.tasks, bootstrap)


def _resume_point(cfg: RunConfig, resume: str | None) -> Path | None:
    if resume is None:
        return None
    candidate = Path(resume)
    if not candidate.exists():
        try:
            candidate = Path(mlflow.get_run(resume).data.tags["output_dir"])
        except (mlflow.exceptions.MlflowException, KeyError):
            raise FileNotFoundError(f"--resume {resume!r} is neither a directory nor a run id with an output_dir tag") from None
    folder = candidate / "checkpoints" if (candidate / "checkpoints").is_dir() else candidate
    return checkpoints.latest_checkpoint(folder) if not folder.name.startswith(checkpoints.PREFIX) else folder


def train(cfg: RunConfig, resume: str | None = None) -> TrainResult:
    """Fine-tune, evaluate, save, log and register one run described by `cfg`."""
    location = check_base_model(cfg)
    uri = tracking.connect(cfg.tracking)
    checkpoint = _resume_point(cfg, resume)
    data = load_run_data(cfg)
    seed_everything(cfg.seed, cfg.train.num_threads)
    model, tokenizer = build_model(cfg, location)
    window = window_of(cfg)
    output_dir = cfg.resolve_path(cfg.train.output_dir)

    train_frame = data[data["split"].isin(cfg.data.train_splits)]
    if cfg.train.max_train_rows:
        train_frame = train_frame.head(cfg.train.max_train_rows)
    eval_names = [cfg.data.dev_split, *[s for s in cfg.data.eval_splits if s != cfg.data.dev_split]]
    eval_frames = {name: data[data["split"] == name] for name in eval_names if (data["split"] == name).any()}
    rule_input = RuleInput.for_mode(cfg.model.rule_input, cfg.task_specs)
    train_items = encode_rows(train_frame, tokenizer, window, cfg.task_specs, rule_input)
    eval_items = {name: encode_rows(frame, tokenizer, window, cfg.task_specs, rule_input) for name, frame in eval_frames.items()}
    digests = {name: frame_digest(frame, cfg.task_specs) for name, frame in [("train", train_frame), *eval_frames.items()]}

    plan = [pack_groups(train_items, cfg.train.batch_size, cfg.seed + epoch) for epoch in range(cfg.train.epochs)]
    total_steps = min(cfg.train.max_steps or sum(map(len, plan)), sum(map(len, plan)))
    optimizer = torch.optim.AdamW(parameter_groups(model, cfg), weight_decay=cfg.train.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.train.warmup_ratio * total_steps), total_steps)
    state = {"epoch": 0, "step_in_epoch": 0, "best_score": -1.0, "best_epoch": -1, "run_id": None}
    if checkpoint is not None:
        state = checkpoints.load_checkpoint(checkpoint, model, optimizer, scheduler)
        print(f"resuming from {checkpoint} (step {state['step']})")

    mlflow.set_experiment(cfg.tracking.experiment)
    tagger = Tagger(model, tokenizer, {"context": vars(window), "rule_input": cfg.model.rule_input}, batch_size=cfg.train.eval_batch_size)
    with mlflow.start_run(run_id=state["run_id"]) as run:
        state["run_id"] = run.info.run_id
        if checkpoint is None:
            mlflow.log_params(tracking.flatten("", cfg.to_dict(), {}))
            mlflow.log_dict(cfg.to_dict(), "config.yaml")
            mlflow.set_tags({**tracking.environment_tags(), "codebook_version": str(cfg.codebook_version),
                             "tracking_uri": uri, "output_dir": str(output_dir), "base_model_resolved": location})
            mlflow.log_params({f"data.digest.{k}": v for k, v in digests.items()})
            mlflow.log_params({f"data.rows.{k}": len(v) for k, v in [("train", train_frame), *eval_frames.items()]})
        model.train()
        step = state.get("step", 0)
        progress = tqdm(total=total_steps, initial=step, desc="train", unit="step", dynamic_ncols=True)
        while step < total_steps:
            epoch = state["epoch"]
            losses = []
            for b in range(state["step_in_epoch"], len(plan[epoch])):
                if step >= total_steps:
                    break
                batch = [train_items[g] for g in plan[epoch][b]]
                loss = batch_loss(model, batch, tokenizer.pad_token_id)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                step += 1
                losses.append(loss.item())
                state["step_in_epoch"] = b + 1
                progress.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}")
                progress.update()
                mlflow.log_metric("train_loss", loss.item(), step=step)
                if step % cfg.train.checkpoint_every == 0:
                    checkpoints.save_checkpoint(output_dir / "checkpoints", step, model, optimizer, scheduler, state, cfg.train.keep_checkpoints)
            dev = evaluate_split(tagger, cfg.data.dev_split, eval_frames[cfg.data.dev_split], eval_items[cfg.data.dev_split], bootstrap=False)
            score = dev.selection_score()
            mlflow.log_metrics({"epoch_train_loss": float(np.mean(losses)) if losses else float("nan"), "dev_selection": score,
                                **{f"epoch.{k}": v for k, v in dev.summary().items()}}, step=epoch + 1)
            if score > state["best_score"]:
                state["best_score"], state["best_epoch"] = score, epoch + 1
                with checkpoints.atomic_directory(output_dir / "best") as tmp:
                    model.save(tmp, {"context": vars(window), "rule_input": cfg.model.rule_input})
            state["epoch"], state["step_in_epoch"] = epoch + 1, 0
            checkpoints.save_checkpoint(output_dir / "checkpoints", step, model, optimizer, scheduler, state, cfg.train.keep_checkpoints)
        progress.close()
        return _finish(cfg, output_dir, tokenizer, window, state, eval_frames, eval_items, digests, location)


def _finish(cfg, output_dir, tokenizer, window, state, eval_frames, eval_items, digests, location) -> TrainResult:
    best, _ = MultiTaskTagger.load(output_dir / "best")
    tagger = Tagger(best, tokenizer, {"context": vars(window), "rule_input": cfg.model.rule_input}, batch_size=cfg.train.eval_batch_size)
    logits = {name: predict_rows(tagger, eval_items[name], len(frame), logits=True) for name, frame in eval_frames.items()}
    dev = cfg.data.dev_split
    tagger.temperatures = fit_temperatures(logits[dev], eval_frames[dev], tagger.tasks)
    metrics = {"best_epoch": state["best_epoch"], "dev_selection_best": state["best_score"]}
    metrics.update({f"calibration.{task}.temperature": t for task, t in tagger.temperatures.items()})
    for name, frame in eval_frames.items():
        metrics.update(calibration_metrics(name, logits[name], frame, tagger.tasks, tagger.temperatures))
    # Scored on calibrated probabilities: the argmax, and so every score, is the temperature-free one.
    evaluations = {name: evaluate_predictions(name, eval_frames[name], tagger.calibrate(logits[name]), tagger.tasks, bootstrap=True)
                   for name in eval_frames}
    tagger.rule_override_below = dict(cfg.model.rule_override_below)
    if tagger.rule_override_below:  # the hybrid output users get from `Tagger`, scored as `hybrid.<split>`
        evaluations.update({f"hybrid.{name}": evaluate_tagger(tagger, f"hybrid.{name}", frame) for name, frame in eval_frames.items()})
    for evaluation in evaluations.values():
        metrics.update(evaluation.metrics())
    mlflow.log_metrics(metrics)
    report_dir = output_dir / "reports"
    for evaluation in evaluations.values():
        for path in write_error_analysis(evaluation, report_dir):
            mlflow.log_artifact(str(path), artifact_path="evaluation")

    metadata = {
        "codebook_version": cfg.codebook_version,
        "base_model": cfg.model.base_model,
        "context": vars(window),
        "dropout": cfg.model.dropout,
        "dev_digest": digests[cfg.data.dev_split],
        "run_id": state["run_id"],
        "temperatures": tagger.temperatures,
        "uncertain_below": cfg.model.uncertain_below,
        "rule_input": cfg.model.rule_input,
        "rule_override_below": cfg.model.rule_override_below,
        "gazetteer_version": Gazetteer.load(GAZETTEER_PATH).version,
    }
    with checkpoints.atomic_directory(output_dir / "model") as tmp:
        best.save(tmp, metadata)
        tokenizer.save_pretrained(tmp)
        shutil.copyfile(GAZETTEER_PATH, tmp / GAZETTEER_FILE)
        (tmp / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False), encoding="utf-8")
        write_model_card(tmp, cfg, metadata, {n: e.reports for n, e in evaluations.items()})
    model_dir = output_dir / "model"

    example = pd.DataFrame({"text": ["The army said it shelled rebel positions near the town."], "context": [""]})
    model_uri, version = tracking.log_tagger_model(model_dir, cfg.tracking.registered_model, example)
    champion = None
    if version is not None:
        champion = tracking.promote_if_better(cfg.tracking.registered_model, version, state["best_score"], digests[cfg.data.dev_split])
        print(champion)
    return TrainResult(state["run_id"], model_dir, state["best_epoch"], state["best_score"], metrics, model_uri, version, champion)
