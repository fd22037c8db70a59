"""The model card (README.md) written into every saved tagger directory."""

from __future__ import annotations

from pathlib import Path

from training.config import RunConfig


def _score_table(reports: dict[str, dict]) -> str:
    lines = ["| split | task | n | macro-F1 (95% CI) | accuracy |", "| --- | --- | --- | --- | --- |"]
    for split, tasks in reports.items():
        for task, r in tasks.items():
            ci = r.get("macro_f1_ci95")
            interval = f" ({ci[0]:.3f}-{ci[1]:.3f})" if ci else ""
            lines.append(f"| {split} | {task} | {r['n']} | {r['macro_f1']:.3f}{interval} | {r['accuracy']:.3f} |")
    return "\n".join(lines)


def _temperatures(metadata: dict) -> str:
    temperatures = metadata.get("temperatures") or {}
    return ", ".join(f"{task} {t:.2f}" for task, t in temperatures.items()) or "(none)"


def _rule_use(metadata: dict) -> str:
    parts = []
    if metadata.get("rule_input") == "features":
        parts.append("the rule labels are input features next to the encoder")
    if metadata.get("rule_input") == "text":
        parts.append("the rule labels are input text after the sentence, with the speaker's name and the cue")
    thresholds = metadata.get("rule_override_below") or {}
    if thresholds:
        parts.append("the rule label wins where the model's probability is below " + ", ".join(f"{t} {v:g}" for t, v in thresholds.items()))
    return "; ".join(parts) or "none (evidence only)"


def write_model_card(directory: Path, cfg: RunConfig, metadata: dict, reports: dict[str, dict]) -> None:
    tasks = "\n".join(f"- `{t.name}`: {', '.join(t.labels)}" for t in cfg.task_specs)
    files = "\n".join(f"- `{f.path or f.fakes}`" + (f" (split `{f.split}`)" if f.split else "") + (f", weight {f.weight}" if f.weight != 1 else "") for f in cfg.data.files)
    text = f"""# Source-bias sentence tagger

Tags each sentence of a news article with its attributed source and its frame, following the
annotation codebook version {metadata['codebook_version']}.

## Tasks and labels
{tasks}

## Model
- Base encoder: `{cfg.model.base_model}`, fine-tuned with one shared encoder and one linear head per task.
- Context: {cfg.model.context_before} sentence(s) before and {cfg.model.context_after} after, {cfg.model.max_length} tokens in all.
- MLflow run: `{metadata['run_id']}`; dev-set digest `{metadata['dev_digest']}`.
- Calibration: temperatures {_temperatures(metadata)} fitted on `{cfg.data.dev_split}`; a result whose top
  probability for a task is below {metadata.get('uncertain_below', cfg.model.uncertain_below)} is flagged `uncertain_<task>`.
- Evidence: the rule taggers' cues, source spans and frame markers, with the shipped
  `gazetteer.yaml` (version {metadata.get('gazetteer_version', 'unknown')}).
- Rule knowledge: {_rule_use(metadata)}.

## Training data
{files}

Training splits: {', '.join(cfg.data.train_splits)}; model selection on `{cfg.data.dev_split}` (mean of the tasks' macro-F1).

## Scores (best epoch)
Rows `hybrid.<split>` score the labels `Tagger` returns (rule labels where they win); the others
score the model's own most probable label.

{_score_table(reports)}

## Intended use
Measuring whose voice news coverage carries (attributed sources) and whose narrative its
wording takes up (frames), in aggregate over many articles, by media researchers and analysts.

## Limits
- Trained mostly on English text written to the codebook; real scraped news is harder (see the
  real-text scores above when present). Rare source types are the least reliable.
- The frame follows a closed list of loaded words; subtle framing without those words is `neutral`
  or `humanitarian` by design.
- Individual labels are noisy: use aggregates, and check the probabilities.
- Not for judging the truth of a claim or the reliability of an outlet.
"""
    (Path(directory) / "README.md").write_text(text, encoding="utf-8")
