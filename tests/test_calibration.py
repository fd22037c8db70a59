"""Temperature scaling: the fit recovers a known temperature, lowers the ECE, and `Tagger` applies it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from transformers import AutoModel, AutoTokenizer

from models.encoding import encode_article, flatten
from models.network import MultiTaskTagger
from models.predict import Tagger
from models.schema import DEFAULT_TASKS, TaskSpec
from training.calibration import (
    calibration_metrics,
    expected_calibration_error,
    fit_temperature,
    fit_temperatures,
    softmax,
)

WINDOW = {"before": 1, "after": 1, "max_length": 64, "max_chars": 2000}
TEXTS = [
    "The war monitor said 4 people died.",
    "Regime forces shelled the town.",
    "Aid trucks reached the camp.",
    "Calm returned to the city.",
    "The army said it repelled an attack.",
    "Twelve families fled after a clinic was hit, the UN said.",
]


def overconfident(temperature: float, n: int = 20_000, classes: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits `temperature` times sharper than the distribution the labels are drawn from."""
    rng = np.random.default_rng(seed)
    honest = rng.normal(0.0, 1.5, size=(n, classes))
    cumulative = softmax(honest).cumsum(axis=1)
    labels = (rng.random((n, 1)) > cumulative).sum(axis=1)
    return honest * temperature, labels


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_the_fit_recovers_a_known_temperature(true_temperature):
    logits, labels = overconfident(true_temperature)
    assert fit_temperature(logits, labels) == pytest.approx(true_temperature, rel=0.1)


def test_the_fit_is_deterministic_and_safe_without_data():
    logits, labels = overconfident(2.0, n=500)
    assert fit_temperature(logits, labels) == fit_temperature(logits, labels)
    assert fit_temperature(np.zeros((0, 3)), np.zeros(0, dtype=int)) == 1.0


def test_ece_falls_after_fitting_on_overconfident_data():
    logits, labels = overconfident(3.0)
    before = expected_calibration_error(softmax(logits), labels)
    after = expected_calibration_error(softmax(logits, fit_temperature(logits, labels)), labels)
    assert before > 0.1 and after < before / 3


def test_ece_by_hand():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.3, 0.7], [0.3, 0.7]])
    # Bin (0.86, 0.93]: confidence 0.9, accuracy 0.5; bin (0.66, 0.73]: confidence 0.7, accuracy 1.0.
    assert expected_calibration_error(probs, np.array([0, 1, 1, 1])) == pytest.approx(0.5 * 0.4 + 0.5 * 0.3)
    assert expected_calibration_error(np.eye(3), np.arange(3)) == 0.0


def test_fit_and_metrics_use_only_labelled_rows():
    task = TaskSpec("frame", ("a", "b", "c"))
    logits, labels = overconfident(2.0, n=3000, classes=3)
    names = np.array(task.labels, dtype=object)[labels]
    names[::10] = None  # unlabelled rows are skipped
    frame = pd.DataFrame({"frame": names})
    temperatures = fit_temperatures({"frame": logits}, frame, [task])
    assert temperatures["frame"] == pytest.approx(2.0, rel=0.1)
    metrics = calibration_metrics("dev", {"frame": logits}, frame, [task], temperatures)
    assert set(metrics) == {"dev.frame.ece_before", "dev.frame.ece_after"}
    assert metrics["dev.frame.ece_after"] < metrics["dev.frame.ece_before"]


@pytest.fixture(scope="module")
def network(tiny_encoder):
    return MultiTaskTagger(AutoModel.from_pretrained(tiny_encoder), DEFAULT_TASKS), AutoTokenizer.from_pretrained(tiny_encoder)


def make_tagger(network, **metadata) -> Tagger:
    model, tokenizer = network
    return Tagger(model, tokenizer, {"context": WINDOW, **metadata}, batch_size=4)


def test_a_tagger_applies_its_temperatures(network):
    plain = make_tagger(network).predict(TEXTS)
    soft = make_tagger(network, temperatures={"source": 4.0, "frame": 4.0}).predict(TEXTS)
    for p, s in zip(plain, soft):
        assert s.labels() == p.labels()  # the argmax does not move
        for task in ("source", "frame"):
            assert s[task].probability < p[task].probability
            assert sum(s[task].probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_tagger_probabilities_are_the_calibrated_softmax_of_its_logits(network):
    tagger = make_tagger(network, temperatures={"source": 2.0})  # frame: 1.0 when absent
    assert tagger.temperatures == {"source": 2.0, "frame": 1.0}
    encoded = flatten([encode_article(tagger.tokenizer, TEXTS, tagger.window)])
    logits = tagger.predict_logits(encoded)
    probabilities = tagger.predict_encoded(encoded)
    np.testing.assert_allclose(probabilities["source"], softmax(logits["source"], 2.0), atol=1e-6)
    np.testing.assert_allclose(probabilities["frame"], softmax(logits["frame"]), atol=1e-6)


def test_results_below_the_threshold_are_flagged_uncertain(network):
    temperatures = {"source": 0.05, "frame": 0.05}  # sharp enough to spread top probabilities widely
    top = [r["source"].probability for r in make_tagger(network, temperatures=temperatures).predict(TEXTS)]
    threshold = float(np.median(top))
    results = make_tagger(network, temperatures=temperatures, uncertain_below=threshold).predict(TEXTS)
    flagged = ["uncertain_source" in r.flags for r in results]
    assert flagged == [r["source"].probability < threshold for r in results]
    assert any(flagged) and not all(flagged)
    assert not any("uncertain_frame" in r.flags for r in make_tagger(network, uncertain_below=0.0).predict(TEXTS))
    empty = make_tagger(network, uncertain_below=1.0).predict([""])[0]
    assert not any(f.startswith("uncertain") for f in empty.flags)  # empty input is certain by rule


def test_the_default_threshold_is_documented_and_applied(network):
    tagger = make_tagger(network)
    assert tagger.uncertain_below == 0.5
    for result in tagger.predict(TEXTS):  # a random tiny model: near-uniform over 8 source labels
        assert "uncertain_source" in result.flags


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_a_bad_temperature_is_refused(network, bad):
    with pytest.raises(ValueError, match="temperatures"):
        make_tagger(network, temperatures={"source": bad})
