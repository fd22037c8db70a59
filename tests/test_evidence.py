"""`Tagger` results carry the rule taggers' evidence, with offsets into the caller's text."""

from __future__ import annotations

import time

import pytest
import yaml
from transformers import AutoModel, AutoTokenizer

from models.network import GAZETTEER_FILE, MultiTaskTagger
from models.predict import RuleEvidence, Tagger
from models.schema import DEFAULT_TASKS

WINDOW = {"before": 1, "after": 1, "max_length": 64, "max_chars": 2000}
ARTICLE = (
    "Air strikes hit a market in Idlib on Monday.  At least 12 civilians were killed, "
    "the Syrian Observatory for Human Rights said. He said the toll could rise.\n"
    "Regime forces shelled the outskirts of the town."
)


@pytest.fixture(scope="module")
def tagger(tiny_encoder) -> Tagger:
    model = MultiTaskTagger(AutoModel.from_pretrained(tiny_encoder), DEFAULT_TASKS)
    return Tagger(model, AutoTokenizer.from_pretrained(tiny_encoder), {"context": WINDOW}, batch_size=8)


def spans_of(found: RuleEvidence, kind: str) -> list:
    return [e for e in found.spans if e.kind == kind]


def sentence_with(results, words: str):
    return next(r for r in results if words in r.text)


def assert_offsets_point_into(text: str, results) -> None:
    for result in results:
        for found in result.evidence.values():
            for e in found.spans:
                assert text[e.start : e.end] == e.text


@pytest.mark.parametrize("method", ["tag_article", "tag_articles"])
def test_article_evidence_points_at_the_words_in_the_article(tagger, method):
    results = tagger.tag_article(ARTICLE) if method == "tag_article" else tagger.tag_articles(["Calm.", ARTICLE])[1]
    assert_offsets_point_into(ARTICLE, results)

    monitor = sentence_with(results, "Observatory").evidence["source"]
    assert monitor.label == "opposition_monitor"
    assert monitor.normalized_source == "Syrian Observatory for Human Rights"
    (cue,) = spans_of(monitor, "cue")
    (source,) = spans_of(monitor, "source")
    assert (cue.text, source.text) == ("said", "Syrian Observatory for Human Rights")
    assert ARTICLE[source.start : source.end] == "Syrian Observatory for Human Rights"
    assert source.start == ARTICLE.index("Syrian Observatory")  # an article offset, not a sentence one

    carried = sentence_with(results, "He said").evidence["source"]
    assert (carried.label, carried.normalized_source) == ("opposition_monitor", "Syrian Observatory for Human Rights")
    (pronoun,) = spans_of(carried, "carry_over")
    assert pronoun.text == "He" and pronoun.start == ARTICLE.index("He said")

    frame = sentence_with(results, "Regime forces").evidence["frame"]
    assert frame.label == "pro_opposition"
    assert [m.text for m in spans_of(frame, "marker")] == ["Regime"]
    assert ARTICLE[frame.spans[0].start : frame.spans[0].end] == "Regime"


def test_tag_sentences_offsets_are_into_each_sentence(tagger):
    sentences = ["Twelve people died, the Syrian Observatory for Human Rights said.", "He said more were missing."]
    results = tagger.tag_sentences(sentences)
    for sentence, result in zip(sentences, results):
        assert_offsets_point_into(sentence, [result])
    assert [r.evidence["source"].label for r in results] == ["opposition_monitor", "opposition_monitor"]
    assert spans_of(results[1].evidence["source"], "carry_over")[0].start == 0


def test_predict_treats_each_text_as_its_own_article(tagger):
    texts = ["Four died, the Syrian Observatory for Human Rights said.", "He said the road was mined."]
    first, second = tagger.predict(texts)
    assert_offsets_point_into(texts[0], [first])
    assert first.evidence["source"].normalized_source == "Syrian Observatory for Human Rights"
    assert set(first.evidence) == {"source", "frame"}
    # Nothing before "He said" in its own one-sentence article: no carry-over from the text before.
    assert second.evidence["source"].normalized_source is None
    assert second.evidence["source"].label != "opposition_monitor"


def test_empty_sentences_get_empty_evidence_and_do_not_break_carry_over(tagger):
    results = tagger.tag_sentences(["Four died, the Syrian Observatory for Human Rights said.", "  ", "He said 3 were hurt."])
    assert results[1].evidence == {} and "empty" in results[1].flags
    assert results[2].evidence["source"].label == "opposition_monitor"
    assert tagger.predict([""])[0].evidence == {}


def test_control_characters_keep_offsets(tagger):
    article = "Shelling\x00 resumed, the Syrian Observatory for Human Rights said."
    (result,) = tagger.tag_article(article)
    (source,) = spans_of(result.evidence["source"], "source")
    assert article[source.start : source.end] == source.text == "Syrian Observatory for Human Rights"


def test_a_saved_model_uses_the_gazetteer_it_ships(tiny_encoder, tmp_path):
    directory = tmp_path / "tagger"
    MultiTaskTagger(AutoModel.from_pretrained(tiny_encoder), DEFAULT_TASKS).save(directory, {"context": WINDOW})
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(directory)
    sentence = ["Zorblax Relief Mission said the convoy arrived."]
    assert Tagger.load(directory).predict(sentence)[0].evidence["source"].label == "other"  # an unknown name in the repo's gazetteer
    entry = {"name": "Zorblax Relief Mission", "label": "ngo", "kind": "ngo", "aliases": ["Zorblax Relief Mission"]}
    (directory / GAZETTEER_FILE).write_text(yaml.safe_dump({"version": 7, "entries": [entry]}), encoding="utf-8")
    found = Tagger.load(directory).predict(sentence)[0].evidence["source"]
    assert (found.label, found.normalized_source) == ("ngo", "Zorblax Relief Mission")


def test_evidence_adds_little_to_tag_article(tagger):
    sentences = [r.text for r in tagger.tag_article(" ".join([ARTICLE] * 25))]
    start = time.perf_counter()
    tagger._rule_evidence([sentences])
    elapsed = time.perf_counter() - start
    assert elapsed < len(sentences) / 1000, f"{len(sentences)} sentences took {elapsed:.3f} s"  # >10k/s unloaded


def test_rule_label_wins_below_the_override_threshold(tiny_encoder):
    model = MultiTaskTagger(AutoModel.from_pretrained(tiny_encoder), DEFAULT_TASKS)
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    plain = Tagger(model, tokenizer, {"context": WINDOW})
    hybrid = Tagger(model, tokenizer, {"context": WINDOW, "rule_override_below": {"source": 1.0}})
    sentence = ["At least 12 civilians were killed, the Syrian Observatory for Human Rights said."]
    before, after = plain.predict(sentence)[0], hybrid.predict(sentence)[0]
    assert after["source"].label == "opposition_monitor" and "rule_source" in after.flags
    assert after["source"].probabilities == before["source"].probabilities
    assert after["frame"].label == before["frame"].label and "rule_frame" not in after.flags
