"""The typed run configuration: YAML in `configs/` -> a validated :class:`RunConfig`.

Every knob lives here with its default, so `configs/default.yaml` can show them all. Unknown
keys, wrong types and impossible values fail before any work starts, naming the key. Relative
paths resolve against the config file's folder, so a run works from any directory.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.schema import CODEBOOK_VERSION, UNCERTAIN_BELOW, TaskSpec

PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class ConfigError(ValueError):
    """A config that cannot run; the message names the file and the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskConfig(_Section):
    name: str
    labels: list[str] = Field(min_length=2)

    def spec(self) -> TaskSpec:
        return TaskSpec(self.name, tuple(self.labels))


class DataFile(_Section):
    """One labelled file, or the FA-KES annotations folder joined with `data.fakes_csv`."""

    path: str | None = None
    fakes: str | None = None
    split: str | None = None
    weight: float = Field(default=1.0, gt=0)
    rename: dict[str, str] = {}
    article_id: str | None = None
    optional: bool = False

    @model_validator(mode="after")
    def _one_origin(self) -> "DataFile":
        if (self.path is None) == (self.fakes is None):
            raise ValueError("give exactly one of 'path' or 'fakes'")
        return self


class DataConfig(_Section):
    files: list[DataFile] = Field(min_length=1)
    fakes_csv: str | None = None
    train_splits: list[str] = ["train"]
    dev_split: str = "dev"
    eval_splits: list[str] = ["test"]
    split_seed: NonNegativeInt = 13
    dev_fraction: float = Field(default=0.1, gt=0, lt=0.5)
    test_fraction: float = Field(default=0.1, gt=0, lt=0.5)


class ModelConfig(_Section):
    base_model: str = "minilm"
    max_length: int = Field(default=128, ge=16, le=512)
    context_before: NonNegativeInt = 0
    context_after: NonNegativeInt = 0
    context_mode: Literal["fused", "tokens"] = "fused"
    rule_input: Literal["none", "features", "text"] = "none"
    rule_override_below: dict[str, Annotated[float, Field(ge=0, le=1)]] = {"source": 0.8, "frame": 0.9}
    dropout: float = Field(default=0.1, ge=0, lt=1)
    max_chars: PositiveInt = 2000
    uncertain_below: float = Field(default=UNCERTAIN_BELOW, ge=0, le=1)

    @field_validator("base_model")
    @classmethod
    def _portable(cls, value: str) -> str:
        if Path(value).is_absolute():
            raise ValueError("name the base model portably (a Hugging Face name, a relative path or 'minilm'), not an absolute path")
        return value


class TrainConfig(_Section):
    epochs: PositiveInt = 4
    batch_size: PositiveInt = 32
    eval_batch_size: PositiveInt = 64
    learning_rate: float = Field(default=1e-4, gt=0, lt=1)
    head_learning_rate: float = Field(default=1e-3, gt=0, lt=1)
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_ratio: float = Field(default=0.1, ge=0, lt=1)
    max_steps: PositiveInt | None = None
    max_train_rows: PositiveInt | None = None
    num_threads: PositiveInt = 2
    checkpoint_every: PositiveInt = 200
    keep_checkpoints: PositiveInt = 2
    output_dir: str = "../outputs/default"


class TrackingConfig(_Section):
    uri: str | None = None
    experiment: str = "source-bias-tagger"
    registered_model: str | None = "source-bias-tagger"
    allow_local_fallback: bool = False
    connect_timeout_s: float = Field(default=10.0, gt=0, le=60)


class RunConfig(_Section):
    codebook_version: PositiveInt = CODEBOOK_VERSION
    seed: NonNegativeInt = 13
    tasks: list[TaskConfig] = Field(min_length=1)
    data: DataConfig
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    tracking: TrackingConfig = TrackingConfig()
    config_dir: str = "."

    @model_validator(mode="after")
    def _distinct_tasks(self) -> "RunConfig":
        names = [t.name for t in self.tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"task names repeat: {names}")
        for task in self.tasks:
            task.spec()
        return self

    @property
    def task_specs(self) -> tuple[TaskSpec, ...]:
        return tuple(t.spec() for t in self.tasks)

    def resolve_path(self, value: str) -> Path:
        """A config path made absolute against the config file's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else (Path(self.config_dir) / path).resolve()

    def to_dict(self) -> dict:
        return self.model_dump(exclude={"config_dir"})


def parse_override(item: str) -> tuple[list[str], Any]:
    """`train.epochs=1` -> (["train", "epochs"], 1); the value is parsed as YAML."""
    if "=" not in item:
        raise ConfigError(f"override {item!r} must look like key.path=value")
    key, raw = item.split("=", 1)
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override {item!r} has an empty key")
    return key.split("."), yaml.safe_load(raw) if raw else None


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    merged = copy.deepcopy(raw)
    for item in overrides:
        keys, value = parse_override(item)
        node = merged
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {key!r} is not a section")
        node[keys[-1]] = value
    return merged


def _format_error(error: ValidationError, source: str) -> str:
    lines = [f"invalid config {source}:"]
    for err in error.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def config_from_dict(raw: dict, config_dir: str | Path = ".", source: str = "<dict>") -> RunConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"invalid config {source}: the top level must be a mapping")
    try:
        return RunConfig(**raw, config_dir=str(Path(config_dir).resolve()))
    except ValidationError as error:
        raise ConfigError(_format_error(error, source)) from None


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A config file's mapping, with its `base:` chain (relative to each file) merged underneath."""
    if path in seen:
        raise ConfigError(f"config {path}: 'base' chain loops back to itself")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"config {path} is not valid YAML: {error}") from None
    if isinstance(raw, dict) and "base" in raw:
        raw = _deep_merge(_read_yaml((path.parent / raw.pop("base")).resolve(), (*seen, path)), raw)
    return raw


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Load, override and validate a YAML config; `base:` names a config it extends."""
    path = Path(path).resolve()
    raw = _read_yaml(path)
    return config_from_dict(apply_overrides(raw, list(overrides)), path.parent, str(path))


def _deep_merge(base: dict, update: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in update.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
