"""Temperature scaling and the expected calibration error (Guo et al., 2017).

One temperature per task divides that head's logits before the softmax. Fitted on dev by
minimising the negative log-likelihood, it leaves every argmax (and so every score) unchanged
and only makes the probabilities say how often the model is right. `Tagger` applies the
temperatures stored in tagger.json.

Example:
    >>> temperature = fit_temperature(dev_logits, dev_labels)       # e.g. 1.7 for an overconfident head
    >>> expected_calibration_error(softmax(dev_logits, temperature), dev_labels)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from models.schema import TaskSpec

# The search range: wide enough for any head we train, narrow enough that a tiny or perfectly
# separated dev split cannot push the probabilities to 0/1 (T -> 0) or to uniform (T -> inf).
TEMPERATURE_BOUNDS = (0.05, 20.0)
N_BINS = 15


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature`` in float64."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean NLL of integer ``labels`` under ``softmax(logits / temperature)``."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    shifted = scaled - scaled.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the NLL on (``logits``, integer ``labels``); 1.0 without data.

    The NLL is convex in 1/T, so it has one minimum along log T: a bounded Brent search on log T
    finds it deterministically.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        return 1.0
    low, high = np.log(TEMPERATURE_BOUNDS[0]), np.log(TEMPERATURE_BOUNDS[1])
    found = minimize_scalar(lambda log_t: negative_log_likelihood(logits, labels, np.exp(log_t)),
                            bounds=(low, high), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(found.x))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, n_bins: int = N_BINS) -> float:
    """Top-label ECE: the sample-weighted gap between confidence and accuracy over equal-width bins.

    Args:
        probs: (n, classes) probabilities.
        labels: (n,) integer gold labels.
        n_bins: bins over (0, 1]; bin m holds confidences in ((m-1)/n_bins, m/n_bins].

    Returns:
        The ECE in [0, 1]; 0.0 for no rows.
    """
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        return 0.0
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    bins = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    gaps = np.abs(np.bincount(bins, correct, n_bins) - np.bincount(bins, confidence, n_bins))
    return float(gaps.sum() / counts.sum())


def gold_indices(frame: pd.DataFrame, task: TaskSpec) -> tuple[np.ndarray, np.ndarray]:
    """(row positions, label indices) of the rows of ``frame`` with a known gold label for ``task``."""
    if task.name not in frame.columns:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    index = {label: i for i, label in enumerate(task.labels)}
    pairs = [(row, index[value]) for row, value in enumerate(frame[task.name]) if isinstance(value, str) and value in index]
    rows, labels = zip(*pairs) if pairs else ((), ())
    return np.asarray(rows, dtype=np.int64), np.asarray(labels, dtype=np.int64)


def fit_temperatures(logits: dict[str, np.ndarray], frame: pd.DataFrame, tasks: Sequence[TaskSpec]) -> dict[str, float]:
    """One temperature per task, fitted on the labelled rows of ``frame`` (rows aligned with ``logits``)."""
    temperatures = {}
    for task in tasks:
        rows, labels = gold_indices(frame, task)
        temperatures[task.name] = fit_temperature(logits[task.name][rows], labels)
    return temperatures


def calibration_metrics(split: str, logits: dict[str, np.ndarray], frame: pd.DataFrame, tasks: Sequence[TaskSpec],
                        temperatures: dict[str, float]) -> dict[str, float]:
    """`<split>.<task>.ece_before` / `ece_after` for each task with gold labels in ``frame``."""
    metrics = {}
    for task in tasks:
        rows, labels = gold_indices(frame, task)
        if len(rows) == 0:
            continue
        values = logits[task.name][rows]
        metrics[f"{split}.{task.name}.ece_before"] = expected_calibration_error(softmax(values), labels)
        metrics[f"{split}.{task.name}.ece_after"] = expected_calibration_error(softmax(values, temperatures[task.name]), labels)
    return metrics
