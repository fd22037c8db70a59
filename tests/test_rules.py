"""Rule taggers: attribution cues, carry-over, credit lines, frame markers and civilian focus.

Every sentence here is written for the test; none is taken from a real article.
"""

from __future__ import annotations

import pytest

from models.gazetteer import Gazetteer
from models.rules import FRAME_LABELS, SOURCE_LABELS, Evidence, FrameRuleTagger, RuleResult, SourceRuleTagger


@pytest.fixture(scope="module")
def sources() -> SourceRuleTagger:
    return SourceRuleTagger()


@pytest.fixture(scope="module")
def frames() -> FrameRuleTagger:
    return FrameRuleTagger()


def source_labels(tagger: SourceRuleTagger, *sentences: str) -> list[str]:
    return [r.label for r in tagger.tag(list(sentences))]


def evidence_of(result: RuleResult, kind: str) -> list[str]:
    return [e.text for e in result.evidence if e.kind == kind]


# --- Source: cues -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, label",
    [
        ("Rebels shelled the northern district overnight, the Observatory said.", "opposition_monitor"),
        ("A police source told reporters that the market was closed.", "government"),
        ("Two bridges were destroyed, according to the World Food Programme.", "un"),
        ("The Russian Defence Ministry said in a statement that four drones were downed.", "government"),
        ("Hezbollah announced the death of one of its commanders.", "armed_group"),
        ("The Houthis declared a truce along the western front.", "armed_group"),
        ("The ICRC expressed deep concern over the fate of the detainees.", "ngo"),
        ("Amnesty International condemned the strike on the bakery.", "ngo"),
        ("The Turkish foreign ministry denied that its troops crossed the river.", "government"),
        ("Guterres called for restraint from all parties.", "un"),
        ("The UN refugee agency warned that camps were overcrowded.", "un"),
        ("Activists accused pro-government militias of looting the village.", "opposition_monitor"),
        ("Islamic State claimed responsibility for the bombing through its Amaq agency.", "armed_group"),
        ("State television reported that the highway had reopened.", "state_media"),
        ("The defence minister was quoted as saying the operation would continue.", "government"),
        ("Three shells hit the port, a witness told AFP.", "other"),
        ("Karim Nasser, a shopkeeper in the old town, said the power had been cut for days.", "other"),
        ("Officials at the Houthi-run health ministry said two people died.", "government"),
        ("The Houthis said they had fired two drones at the port.", "armed_group"),
        ("Footage broadcast by Al-Manar showed smoke rising over the ridge.", "armed_group"),
        ("Ahrar al-Sham, a large faction in rebel-held northwestern Syria, said it hit a tank.", "armed_group"),
        ("Twelve families fled the village after a clinic was damaged, the war monitor said.", "opposition_monitor"),
        ("The state news agency reported heavy rain in the coastal province.", "state_media"),
        ("M23 rebels said they took the town, according to a statement posted online.", "armed_group"),
    ],
)
def test_a_cue_with_its_speaker(sources, sentence, label):
    assert source_labels(sources, sentence) == [label]


@pytest.mark.parametrize(
    "sentence",
    [
        "Government troops captured a hill overlooking the highway.",
        "The Kremlin did not comment on the claims.",
        "The fighting has claimed the lives of hundreds of people this year.",
        "Families were denied access to the detention centre.",
        "The strikes added to fears of a wider offensive.",
        "Aid trucks waited at the crossing for a second day.",
        "Shells landed in Tell Rifaat and Tell Abyad overnight.",
        "The ministry did not say how many soldiers were killed.",
    ],
)
def test_narration_without_an_attribution_is_none(sources, sentence):
    result = sources.tag([sentence])[0]
    assert result == RuleResult("none")


def test_evidence_gives_the_cue_and_the_speaker_with_offsets(sources):
    sentence = "Earlier on Monday, the government-controlled Syrian Central Military Media said the road was open."
    result = sources.tag([sentence])[0]
    assert result.label == "state_media"
    assert result.normalized_source == "Syrian Central Military Media"
    assert evidence_of(result, "cue") == ["said"]
    assert evidence_of(result, "source") == ["Syrian Central Military Media"]
    for item in result.evidence:
        assert sentence[item.start : item.end] == item.text


def test_a_named_person_not_in_the_gazetteer_is_other(sources):
    result = sources.tag(["Leila Haddad said the school reopened on Sunday."])[0]
    assert (result.label, result.normalized_source) == ("other", "Leila Haddad")


def test_quoted_as_saying_takes_the_quoted_speaker(sources):
    result = sources.tag(["Tass quoted Sergei Lavrov as saying the talks would go on."])[0]
    assert (result.label, result.normalized_source) == ("government", "Sergei Lavrov")


def test_citing_labels_the_origin_of_the_claim(sources):
    assert source_labels(sources, "Rebels said, citing state media, that the airport was closed.") == ["state_media"]


def test_main_clause_beats_a_subordinate_speech_act(sources):
    sentence = "Troops seized two farms from militant groups, state media reported, as the UN chief urged restraint."
    assert source_labels(sources, sentence) == ["state_media"]


def test_a_speech_act_only_in_a_subordinate_clause_is_none(sources):
    sentence = "Troops pushed into the valley on Sunday while the UN chief urged restraint."
    assert source_labels(sources, sentence) == ["none"]


def test_media_relaying_a_declaration_labels_the_body(sources):
    assert source_labels(sources, "State television said the army command announced a curfew.") == ["government"]
    assert source_labels(sources, "State media reported that troops entered the old town.") == ["state_media"]


def test_an_outlet_carrying_comments_is_the_source(sources):
    sentences = ["Sergei Lavrov said the talks had stalled.", "His comments were carried by the RIA Novosti agency."]
    assert source_labels(sources, *sentences) == ["government", "state_media"]


# --- Source: carry-over -------------------------------------------------------------------------


def test_pronoun_speakers_carry_the_previous_source(sources):
    results = sources.tag(
        [
            "Gen Viktor Kupchishin said the base was targeted twice.",
            "He blamed the attack on a faction in the hills.",
            "There was no damage, he said.",
        ]
    )
    assert [r.label for r in results] == ["government"] * 3
    assert {r.normalized_source for r in results} == {"Viktor Kupchishin"}
    assert evidence_of(results[1], "carry_over") == ["He"]


def test_it_added_and_the_statement_said_carry_over(sources):
    labels = source_labels(
        sources,
        "The World Health Organization said two clinics closed.",
        "It added that medicine was running out.",
        "The statement said staff had been evacuated.",
    )
    assert labels == ["un", "un", "un"]


def test_according_to_the_same_source_carries_over(sources):
    labels = source_labels(
        sources,
        "Syrian state news agency SANA said five shells hit the city.",
        "Two people were hurt, according to the same source.",
    )
    assert labels == ["state_media", "state_media"]


def test_carry_over_skips_narration_for_a_pronoun(sources):
    labels = source_labels(
        sources,
        "The Observatory said the clashes killed 11 fighters.",
        "The front line has barely moved since March.",
        "It said the toll was likely to rise.",
    )
    assert labels == ["opposition_monitor", "none", "opposition_monitor"]


def test_a_pronoun_with_nothing_before_it_is_other(sources):
    assert source_labels(sources, "He said the road was mined.") == ["other"]


def test_continued_report_needs_a_cue(sources):
    labels = source_labels(
        sources,
        "Mr Dujarric said three health centres were damaged on Sunday.",
        "Nine schools have reportedly been hit since April.",
        "Classes were suspended in the district.",
    )
    assert labels == ["un", "un", "none"]


def test_reportedly_with_no_earlier_report_is_other(sources):
    result = sources.tag(["A convoy was reportedly ambushed near the border."])[0]
    assert result.label == "other"
    assert evidence_of(result, "cue") == ["reportedly"]


def test_a_quotation_takes_the_speaker_named_just_before_or_after(sources):
    before = source_labels(sources, "A rebel commander said the line held.", '"We will not pull back from the hill."')
    after = source_labels(sources, '"Nobody has slept for days here."', "A doctor in the town said this on Monday.")
    assert before == ["armed_group", "armed_group"]
    assert after == ["other", "other"]


# --- Source: credit lines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, label, normalized",
    [
        ("Fighting went on near the dam on Friday. (TRT World and Agencies)", "state_media", "TRT"),
        ("The talks are due to resume next month. --AFP", "other", "Agence France-Presse"),
        ("Source: Syrian Coalition", "other", "Syrian National Coalition"),
        ("BEIRUT (Reuters) - Warplanes struck a market in the north of the province.", "other", "Reuters"),
    ],
)
def test_credit_lines_attribute_themselves(sources, sentence, label, normalized):
    result = sources.tag([sentence])[0]
    assert (result.label, result.normalized_source) == (label, normalized)


def test_a_credit_line_yields_to_the_sentence_own_cue(sources):
    sentence = "The health ministry said 12 people were hurt. (TRT World and Agencies)"
    assert source_labels(sources, sentence) == ["government"]


def test_a_caption_credit_attributes_nothing(sources):
    assert source_labels(sources, "Smoke rises over the hills (Photo: AFP)") == ["none"]


def test_source_labels_are_the_codebook_classes(sources):
    assert set(SOURCE_LABELS) == set(Gazetteer.load().labels) | {"none"}


# --- Frame --------------------------------------------------------------------------------------


def frame(tagger: FrameRuleTagger, *sentences: str) -> list[str]:
    return [r.label for r in tagger.tag(list(sentences))]


@pytest.mark.parametrize(
    "sentence, label, markers",
    [
        ("Terrorist groups fired shells on residential areas.", "pro_government", ["Terrorist groups"]),
        ("Army units liberated the village of Tell Sour.", "pro_government", ["liberated"]),
        ("The army restored security to the district.", "pro_government", ["restored security"]),
        ("Troops neutralized 14 terrorists near the dam.", "pro_government", ["neutralized", "terrorists"]),
        ("Officials blamed a foreign conspiracy for the unrest.", "pro_government", ["foreign conspiracy"]),
        ("Takfiri gunmen attacked the checkpoint.", "pro_government", ["Takfiri", "gunmen"]),
        ("Regime forces shelled the outskirts overnight.", "pro_opposition", ["Regime"]),
        ("Barrel bombs hit regime-held and rebel-held areas alike.", "pro_opposition", ["regime"]),
        ("Assad's militias looted the market.", "pro_opposition", ["Assad's militias"]),
        ("Revolutionaries in the south launched an offensive.", "pro_opposition", ["Revolutionaries"]),
        ("The massacre of 40 villagers shocked the province.", "pro_opposition", ["massacre"]),
        ("The world condemned the war crimes the regime is committing.", "pro_opposition", ["war crimes", "regime"]),
    ],
)
def test_closed_marker_lists(frames, sentence, label, markers):
    result = frames.tag([sentence])[0]
    assert result.label == label
    assert evidence_of(result, "marker") == markers
    for item in result.evidence:
        assert sentence[item.start : item.end] == item.text


@pytest.mark.parametrize(
    "sentence",
    [
        "The army shelled what it called terrorist positions in the hills.",
        "The so-called terrorists withdrew from the area.",
        'Officials said the "terrorists" had left the town.',
        "The group claimed to be liberators of the region.",
    ],
)
def test_distanced_markers_do_not_count(frames, sentence):
    assert frame(frames, sentence) == ["neutral"]


def test_markers_of_both_sides_make_neutral(frames):
    result = frames.tag(["Regime forces and terrorist groups clashed near the airport."])[0]
    assert result.label == "neutral"
    assert evidence_of(result, "marker") == ["Regime", "terrorist groups"]


def test_terrorists_naming_islamic_state_alone_is_not_a_marker(frames):
    assert frame(frames, "ISIS terrorists attacked a checkpoint in the desert.") == ["neutral"]
    assert frame(frames, "The army eliminated dozens of ISIS terrorists in the desert.") == ["pro_government"]


@pytest.mark.parametrize(
    "sentence",
    [
        "The Israeli regime struck a warehouse near the capital.",
        "The new sanctions regime took effect in March.",
        "Activists accused government forces of war crimes.",
        "Gunfire was heard as two hostages were freed near the border.",
        "The army eliminated the threat posed by the tunnels.",
        "The Revolutionary Guards sent advisers to the front.",
        "Government forces and militants exchanged fire near the ridge.",
    ],
)
def test_words_that_are_not_markers_here(frames, sentence):
    assert frames.tag([sentence])[0].label in ("neutral", "humanitarian")
    assert evidence_of(frames.tag([sentence])[0], "marker") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Thousands of civilians have been displaced by the fighting.",
        "Two hospitals and a school were hit in the night.",
        "33 civilians were killed when government aircraft bombed a market.",
        "The UN called for an end to the fighting.",
        "Aid convoys have not reached the besieged suburb for weeks.",
        "The envoy urged all sides to de-escalate.",
    ],
)
def test_civilian_focus_without_markers_is_humanitarian(frames, sentence):
    result = frames.tag([sentence])[0]
    assert result.label == "humanitarian"
    assert evidence_of(result, "cue")


@pytest.mark.parametrize(
    "sentence",
    [
        "The clashes killed 20 fighters on both sides.",
        "The shelling killed 12 soldiers and civilians on Tuesday.",
        "The war has killed more than 350,000 people.",
        "The ministers met in Geneva to discuss the constitution.",
        "Fighting went on near the bridge for a third day, the aid group warned.",
    ],
)
def test_no_markers_and_no_civilian_focus_is_neutral(frames, sentence):
    assert frame(frames, sentence) == ["neutral"]


def test_markers_decide_over_civilian_content(frames):
    assert frame(frames, "Civilians were killed by regime barrel bombs.") == ["pro_opposition"]


def test_a_toll_beside_a_civilian_toll_is_humanitarian(frames):
    labels = frame(frames, "Airstrikes killed nine civilians in the market.", "Another 14 died in the night.")
    assert labels == ["humanitarian", "humanitarian"]


def test_taggers_return_one_result_per_sentence_with_known_labels(sources, frames):
    sentences = ["", "Regime forces advanced, the Observatory said.", "Nothing else happened."]
    for tagger, labels in ((sources, SOURCE_LABELS), (frames, FRAME_LABELS)):
        results = tagger.tag(sentences)
        assert len(results) == 3
        assert all(isinstance(r, RuleResult) and r.label in labels for r in results)
        assert all(isinstance(e, Evidence) for r in results for e in r.evidence)
