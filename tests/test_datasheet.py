"""The datasheet's figures are regenerated from the data and must match the committed ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.datasheet import (
    DATASHEET_FILE,
    END_MARKER,
    FIGURES_FILE,
    START_MARKER,
    compute_figures,
    diff_figures,
    distinct_sentences,
    diversity,
    near_duplicate_share,
    render_markdown,
    replace_block,
    shared_opening_share,
    trigrams_per_sentence,
)

ROOT = Path(__file__).resolve().parents[1]
FAKES_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "fa-kes" / "fa-kes-dev.csv"
CSV = FAKES_CSV if FAKES_CSV.is_file() else None
HOW_TO_UPDATE = "run `python -m training datasheet --csv ../shared/data/fa-kes/fa-kes-dev.csv` and commit the result"


@pytest.fixture(scope="module")
def committed() -> dict:
    return json.loads((ROOT / FIGURES_FILE).read_text(encoding="utf-8"))


def test_committed_figures_match_the_data(committed):
    differences = diff_figures(committed, compute_figures(ROOT, CSV), with_csv=CSV is not None)
    assert differences == [], f"datasheet figures are stale; {HOW_TO_UPDATE}:\n" + "\n".join(differences)


def test_datasheet_shows_the_committed_figures(committed):
    sheet = (ROOT / DATASHEET_FILE).read_text(encoding="utf-8")
    stale = f"the figures block of {DATASHEET_FILE} is stale; {HOW_TO_UPDATE}"
    assert replace_block(sheet, render_markdown(committed)) == sheet, stale
    assert "<!-- results:start -->" in sheet and "<!-- results:end -->" in sheet


# --- the diversity measures on inputs small enough to count by hand --------------------------


def test_distinct_sentences_normalise_and_drop_repeats():
    assert distinct_sentences(["The  army said.", "the army SAID.", " ", "Rebels said."]) == ["the army said.", "rebels said."]


def test_trigrams_per_sentence_counts_distinct_trigrams_over_the_set():
    # "a b c d" -> abc, bcd; "b c d e" -> bcd, cde; "x y" -> none: 3 distinct over 3 sentences.
    assert trigrams_per_sentence(["a b c d", "b c d e", "x y"]) == pytest.approx(1.0)
    assert trigrams_per_sentence([]) == 0.0


def test_shared_opening_share_counts_sentences_whose_four_words_open_another():
    sentences = ["a b c d e", "a b c d f", "a b c x", "a b c"]
    # The first two share "a b c d"; "a b c" is too short to share a four-word opening.
    assert shared_opening_share(sentences) == pytest.approx(0.5)
    assert shared_opening_share(["a b c d"]) == 0.0


def test_near_duplicate_share_uses_trigram_jaccard():
    base = "one two three four five six seven eight nine ten eleven twelve"
    near = base + " thirteen"  # 10 of 11 trigrams shared: Jaccard 10/11
    far = "one two three four five six zz yy xx ww vv uu"  # 4 of 16: Jaccard 0.25
    assert near_duplicate_share([base, near, far]) == pytest.approx(2 / 3)
    assert near_duplicate_share([base, far]) == 0.0
    assert near_duplicate_share([base, far], threshold=0.25) == 1.0


def test_near_duplicate_share_equals_all_pairs_comparison():
    import random

    from training.datasheet import word_trigrams

    rng = random.Random(0)
    vocabulary = "the army said rebels shelled town monitor reported killed civilians in near".split()
    texts = [" ".join(rng.choices(vocabulary[: rng.randint(4, 12)], k=rng.randint(2, 9))) for _ in range(300)]
    sentences = distinct_sentences(texts)
    grams = [word_trigrams(s) for s in sentences]
    for threshold in (0.3, 0.7):
        hit = [
            any(j != i and g and grams[j] and len(g & grams[j]) >= threshold * len(g | grams[j]) for j in range(len(grams)))
            for i, g in enumerate(grams)
        ]
        assert near_duplicate_share(sentences, threshold) == pytest.approx(sum(hit) / len(sentences))


def test_diversity_works_on_distinct_sentences():
    figures = diversity(["A b c d.", "a b c d.", "a b c e."])
    assert figures["distinct_sentences"] == 2
    assert figures["shared_opening_share"] == 0.0  # "a b c d." and "a b c e." differ in word four


# --- comparing and rendering ------------------------------------------------------------------


def test_diff_figures_names_each_changed_path_and_skips_csv_figures_without_the_csv():
    old = {"corpus": {"sentences": 10, "labels": {"none": 3}}, "fakes_text": {"x": 1}}
    new = {"corpus": {"sentences": 11, "labels": {"none": 3}}}
    assert diff_figures(old, new) == ["corpus.sentences: 10 -> 11", "fakes_text: {'x': 1} -> '<absent>'"]
    assert diff_figures(old, new, with_csv=False) == ["corpus.sentences: 10 -> 11"]


def test_replace_block_keeps_the_text_around_the_markers():
    document = f"intro\n{START_MARKER}\nold\n{END_MARKER}\nafter\n"
    assert replace_block(document, "new\n") == f"intro\n{START_MARKER}\nnew\n{END_MARKER}\nafter\n"
    with pytest.raises(ValueError, match="markers"):
        replace_block("no markers here", "new\n")


def test_cli_check_fails_and_lists_the_differences(monkeypatch, capsys):
    import training.datasheet
    from training.cli import main

    monkeypatch.setattr(training.datasheet, "check_datasheet", lambda root, csv: ["corpus.sentences: 10 -> 11"])
    with pytest.raises(SystemExit) as exit_info:
        main(["datasheet", "--check"])
    assert exit_info.value.code not in (0, None)
    assert "corpus.sentences: 10 -> 11" in capsys.readouterr().out
