"""Where a saved tagger comes from, and what its directory may contain.

`Tagger.load` trusts only data: safetensors weights, JSON/YAML/text files, tokenizer files,
the model card and data files the model ships (the gazetteer). Pickle files and code files are
refused, `trust_remote_code` is never set, and an MLflow URI is resolved by downloading the
logged model, reading its MLmodel as YAML and checking its `model_dir` artifact like a local
directory: the logged code files are downloaded with it but never imported.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MLFLOW_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:/")
ALLOWED_SUFFIXES = {".safetensors", ".json", ".yaml", ".yml", ".txt", ".md", ".model", ".jsonl", ".csv", ".tsv"}
REFUSED_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".py", ".pyc", ".so", ".sh", ".joblib", ".npy", ".npz"}
MODEL_DIR_ARTIFACT = "model_dir"


class UnsafeModelError(ValueError):
    """A model directory holds a file that loading could execute (pickle or code)."""


def is_mlflow_uri(value: str) -> bool:
    return str(value).startswith(MLFLOW_SCHEMES)


def check_model_dir(directory: Path) -> None:
    """Refuse a directory that is missing or holds anything but data files."""
    if not directory.is_dir():
        raise FileNotFoundError(f"model directory not found: {directory}")
    if not (directory / "tagger.json").is_file():
        raise FileNotFoundError(f"{directory} is not a saved tagger (no tagger.json)")
    for path in directory.rglob("*"):
        if path.is_dir():
            continue
        suffix = path.suffix.lower()
        if suffix in REFUSED_SUFFIXES or suffix not in ALLOWED_SUFFIXES:
            raise UnsafeModelError(
                f"refusing to load {directory}: {path.relative_to(directory)} is not a data file "
                f"(allowed: {sorted(ALLOWED_SUFFIXES)}); pickle and code files are never loaded"
            )


def fetch_model_dir(path_or_uri: str | os.PathLike) -> Path:
    """A local tagger directory for a path or an MLflow model URI (downloaded to a temp dir)."""
    value = str(path_or_uri)
    if not is_mlflow_uri(value):
        directory = Path(value).expanduser().resolve()
        check_model_dir(directory)
        return directory
    import mlflow
    import yaml

    # Download the whole logged model: `<uri>/MLmodel` does not resolve for every URI form
    # (MLflow 3's `models:/m-<id>` reads the suffix as part of a registered model's name).
    try:
        root = Path(mlflow.artifacts.download_artifacts(artifact_uri=value.rstrip("/"), dst_path=tempfile.mkdtemp(prefix="tagger-")))
    except Exception as error:  # mlflow raises several types for a bad URI or an unreachable store
        raise FileNotFoundError(f"cannot download the tagger from {value}: {error}") from None
    try:
        mlmodel = yaml.safe_load((root / "MLmodel").read_text(encoding="utf-8"))
        relative = mlmodel["flavors"]["python_function"]["artifacts"][MODEL_DIR_ARTIFACT]["path"]
    except (OSError, KeyError, TypeError):
        raise FileNotFoundError(f"{value} is not a logged tagger (no '{MODEL_DIR_ARTIFACT}' artifact in its MLmodel)") from None
    directory = (root / relative).resolve()
    if not directory.is_relative_to(root.resolve()):  # a tampered MLmodel must not point at local files
        raise UnsafeModelError(f"{value}: its '{MODEL_DIR_ARTIFACT}' path {relative!r} leaves the downloaded model")
    check_model_dir(directory)
    return directory
