"""Rule knowledge as model input (`model.rule_input: features | text`): inputs, wiring, training and parity."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from models.network import MultiTaskTagger
from models.predict import Tagger
from models.encoding import ContextWindow, encode_article
from models.rule_evidence import (RuleEvidence, RuleInput, article_evidence, feature_tensor, feature_vector, feature_width, hint_text,
                                  insert_hint, rule_taggers, rule_wins)
from models.rules import Evidence
from models.schema import DEFAULT_TASKS, TaskSpec
from training.config import ConfigError, load_config
from training.evaluate import tagger_outputs, tagger_probabilities
from training.train import train

from .conftest import CONFIGS, make_rows, rel

SOURCE, FRAME = DEFAULT_TASKS
WINDOW = {"before": 1, "after": 1, "max_length": 64, "max_chars": 2000, "mode": "fused"}


def test_feature_vector_is_one_hot_per_rule_task():
    style = TaskSpec("style", ("wire", "feature"))
    tasks = (SOURCE, style, FRAME)
    vector = feature_vector({"source": RuleEvidence("un"), "frame": RuleEvidence("humanitarian")}, tasks)
    assert feature_width(tasks) == len(vector) == len(SOURCE.labels) + len(FRAME.labels)  # no rule tagger for style
    assert vector[: len(SOURCE.labels)] == [float(label == "un") for label in SOURCE.labels]
    assert vector[len(SOURCE.labels) :] == [float(label == "humanitarian") for label in FRAME.labels]
    assert feature_vector({}, tasks) == [0.0] * len(vector)  # an empty sentence has no evidence


def test_article_evidence_carries_the_speaker_across_sentences():
    found = article_evidence(rule_taggers(DEFAULT_TASKS), [["The UN refugee agency said 40 families arrived.", "It added that more were coming.", " "]], 2000)
    assert [f["source"].label for f in found[:2]] == ["un", "un"]
    assert found[2] == {}


def test_hint_text_names_the_labels_the_speaker_and_the_cue():
    evidence = {"source": RuleEvidence("state_media", "Syrian Arab News Agency", (Evidence("cue", "said", 5, 9), Evidence("source", "SANA", 0, 4))),
                "frame": RuleEvidence("pro_government")}
    assert hint_text(evidence, DEFAULT_TASKS) == "source: state media | Syrian Arab News Agency | said ; frame: pro government"
    assert hint_text({"source": RuleEvidence("none"), "frame": RuleEvidence("neutral")}, DEFAULT_TASKS) == "source: none ; frame: neutral"
    assert hint_text({}, DEFAULT_TASKS) == ""


@pytest.mark.parametrize("window", [ContextWindow(0, 0, 24), ContextWindow(1, 1, 24, mode="tokens")])
def test_text_rule_input_follows_the_sentence_within_the_budget(tiny_encoder, window):
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    sentences = ["SANA said the army entered the town.", "He added that 12 civilians died in the shelling of the market."]
    items = encode_article(tokenizer, sentences, window)
    plain = [list(item["input_ids"]) for item in items]
    rule_input = RuleInput("text", rule_taggers(DEFAULT_TASKS), DEFAULT_TASKS)
    rule_input.attach(tokenizer, items, rule_input.evidence([sentences], window.max_chars), window.max_length)
    for item, before in zip(items, plain):
        sentence_end = item["token_type_ids"].count(0)
        assert item["input_ids"][:sentence_end] == before[:sentence_end]  # the sentence is untouched
        assert len(item["input_ids"]) == len(item["token_type_ids"]) <= window.max_length
        assert item["input_ids"][-1] == tokenizer.sep_token_id
        assert tokenizer.decode(item["input_ids"][sentence_end:]).startswith("source : state media")


def test_a_sentence_that_fills_the_budget_gets_no_hint():
    item = {"input_ids": [101, 7, 8, 9, 102], "token_type_ids": [0] * 5}
    insert_hint(item, [50, 51], 102, max_length=6)
    assert item == {"input_ids": [101, 7, 8, 9, 102], "token_type_ids": [0] * 5}
    insert_hint(item, [50, 51], 102, max_length=7)
    assert item["input_ids"] == [101, 7, 8, 9, 102, 50, 102] and item["token_type_ids"] == [0] * 5 + [1, 1]


def test_target_items_without_rule_features_are_refused():
    width = feature_width(DEFAULT_TASKS)
    context_only = {"target": False}
    assert feature_tensor([context_only], width).abs().sum() == 0
    with pytest.raises(ValueError, match="no rule features"):
        feature_tensor([{"target": True}], width)


def test_rule_wins_only_below_the_threshold_with_a_non_default_label():
    assert rule_wins(SOURCE, 0.5, "un", 0.8)
    assert not rule_wins(SOURCE, 0.85, "un", 0.8)
    assert not rule_wins(SOURCE, 0.5, "none", 0.8)  # the default label never overrides
    assert not rule_wins(SOURCE, 0.5, "pro_government", 0.8)  # not a label of the task


def test_a_model_with_rule_features_uses_them_and_needs_them(tiny_encoder, tmp_path):
    torch.manual_seed(0)
    width = feature_width(DEFAULT_TASKS)
    model = MultiTaskTagger(AutoModel.from_pretrained(tiny_encoder), DEFAULT_TASKS, rule_width=width).eval()
    pooled, none = torch.randn(2, model.encoder.config.hidden_size), torch.zeros((2, 0), dtype=torch.long)
    with pytest.raises(ValueError, match=f"takes {width} rule features"):
        model.classify(pooled, none, none)
    one, other = torch.zeros(2, width), torch.zeros(2, width)
    one[:, 0], other[:, 3] = 1.0, 1.0
    assert not torch.allclose(model.classify(pooled, none, none, one)["source"], model.classify(pooled, none, none, other)["source"])

    model.save(tmp_path / "tagger", {"context": WINDOW})
    loaded, description = MultiTaskTagger.load(tmp_path / "tagger")
    assert description["rule_width"] == loaded.rule_width == width
    assert torch.allclose(model.classify(pooled, none, none, one)["frame"], loaded.classify(pooled, none, none, one)["frame"])

    (tmp_path / "tagger" / "tagger.json").write_text(json.dumps({**description, "format_version": 99}))
    with pytest.raises(ValueError, match="format_version 99 is newer"):
        MultiTaskTagger.load(tmp_path / "tagger")


def test_tagger_feeds_the_rule_labels_to_the_model(tiny_encoder):
    torch.manual_seed(0)
    model = MultiTaskTagger(AutoModel.from_pretrained(tiny_encoder), DEFAULT_TASKS, rule_width=feature_width(DEFAULT_TASKS))
    with torch.no_grad():  # make the source head read only the rule features: the `un` slot decides
        model.fuse[0].weight.zero_()
        model.fuse[0].bias.zero_()
        model.fuse[0].weight[0, -feature_width(DEFAULT_TASKS) + SOURCE.labels.index("un")] = 10.0
        model.heads["source"].weight.zero_()
        model.heads["source"].bias.zero_()
        model.heads["source"].weight[SOURCE.labels.index("un"), 0] = 10.0
    tagger = Tagger(model, AutoTokenizer.from_pretrained(tiny_encoder), {"context": WINDOW})
    results = tagger.tag_sentences(["The UN refugee agency said 40 families arrived.", "Fighting continued near the town."])
    assert [r["source"].label for r in results] == ["un", "state_media"]  # state_media: the first label, all logits 0
    assert results[0]["source"].probability > 0.9 and "rule_source" not in results[0].flags


@pytest.mark.parametrize("mode", ["features", "text"])
def test_training_with_rule_input_matches_the_tagger(smoke_overrides, mode):
    cfg = load_config(CONFIGS / "smoke.yaml", [*smoke_overrides, f"model.rule_input={mode}", "tracking.registered_model=null"])
    result = train(cfg)
    description = json.loads((result.model_dir / "tagger.json").read_text())
    assert description["rule_input"] == mode
    assert description["rule_width"] == (feature_width(cfg.task_specs) if mode == "features" else 0)
    assert f"rule labels are input {'features' if mode == 'features' else 'text'}" in (result.model_dir / "README.md").read_text()

    tagger = Tagger.load(result.model_dir)
    frame = pd.DataFrame(make_rows(n_articles=3, per_article=4, split=False))
    frame = pd.concat([frame, pd.DataFrame({"text": ["The UN said aid arrived."], "context": ["Fighting went on."]})], ignore_index=True)
    tagger.rule_override_below = {}
    probabilities, labels = tagger_outputs(tagger, frame)  # through Tagger's public calls
    trained_path = tagger_probabilities(tagger, frame)  # through the training code's encoding
    for task in tagger.tasks:
        np.testing.assert_allclose(probabilities[task.name], trained_path[task.name], atol=1e-5)
        assert labels[task.name] == [task.labels[i] for i in trained_path[task.name].argmax(1)]

    plain = load_config(CONFIGS / "smoke.yaml", [f"model.base_model={rel(result.model_dir)}", "tracking.registered_model=null"])
    with pytest.raises(ConfigError, match="model.rule_input"):
        train(plain)  # a tagger with rule features cannot be warm-started as one without


def test_config_names_an_unknown_rule_input():
    with pytest.raises(ConfigError, match="model.rule_input"):
        load_config(CONFIGS / "smoke.yaml", ["model.rule_input=marked"])


def test_hybrid_labels_are_scored_with_the_models_probability_of_them():
    from training.evaluate import evaluate_predictions

    frame = pd.DataFrame({"text": ["a", "b"], "frame": ["neutral", "humanitarian"]})
    probabilities = {"frame": np.array([[0.1, 0.1, 0.2, 0.6], [0.1, 0.1, 0.3, 0.5]])}
    evaluation = evaluate_predictions("x", frame, probabilities, [FRAME], bootstrap=False, labels={"frame": ["neutral", "humanitarian"]})
    assert list(evaluation.frame["pred_frame"]) == ["neutral", "humanitarian"]  # the second is the rule's label
    assert list(evaluation.frame["prob_frame"]) == [0.6, 0.3]
    assert evaluation.reports["frame"]["accuracy"] == 1.0
