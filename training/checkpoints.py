"""Atomic directories and resumable training checkpoints.

A checkpoint is complete only with every file in `CHECKPOINT_FILES`; it is written to a
temporary sibling and renamed into place, so a killed run never leaves a half-written one that
`--resume` would pick up. Optimizer, scheduler and RNG states are the user's own files, read
only by `--resume`, and even then with `torch.load(weights_only=True)`: tensors and plain values,
never arbitrary pickled objects.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

CHECKPOINT_FILES = ("model.safetensors", "optimizer.pt", "scheduler.pt", "rng.pt", "state.json")
PREFIX = "step-"


@contextmanager
def atomic_directory(target: Path):
    """Yield a temporary directory that replaces `target` only if the block finishes."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.parent / f".old-{target.name}-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def rng_state() -> dict:
    """The RNG states as tensors and plain values only, so `weights_only` loading can read them."""
    kind, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "position": position,
                  "has_gauss": has_gauss, "cached_gaussian": cached_gaussian},
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
    }


def set_rng_state(state: dict) -> None:
    n, p = state["numpy"], state["python"]
    torch.set_rng_state(state["torch"])
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["position"], n["has_gauss"], n["cached_gaussian"]))
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))


def save_checkpoint(directory: Path, step: int, model, optimizer, scheduler, state: dict, keep: int) -> Path:
    """Write checkpoint `step-NNNNNNN` atomically and prune all but the newest `keep`."""
    target = Path(directory) / f"{PREFIX}{step:07d}"
    with atomic_directory(target) as tmp:
        save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(tmp / "model.safetensors"))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        torch.save(rng_state(), tmp / "rng.pt")
        (tmp / "state.json").write_text(json.dumps({**state, "step": step}, indent=2), encoding="utf-8")
    for stale in list_checkpoints(directory)[:-keep]:
        shutil.rmtree(stale, ignore_errors=True)
    for leftover in Path(directory).glob(f".*-{PREFIX}*"):  # .tmp-/.old- dirs of a run killed mid-write
        shutil.rmtree(leftover, ignore_errors=True)
    return target


def list_checkpoints(directory: Path) -> list[Path]:
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and p.name.startswith(PREFIX))


def latest_checkpoint(directory: Path) -> Path:
    """The newest checkpoint; refuses one that lacks any state file."""
    found = list_checkpoints(directory)
    if not found:
        raise FileNotFoundError(f"no checkpoint in {directory}")
    latest = found[-1]
    missing = [name for name in CHECKPOINT_FILES if not (latest / name).is_file()]
    if missing:
        raise FileNotFoundError(f"checkpoint {latest} is incomplete (missing {', '.join(missing)}); refusing to resume from it")
    return latest


def _read_state(path: Path):
    # weights_only: a checkpoint holds tensors and plain values, so a planted pickle never runs.
    try:
        return torch.load(path, weights_only=True)
    except Exception as error:  # torch raises UnpicklingError, RuntimeError, EOFError for a bad file
        raise ValueError(f"checkpoint file {path} cannot be read safely ({type(error).__name__}); refusing to resume from it") from None


def load_checkpoint(path: Path, model, optimizer, scheduler) -> dict:
    """Restore model, optimizer, scheduler and RNG states; returns the saved training state."""
    model.load_state_dict(load_file(str(path / "model.safetensors")))
    optimizer.load_state_dict(_read_state(path / "optimizer.pt"))
    scheduler.load_state_dict(_read_state(path / "scheduler.pt"))
    set_rng_state(_read_state(path / "rng.pt"))
    return json.loads((path / "state.json").read_text(encoding="utf-8"))
