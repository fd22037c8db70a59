"""The source gazetteer: the shipped data, validation errors, and alias matching with offsets."""

from __future__ import annotations

import time

import pytest
import yaml

from models.gazetteer import DEFAULT_PATH, LABELS, Gazetteer, GazetteerError


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def small(*entries: dict) -> Gazetteer:
    return Gazetteer.load({"version": 1, "codebook_version": 4, "entries": list(entries)})


def entry(name: str, label: str, *aliases: str, kind: str = "generic") -> dict:
    return {"name": name, "label": label, "kind": kind, "aliases": list(aliases or [name])}


def labels_found(gazetteer: Gazetteer, text: str) -> list[tuple[str, str]]:
    return [(text[m.start : m.end], m.entry.label) for m in gazetteer.find(text)]


# --- The shipped data ---------------------------------------------------------------------------


def test_default_file_loads_with_versions(gazetteer):
    assert DEFAULT_PATH.is_file()
    assert gazetteer.version == 1
    assert gazetteer.codebook_version == 4
    assert gazetteer.labels == LABELS


def test_at_least_400_distinct_entries(gazetteer):
    names = {e.name for e in gazetteer.entries}
    assert len(gazetteer) == len(names) >= 400
    for label in LABELS:
        assert sum(e.label == label for e in gazetteer.entries) >= 15, label


def test_yaml_file_has_the_documented_shape():
    data = yaml.load(DEFAULT_PATH.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert set(data) == {"version", "codebook_version", "entries"}
    for raw in data["entries"]:
        assert {"name", "label", "aliases", "kind"} <= set(raw) <= {"name", "label", "aliases", "kind", "country"}


@pytest.mark.parametrize(
    "text, label",
    [
        # The codebook's own examples, each in a fresh sentence.
        ("SANA reported heavy clashes.", "state_media"),
        ("Syrian Central Military Media said the road reopened.", "state_media"),
        ("Tass said the talks ended.", "state_media"),
        ("RIA Novosti cited a source.", "state_media"),
        ("Press TV aired the speech.", "state_media"),
        ("Anadolu Agency said the convoy crossed.", "state_media"),
        ("Xinhua said the envoy arrived.", "state_media"),
        ("MENA said the crossing opened.", "state_media"),
        ("Saba said the port was hit.", "state_media"),
        ("Al-Ahram said the talks resumed.", "state_media"),
        ("The Russian Defence Ministry said the drones were downed.", "government"),
        ("The US State Department said it was concerned.", "government"),
        ("Kurdish self-administration officials said the camp was full.", "government"),
        ("NATO said the exercise was planned.", "government"),
        ("The Arab League said the meeting was postponed.", "government"),
        ("The Britain-based monitor said five died.", "opposition_monitor"),
        ("The Syrian Network for Human Rights said 40 were detained.", "opposition_monitor"),
        ("Media activists said the bakery was hit.", "opposition_monitor"),
        ("OCHA said the road was closed.", "un"),
        ("UNICEF said schools were shut.", "un"),
        ("The Security Council said it would meet.", "un"),
        ("Hayat Tahrir al-Sham said it held the hill.", "armed_group"),
        ("Amaq said the attack was carried out by its fighters.", "armed_group"),
        ("Al-Manar said the drone was shot down.", "armed_group"),
        ("The ICRC said the convoy was delayed.", "ngo"),
        ("The White Helmets said rescuers were searching.", "ngo"),
        ("The OPCW said samples were taken.", "ngo"),
        ("Reuters could not verify the report.", "other"),
        ("Al Mayadeen said the road was cut.", "other"),
        ("The Syrian National Coalition said the talks failed.", "other"),
    ],
)
def test_codebook_examples_resolve_to_their_class(gazetteer, text, label):
    assert labels_found(gazetteer, text)[0][1] == label


def test_every_alias_finds_its_own_entry_class(gazetteer):
    for item in gazetteer.entries:
        for alias in item.aliases:
            found = gazetteer.find(f"Yesterday {alias} spoke.")
            assert [(m.end - m.start, m.entry.label) for m in found] == [(len(alias), item.label)], alias


def test_scraped_forms_without_apostrophes_or_hyphens(gazetteer):
    assert labels_found(gazetteer, "Syrias state news agency SANA reported") == [
        ("Syrias state news agency", "state_media"),
        ("SANA", "state_media"),
    ]
    assert labels_found(gazetteer, "Hayat Tahrir al Sham said") == [("Hayat Tahrir al Sham", "armed_group")]
    assert labels_found(gazetteer, "the Britainbased monitor") == [("Britainbased monitor", "opposition_monitor")]


# --- Validation ---------------------------------------------------------------------------------


def test_unknown_label_names_the_entry():
    with pytest.raises(GazetteerError, match=r"entry 1 \('Bad Agency'\).*unknown label 'rebelish'"):
        small(entry("Good Agency", "ngo"), entry("Bad Agency", "rebelish"))


def test_unknown_kind_names_the_entry():
    with pytest.raises(GazetteerError, match=r"'Odd'.*unknown kind 'spaceship'"):
        small(entry("Odd", "other", kind="spaceship"))


def test_missing_keys_are_listed():
    with pytest.raises(GazetteerError, match=r"entry 0 \('No Label'\): missing key\(s\) label, kind"):
        small({"name": "No Label", "aliases": ["x"]})


def test_alias_shared_by_two_labels_is_an_error():
    with pytest.raises(GazetteerError, match=r"alias 'The Agency' names 'A' \(ngo\) and 'B' \(un\)"):
        small(entry("A", "ngo", "the agency"), entry("B", "un", "The Agency"))


def test_alias_shared_within_one_label_keeps_the_first_entry():
    gaz = small(entry("First", "un", "the body"), entry("Second", "un", "the body", "second body"))
    assert [m.entry.name for m in gaz.find("the body spoke")] == ["First"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"entries": []}, "missing key"),
        ({"version": 1, "entries": {}}, "must be a list"),
        ({"version": 1, "entries": [entry("E", "ngo") | {"aliases": []}]}, "non-empty list"),
        ({"version": 1, "entries": [entry("E", "ngo"), entry("E", "ngo", "other alias")]}, "duplicate entry name"),
    ],
)
def test_malformed_data_is_rejected(data, message):
    with pytest.raises(GazetteerError, match=message):
        Gazetteer.load(data)


def test_a_yaml_file_that_is_not_a_mapping_is_rejected(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="must be a mapping"):
        Gazetteer.load(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="gazetteer file not found"):
        Gazetteer.load(tmp_path / "nope.yaml")


def test_loads_from_a_yaml_path(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump({"version": 3, "entries": [entry("Dawn Radio", "other")]}), encoding="utf-8")
    gaz = Gazetteer.load(path)
    assert (gaz.version, len(gaz), gaz.labels) == (3, 1, ("other",))


# --- Matching -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def toy() -> Gazetteer:
    return small(
        entry("Syria", "government", "Syria"),
        entry("Observatory", "opposition_monitor", "Syrian Observatory", "Syrian Observatory for Human Rights"),
        entry("World Health Organization", "un", "WHO", "World Health Organization"),
        entry("Nusra Front", "armed_group", "al-Nusra", "Hay'at al-Nusra"),
    )


def test_offsets_point_into_the_text(toy):
    text = "In Syria, the Syrian Observatory for Human Rights said WHO teams left."
    found = toy.find(text)
    assert [(m.start, m.end, m.alias) for m in found] == [
        (3, 8, "Syria"),
        (14, 49, "Syrian Observatory for Human Rights"),
        (55, 58, "WHO"),
    ]
    assert [text[m.start : m.end] for m in found] == ["Syria", "Syrian Observatory for Human Rights", "WHO"]


def test_case_insensitive_except_capitalised_acronyms(toy):
    assert [m.alias for m in toy.find("the SYRIAN OBSERVATORY and the world health organization")] == [
        "Syrian Observatory",
        "World Health Organization",
    ]
    assert toy.find("those who fled") == []


def test_word_boundaries(toy):
    assert toy.find("Syrians and Syrias envoy") == []
    assert [m.alias for m in toy.find("(Syria)")] == ["Syria"]


def test_typographic_variants_match(toy):
    text = "Hay’at al‑Nusra and the Syrian   Observatory"
    assert [(text[m.start : m.end], m.alias) for m in toy.find(text)] == [
        ("Hay’at al‑Nusra", "Hay'at al-Nusra"),
        ("Syrian   Observatory", "Syrian Observatory"),
    ]


def test_longest_alias_wins_and_matches_do_not_overlap(gazetteer):
    text = "UN spokesman Stephane Dujarric said the Syrian Observatory for Human Rights was right."
    found = gazetteer.find(text)
    assert [text[m.start : m.end] for m in found] == [
        "UN spokesman",
        "Stephane Dujarric",
        "Syrian Observatory for Human Rights",
    ]
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))


def test_matches_10000_sentences_per_second(gazetteer):
    sentences = [
        "Syrias state news agency SANA reported that troops shelled insurgents east of the town on Monday.",
        "The Britain-based monitor said 14 fighters and three civilians died in the clashes near the road.",
        "A spokesman for the rebel group told reporters that the offensive had stalled in the north.",
        "Aid trucks waited at the crossing for a second day as talks on access continued in the capital.",
    ] * 500
    started = time.perf_counter()
    for sentence in sentences:
        gazetteer.find(sentence)
    assert len(sentences) / (time.perf_counter() - started) >= 10_000
