"""The label scheme a model speaks: tasks, their labels, and the codebook version."""

from __future__ import annotations

from dataclasses import dataclass

CODEBOOK_VERSION = 4
SOURCE_LABELS = ("state_media", "government", "opposition_monitor", "un", "armed_group", "ngo", "other", "none")
FRAME_LABELS = ("pro_government", "pro_opposition", "humanitarian", "neutral")
# A result whose top probability for a task (after calibration) is below this is flagged
# `uncertain_<task>`; a saved model's `uncertain_below` (config `model.uncertain_below`) wins.
UNCERTAIN_BELOW = 0.5


@dataclass(frozen=True)
class TaskSpec:
    """One single-label task: its name (the data column) and its ordered label set."""

    name: str
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.name or not self.name.isidentifier():
            raise ValueError(f"task name {self.name!r} must be a non-empty identifier")
        if len(self.labels) < 2:
            raise ValueError(f"task {self.name!r} needs at least two labels, got {list(self.labels)}")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"task {self.name!r} repeats a label: {list(self.labels)}")

    @property
    def default_label(self) -> str:
        """The label given to empty input: the codebook's `none`/`neutral`, else the last label."""
        for candidate in ("none", "neutral"):
            if candidate in self.labels:
                return candidate
        return self.labels[-1]

    def to_dict(self) -> dict:
        return {"name": self.name, "labels": list(self.labels)}


DEFAULT_TASKS = (TaskSpec("source", SOURCE_LABELS), TaskSpec("frame", FRAME_LABELS))
