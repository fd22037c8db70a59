"""Assemble a run's labelled rows from its config: every file read, validated and split."""

from __future__ import annotations

import warnings

import pandas as pd

from training.config import DataFile, RunConfig
from training.data import (
    DataError,
    assign_auto_splits,
    check_leakage,
    read_table,
    validate_rows,
    warn_missing_labels,
)
from training.fakes import join_annotations


def _load_entry(entry: DataFile, cfg: RunConfig) -> pd.DataFrame | None:
    if entry.fakes is not None:
        csv_path = cfg.resolve_path(cfg.data.fakes_csv) if cfg.data.fakes_csv else None
        if csv_path is None or not csv_path.is_file():
            if entry.optional:
                warnings.warn(f"FA-KES CSV not found ({csv_path}); the real-article splits are skipped", stacklevel=2)
                return None
            raise DataError(f"data.files has a FA-KES entry: pass the CSV with --set data.fakes_csv=PATH (not found: {csv_path})")
        folder = cfg.resolve_path(entry.fakes)
        frame = pd.DataFrame(join_annotations(folder, csv_path))
        frame["_file"], frame["_row"] = str(folder / "labels.jsonl"), range(1, len(frame) + 1)
    else:
        path = cfg.resolve_path(entry.path)
        if entry.optional and not path.exists():
            warnings.warn(f"optional data file not found, skipped: {path}", stacklevel=2)
            return None
        frame = read_table(path)
    frame = frame.rename(columns=entry.rename)
    if entry.article_id is not None:
        frame["article_id"] = entry.article_id
    if entry.split is not None:
        frame["split"] = entry.split
    frame["weight"] = entry.weight
    validate_rows(frame, cfg.task_specs, frame["_file"].iloc[0])
    return frame


def load_run_data(cfg: RunConfig) -> pd.DataFrame:
    """All labelled rows of a run with their `split`, validated; raises DataError on bad data."""
    frames = []
    for number, entry in enumerate(cfg.data.files):
        frame = _load_entry(entry, cfg)
        if frame is None:
            continue
        if "article_id" in frame.columns:
            frame["article_id"] = f"{number}:" + frame["article_id"].astype(str)
        frames.append(frame)
    if not frames:
        raise DataError("no data file could be read")
    data = pd.concat(frames, ignore_index=True)
    data = assign_auto_splits(data, cfg.data.split_seed, cfg.data.dev_fraction, cfg.data.test_fraction)
    needed = {*cfg.data.train_splits, cfg.data.dev_split}
    missing = sorted(needed - set(data["split"]))
    if missing:
        raise DataError(f"no rows in split(s) {missing}; splits present: {sorted(set(data['split']))}")
    check_leakage(data, cfg.data.train_splits, [cfg.data.dev_split, *cfg.data.eval_splits])
    for split in [cfg.data.dev_split, *cfg.data.eval_splits]:
        warn_missing_labels(data, cfg.task_specs, split)
    return data
