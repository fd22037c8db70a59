"""Bad input to the tagger gets a documented answer or a ValueError naming the item; the data
loader never crashes on odd text with anything but DataError."""

from __future__ import annotations

import json
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer

from models.network import MultiTaskTagger
from models.predict import Tagger
from models.schema import DEFAULT_TASKS
from training.data import DataError, read_table, validate_rows

MAX_CHARS = 2000
# Every code point, lone surrogates included (hypothesis leaves them out by default).
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)


@pytest.fixture(scope="module")
def tagger(tiny_encoder) -> Tagger:
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    model = MultiTaskTagger.from_pretrained_encoder(str(tiny_encoder), DEFAULT_TASKS)
    window = {"before": 1, "after": 1, "max_length": 64, "max_chars": MAX_CHARS}
    return Tagger(model, tokenizer, {"context": window}, batch_size=8)


def assert_well_formed(result, tagger: Tagger) -> None:
    for task in tagger.tasks:
        prediction = result[task.name]
        assert prediction.label in task.labels
        assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-4)


def test_empty_and_white_space_sentences_get_the_default_labels(tagger):
    results = tagger.predict(["", "   \n\t", "The war monitor said 4 people died."])
    for empty in results[:2]:
        assert empty.labels() == {"source": "none", "frame": "neutral"}
        assert empty["source"].probability == 1.0 and "empty" in empty.flags
    assert "empty" not in results[2].flags  # the good item in the same batch keeps its own answer
    assert_well_formed(results[2], tagger)
    assert results[2]["source"].probability < 1.0


@pytest.mark.parametrize("bad", [None, 3, b"bytes", ["nested"]])
@pytest.mark.parametrize("method", ["predict", "tag_sentences", "tag_articles"])
def test_non_string_items_raise_naming_the_index(tagger, method, bad):
    with pytest.raises(ValueError, match=r"\[1\]"):
        getattr(tagger, method)(["A sentence.", bad])


def test_bad_contexts_raise_naming_the_index_or_the_lengths(tagger):
    with pytest.raises(ValueError, match=r"contexts\[0\]"):
        tagger.predict(["A sentence."], [42])
    with pytest.raises(ValueError, match="contexts has 1 items but texts has 2"):
        tagger.predict(["One.", "Two."], ["only one"])


def test_a_bare_string_is_one_sentence_for_predict_and_an_error_elsewhere(tagger):
    assert len(tagger.predict("One sentence. And another.")) == 1
    with pytest.raises(ValueError, match="list of sentences"):
        tagger.tag_sentences("One sentence. And another.")
    with pytest.raises(ValueError, match="must be a string"):
        tagger.tag_article(["One sentence."])


def test_control_characters_and_lone_surrogates_are_cleaned(tagger):
    texts = ["Shelling\x00 resumed\x07 at dawn.", "Bad \ud800 unicode.", "Ok."]
    results = tagger.predict(texts, contexts=["ctx \udfff", None, "\x1b[31m"])
    assert [r.text for r in results] == texts  # the caller's text comes back as given
    assert "cleaned" in results[0].flags and "cleaned" in results[1].flags and "cleaned" not in results[2].flags
    for result in results:
        assert_well_formed(result, tagger)
    spans = tagger.tag_article("First \ud83d part.\x00 Second part.")
    assert spans and all(0 <= s.start < s.end for s in spans)


def test_non_english_text_is_tagged(tagger):
    texts = ["قال المرصد إن 12 مدنياً قتلوا.", "Армия заявила об освобождении города.", "联合国发言人表示。", "🙂" * 50]
    for result in tagger.predict(texts):
        assert_well_formed(result, tagger)
        assert "empty" not in result.flags


def test_over_long_texts_are_cut_before_tokenizing_with_a_warning_and_fast(tagger):
    # Tokenizers truncate only after a full pass: an uncut 2 MB word costs ~0.6 s, more under load.
    huge = "x" * 2_000_000
    tagger.predict(["warm up"])
    start = time.perf_counter()
    with pytest.warns(UserWarning, match=f"longer than {MAX_CHARS} characters"):
        results = tagger.predict(["Short.", huge], contexts=[huge, None])
    elapsed = time.perf_counter() - start
    assert "truncated" in results[1].flags and "truncated" not in results[0].flags
    assert_well_formed(results[1], tagger)
    assert elapsed < 0.3, f"a 2 MB text took {elapsed:.2f} s"
    with pytest.warns(UserWarning, match="cut before tokenizing"):
        assert "truncated" in tagger.tag_sentences(["Short.", huge])[1].flags


def test_a_shared_tagger_answers_threads_as_it_answers_alone(tagger):
    batches = [[f"Sentence {i} from batch {b}, the ministry said." for i in range(b + 1)] for b in range(12)]
    alone = [[r["source"].probabilities for r in tagger.predict(batch)] for batch in batches]
    with ThreadPoolExecutor(max_workers=6) as pool:
        shared = list(pool.map(lambda batch: [r["source"].probabilities for r in tagger.predict(batch)], batches * 2))
    for expected, got in zip(alone * 2, shared):
        for e, g in zip(expected, got):
            assert list(g) == list(e)
            np.testing.assert_allclose(list(g.values()), list(e.values()), atol=1e-6)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(ANY_TEXT, max_size=4), with_context=st.booleans())
def test_predict_answers_any_strings(tagger, texts, with_context):
    contexts = list(reversed(texts)) if with_context else None
    results = tagger.predict(texts, contexts)
    assert [r.text for r in results] == texts
    for text, result in zip(texts, results):
        assert_well_formed(result, tagger)
        visible = [c for c in text if not (c.isspace() or unicodedata.category(c) == "Cc")]
        assert ("empty" in result.flags) == (not visible)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(ANY_TEXT, min_size=1, max_size=4), suffix=st.sampled_from([".jsonl", ".csv"]))
def test_the_data_loader_raises_only_data_errors_on_any_text(tmp_path, texts, suffix):
    path = tmp_path / f"data{suffix}"
    rows = [{"article_id": "a", "sentence_index": i, "text": t, "source": "none"} for i, t in enumerate(texts)]
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        import pandas as pd

        # Lone surrogates cannot be UTF-8: write them as the invalid bytes a broken scraper would.
        path.write_bytes(pd.DataFrame(rows).to_csv(index=False).encode("utf-8", "surrogatepass"))
    try:
        frame = read_table(path)
        validate_rows(frame, DEFAULT_TASKS, str(path))
    except DataError:
        return
    assert len(frame) == len(texts) and all(isinstance(t, str) and t.strip() for t in frame["text"])
