"""MLflow: where runs go, what each run records, and how the registry's champion moves.

The tracking URI is resolved once: `MLFLOW_TRACKING_URI`, else `tracking.uri` from the config,
else the embedded SQLite store `mlflow.db` in the working directory. A remote server is probed
before any work so an unreachable or silent server fails fast, naming the URI.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import urllib.error
import urllib.request
from importlib import metadata as importlib_metadata
from pathlib import Path

import mlflow
from mlflow.tracking import MlflowClient

from training.config import TrackingConfig

CHAMPION = "champion"
LIBRARIES = ("torch", "transformers", "datasets", "mlflow", "scikit-learn", "tokenizers", "numpy", "pandas")
PYFUNC_FILE = Path(__file__).resolve().parents[1] / "models" / "mlflow_model.py"


class TrackingError(RuntimeError):
    """The tracking server cannot be used."""


def resolve_tracking_uri(config: TrackingConfig) -> str:
    uri = os.environ.get("MLFLOW_TRACKING_URI") or config.uri
    return uri or f"sqlite:///{Path.cwd() / 'mlflow.db'}"


def probe_server(uri: str, timeout_s: float) -> None:
    """Raise TrackingError unless an HTTP tracking server answers its health check in time."""
    if not uri.startswith(("http://", "https://")):
        return
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout_s) as response:
            response.read(64)
    except urllib.error.HTTPError:
        return  # it answered; some proxies have no /health
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TrackingError(f"MLflow tracking server {uri} did not answer within {timeout_s:.0f} s: {reason}") from None


def connect(config: TrackingConfig) -> str:
    """Point MLflow at the resolved URI (falling back to local if allowed); returns the URI used."""
    uri = resolve_tracking_uri(config)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(int(config.connect_timeout_s)))
    try:
        probe_server(uri, config.connect_timeout_s)
    except TrackingError:
        if not config.allow_local_fallback:
            raise
        fallback = f"sqlite:///{Path.cwd() / 'mlflow.db'}"
        print(f"warning: {uri} unreachable; logging locally to {fallback} (tracking.allow_local_fallback)")
        uri = fallback
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment_tags() -> dict[str, str]:
    tags = {"git_commit": git_commit(), "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            tags[f"version.{name}"] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            tags[f"version.{name}"] = "not installed"
    return tags


def flatten(prefix: str, value, out: dict) -> dict:
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = value
    return out


def log_tagger_model(model_dir: Path, registered_model: str | None, input_example) -> tuple[str, str | None]:
    """Log the saved tagger as a pyfunc "model from code"; returns (model URI, registered version)."""
    from mlflow.models import infer_signature

    from models.predict import Tagger, results_frame

    tagger = Tagger.load(model_dir)
    output_example = results_frame(tagger.predict(list(input_example["text"]), list(input_example["context"])), tagger.tasks)
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=str(PYFUNC_FILE),
        artifacts={"model_dir": str(model_dir)},
        code_paths=[str(PYFUNC_FILE.parent)],
        signature=infer_signature(input_example, output_example),
        input_example=input_example,
        pip_requirements=_pip_requirements(),
        registered_model_name=registered_model,
    )
    version = str(info.registered_model_version) if registered_model and info.registered_model_version else None
    return info.model_uri, version


def _pip_requirements() -> list[str]:
    reqs = []
    for name in ("torch", "transformers", "safetensors", "pandas", "numpy", "pyyaml", "mlflow"):
        try:
            reqs.append(f"{name}=={importlib_metadata.version(name)}")
        except importlib_metadata.PackageNotFoundError:
            continue
    return reqs


def promote_if_better(registered_model: str, version: str, score: float, dev_digest: str) -> str:
    """Move the `champion` alias to `version` if it beats the champion on the same dev set.

    Returns a sentence saying what happened. Runs whose dev-set digest differs are not compared.
    """
    client = MlflowClient()
    client.set_model_version_tag(registered_model, version, "dev_digest", dev_digest)
    client.set_model_version_tag(registered_model, version, "dev_selection_score", f"{score:.6f}")
    try:
        champion = client.get_model_version_by_alias(registered_model, CHAMPION)
    except mlflow.exceptions.MlflowException:
        champion = None
    if champion is None:
        client.set_registered_model_alias(registered_model, CHAMPION, version)
        return f"version {version} is the first champion (dev score {score:.4f})"
    old_digest = champion.tags.get("dev_digest")
    old_score = float(champion.tags.get("dev_selection_score", "nan"))
    if old_digest != dev_digest:
        return f"champion stays at version {champion.version}: its dev set differs (digest {old_digest} vs {dev_digest}), not comparable"
    if score > old_score:
        client.set_registered_model_alias(registered_model, CHAMPION, version)
        return f"champion moved to version {version}: dev score {score:.4f} > {old_score:.4f}"
    return f"champion stays at version {champion.version}: dev score {score:.4f} <= {old_score:.4f}"
