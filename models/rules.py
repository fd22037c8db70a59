"""Transparent rule taggers for the codebook's two tags (codebook version 4).

:class:`SourceRuleTagger` finds attribution cues (said, according to, a credit line, ...), finds
the speaker next to each cue and resolves it with the :class:`~models.gazetteer.Gazetteer`;
pronouns and "it added" carry the previous attributed sentence's source. :class:`FrameRuleTagger`
looks for the codebook's closed lists of loaded words, cancels distanced ones, and falls back to
civilian focus. Every result carries the evidence that decided it, with character offsets into
the sentence given to the tagger, so a reader can check each label.

The patterns are module-level data, compiled once. They are heuristics for a baseline and for
explaining a model, not a parser: the main clause is approximated by clause-boundary words.

Example:
    >>> sources = SourceRuleTagger().tag(["Rebels shelled a base, the Observatory said.", "It added that 4 died."])
    >>> [r.label for r in sources]
    ['opposition_monitor', 'opposition_monitor']
    >>> FrameRuleTagger().tag(["Regime forces shelled the town."])[0].label
    'pro_opposition'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from models.gazetteer import Gazetteer, SourceMatch

SOURCE_LABELS = ("state_media", "government", "opposition_monitor", "un", "armed_group", "ngo", "other", "none")
FRAME_LABELS = ("pro_government", "pro_opposition", "humanitarian", "neutral")

# --- Source: attribution cues -------------------------------------------------------------------

# Speech verbs whose grammatical subject is the speaker.
STRONG_SPEECH_VERBS = (
    r"said", r"says", r"say", r"told", r"tells",
    r"announced", r"announces", r"announce", r"declared", r"declares", r"declare",
    r"denied", r"denies", r"deny", r"accused", r"accuses", r"accuse", r"blamed", r"blames", r"blame",
    r"warned", r"warns", r"warn", r"urged", r"urges", r"urge",
    r"call(?:ed|s)?\s+(?:for|on|upon)", r"condemned", r"condemns", r"condemn", r"denounced", r"denounces",
    r"claimed", r"stated", r"confirmed", r"confirms", r"reported", r"alleged", r"alleges",
    r"express(?:ed|es)?\s+(?:\w+\s+){0,2}(?:concern|alarm|regret|outrage|shock|dismay|hope|condolences)",
    r"insisted", r"insists", r"stressed", r"stresses", r"affirmed", r"asserted", r"acknowledged",
    r"admitted", r"vowed", r"vows", r"pledged", r"demanded", r"demands", r"appealed", r"appeals",
    r"criticised", r"criticized", r"argued", r"wrote", r"tweeted",
)
# Speech verbs that are also nouns or common non-speech verbs: they count only with a speaker
# right before them ("it added", "the group described"), never with a distant subject.
WEAK_SPEECH_VERBS = (
    r"added", r"adds", r"noted", r"notes", r"reports", r"report", r"claims", r"claim", r"states",
    r"described", r"describes", r"documented", r"recorded", r"explained", r"estimated", r"estimates",
    r"threatened", r"welcomed", r"welcomes", r"rejected", r"dismissed", r"predicted", r"posted",
    r"published", r"revealed", r"indicated", r"pointed\s+out", r"showed",
)
# Passive forms of these with no agent ("it was reported") are unnamed reports.
UNNAMED_PASSIVE_VERBS = frozenset(
    "said reported claimed alleged announced confirmed accused blamed stated estimated documented".split()
)
# The speaker follows these cues.
SPEAKER_AFTER_CUES = (r"according\s+to",)
ORIGIN_CUES = (r"citing", r"quoting")
RELAY_CUES = (r"(?:carried|published|broadcast|aired|released|relayed)\s+by",)
QUOTED_AS_SAYING = r"quot(?:ed|ing)\s+(?P<quoted>[^.;]{1,80}?)\s+as\s+say(?:ing|s)"
WAS_QUOTED_AS_SAYING = r"(?:was|were|is|are|been|being)\s+quoted\s+(?:by\s+[^.;]{1,60}?\s+)?as\s+say(?:ing|s)"
IN_A_STATEMENT = r"in\s+an?\s+(?:\w+\s+)?(?:statement|communique|communiqué)"
FOOTAGE_SHOWED = (
    r"(?:footage|videos?|images|pictures|photos|photographs|video\s+footage)\b[^.;]{0,80}?"
    r"\bshow(?:ed|s|n|ing)?\b"
)
# Unnamed reports: they carry the previous sentence's source when one is attributed, else `other`.
UNNAMED_REPORT_CUES = (
    r"reportedly", r"allegedly", r"it\s+(?:was|is|has\s+been|had\s+been)\s+(?:reported|said|claimed|alleged|learned)",
    r"with\s+(?:unconfirmed\s+)?reports\s+of", r"according\s+to\s+(?:unconfirmed\s+|media\s+|local\s+|news\s+)?reports",
    r"(?:unconfirmed\s+)?reports\s+(?:said|say|suggested|suggest|indicated|indicate|claimed)",
    r"unconfirmed\s+reports",
)
# Contexts in which a cue word is not a speech act.
NON_SPEECH_CONTEXTS = (
    r"claim(?:ed|s|ing)?\s+(?:\w+\s+){0,4}lives",
    r"den(?:ied|ies|y)\s+(?:\w+\s+){0,2}(?:access|entry|permission|bail|visas?|treatment|passage|food|aid|the\s+right)",
    r"(?:the|an?|its|their|his|her)\s+"
    r"(?:reported|accused|alleged|declared|stated|confirmed|claimed|report|reports|claims|claim|states)\b",
    r"(?:member|islamic|united|gulf|arab|western|neighbouring|neighboring|nation)\s+states\b",
    r"call(?:ed|s)?\s+for\s+(?:help|prayer|prayers)\b",
)
NEGATION_BEFORE = (
    r"(?:\bnot|n't|\bnever|\bno\s+longer|\brefused\s+to|\bdeclined\s+to|\bfailed\s+to|\bwithout|\byet\s+to)"
    r"\s+(?:\w+\s+)?$"
)
PASSIVE_BEFORE = r"\b(?:is|are|was|were|been|being|be)\s+(?:\w+ly\s+|also\s+|widely\s+)?$"
# Clause boundaries that stop the search for a cue's subject.
BOUNDARY_MARKS = r"[;:\"“”()\[\]]|\s[-—–]{1,2}\s"
SUBORDINATORS = frozenset(
    "as while whereas after before when because since although though if until unless".split()
)
BOUNDARY_WORDS = SUBORDINATORS | {"that", "but", "whether"}
# "as" that joins no clause: "such as", "as well as", "quoted as saying", "known as".
AS_NOT_BOUNDARY_BEFORE = frozenset("such well quoted described known identified named same so".split())
AS_NOT_BOUNDARY_AFTER = frozenset("well part saying a of".split())
# Credit lines glued to a sentence.
CREDIT_DASH = r"(?:^|\s)(?:--|—|–)\s*(?P<credit>[A-Z][\w .&'’/-]{1,45}?)\s*[.]?\s*$"
CREDIT_PAREN = r"\((?P<credit>[^()]{2,60})\)"
CREDIT_SOURCE = r"\bSources?\s*:\s*(?P<credit>[^.;]{2,80})"
CREDIT_CAPTION = r"^(?:photo|image|picture|file|video|graphic|credit)s?\b"
CREDIT_UNNAMED = r"^(?:agencies|wires|wire\s+services|news\s+agencies|agencies\s+and\s+\w+)$"
CREDIT_FILLER = frozenset("and with agencies agency staff news wires via from reporting by the".split())
DATELINE = (
    r"^\s*[A-Z][A-Z .,'’-]{2,40}(?:\s*\((?P<credit>[^()]{2,40})\))?"
    r"\s*(?:[-—–:]+|,\s*[A-Z][a-z]+\s*[-—–:]+)\s*"
)

# --- Source: speakers ---------------------------------------------------------------------------

# Words that may stand between a speaker and its cue ("the army also said on Monday").
SPEAKER_FILLER = frozenset(
    """a an the its his her their also later earlier separately again previously had has have was
    were is are would will on in at of for from with by to via statement statements report reports
    spokesman spokeswoman spokesperson spokespeople spokesmen official officials chief head
    director leader commander deputy senior top regional local acting monday tuesday wednesday
    thursday friday saturday sunday today yesterday tonight last this week night morning afternoon
    evening month year late early website channel account page telegram who which then further
    however meanwhile just only publicly privately repeatedly regularly immediately quickly
    reportedly recently one""".split()
)
# Capitalised words that are not names.
NOT_NAMES = frozenset(
    """he she it they we i you this that these those there here some many others most all both
    several another each every one two three reports meanwhile however earlier later also but and
    yet still separately in on at the a an its his her their asked speaking according""".split()
)
NAME_PARTICLES = frozenset("al el bin ibn bint abu abd de van von der da du le la".split())
ANAPHORIC_SPEAKER = (
    r"\b(?:he|she|they|it|we|i)",
    r"\b(?:the|its|his|her|their)\s+(?:same\s+)?(?:group'?s?\s+)?(?:group|statement|report|source|sources|agency|"
    r"organi[sz]ation|movement|spokesman|spokeswoman|spokesperson|body|office|channel|broadcaster|newspaper|"
    r"outlet|network|alliance|faction|council|committee|commander|latter|former|communique|two)",
)
ANAPHORIC_AFTER = (
    r"\b(?:him|her|them|it|the\s+same\s+sources?|"
    r"the\s+(?:group|statement|report|source|agency|organi[sz]ation|movement|office))\b"
)
REPORT_NOUNS = r"\b(?:reports?|estimates?|figures|data|tally|count|statement|accounts?)\b"
# A hit followed by these is a modifier ("the government-controlled SCMM"), not the speaker.
MODIFIER_AFTER = (
    r"[-\s]?(?:based|backed|run|controlled|held|led|linked|affiliated|allied|owned|aligned|funded|"
    r"supported|sponsored|dominated|leaning|friendly|brokered|mediated|installed|appointed|allied)\b"
)
MODIFIER_BEFORE = r"\b(?:pro|anti)[-\s]?$"
LOCATIVE_BEFORE = (
    r"\b(?:in|inside|from|across|near|at|into|throughout|within|outside|of|to|over)\s+(?:[\w'’-]+\s+){0,3}$"
)

# --- Frame: the codebook's closed marker lists --------------------------------------------------

PRO_GOVERNMENT_MARKERS = (
    r"terror(?:ist|ists|ism)?(?:\s+(?:organi[sz]ations?|groups?|cells?))?",
    r"gunm[ae]n",
    r"mercenar(?:y|ies)",
    r"takfiris?",
    r"liberat(?:e|ed|es|ing|ion)",
    r"freed",
    r"restor(?:e|ed|es|ing)\s+(?:full\s+)?(?:security|(?:stability|calm)\s+and\s+security)",
    r"(?:eliminat|neutrali[sz])(?:e|ed|es|ing)",
    r"(?:foreign|external|western|zionist|american|us)[-\s]+(?:backed\s+)?conspirac(?:y|ies)",
    r"conspirac(?:y|ies)\s+against\s+(?:syria|the\s+country|the\s+state|the\s+nation)",
)
PRO_OPPOSITION_MARKERS = (
    r"regime",
    r"assad'?s?\s+militias?",
    r"revolutionar(?:y|ies)",
    r"massacr(?:e|es|ed|ing)",
    r"war\s+crimes?",
    r"crimes\s+against\s+humanity",
    r"criminal(?:s|ity)?",
)
# Charges count only as the writer's own: not inside reported speech, not against third parties.
CHARGE_MARKERS = r"massacr|war\s+crime|crimes\s+against|criminal"
CHARGE_REPORTED_BY = (
    r"\b(?:said|says|told|claimed|claims|alleged|alleges|accused|accuses|accusing|charged|blamed|"
    r"described|called\s+it|called\s+the|branded|reported|according\s+to|denied|denies)\b"
)
# A criminal/crimes charge must name the state side; these name it.
STATE_SIDE = (
    r"\b(?:regime|assad|government|army|troops|soldiers|military|armed\s+forces|security\s+forces|police|"
    r"russian?|iranian?|hezbollah|militias?|junta|air\s+force|warplanes|jets|aircraft|helicopters?|"
    r"barrel\s+bombs?|state)\b"
)
# Armed groups whose being called terrorists is not a marker, unless the state side fights them.
NAMED_TERROR_GROUPS = (
    r"\b(?:IS|ISIS|ISIL|Daesh|Daech|Islamic\s+State|al[-\s]?Qa'?e?ida|al[-\s]?Qaeda|Qaeda|Nusra|"
    r"Fateh\s+al[-\s]?Sham|AQAP|AQIM)\b"
)
GOVERNMENT_OPERATION = (
    r"\b(?:army|troops|soldiers|government\s+forces|armed\s+forces|military|air\s+force|warplanes|"
    r"units|security\s+forces|police|russian\s+(?:jets|warplanes|aircraft|forces)|hezbollah|syrian\s+arab\s+army)\b"
    r"[^.;]{0,80}?\b(?:eliminat\w*|neutrali[sz]\w*|kill\w*|destroy\w*|target\w*|struck|strike\w*|pound\w*|"
    r"shell\w*|attack\w*|clash\w*|repel\w*|thwart\w*|foil\w*|ambush\w*|captur\w*|arrest\w*|dismantl\w*|"
    r"pursu\w*|crush\w*|defeat\w*|liberat\w*|advanc\w*|fight\w*|battl\w*)"
)
# Distancing before a marker cancels it: "so-called", "what it called", "claimed to be".
DISTANCING_BEFORE = (
    r"so[-\s]called\s+(?:\S+\s+){0,2}$",
    r"\bwhat\s+(?:\S+\s+){1,3}(?:call(?:s|ed)?|describ(?:es|ed)\s+as|term(?:s|ed)?|dub(?:s|bed)?|"
    r"label(?:s|l?ed)?|brand(?:s|ed)?)\s+(?:\S+\s+){0,2}$",
    r"\b(?:claim(?:s|ed|ing)?|purport(?:s|ed|ing)?|alleged(?:ly)?)\s+to\s+be\s+(?:\S+\s+){0,2}$",
    r"\b(?:call(?:s|ed|ing)?|brand(?:s|ed|ing)?|label(?:s|l?ed|l?ing)?|dub(?:s|bed|bing)?|term(?:s|ed|ing)?)\s+"
    r"(?:them|him|her|it|us|the\s+\w+)\s+(?:as\s+)?$",
    r"\bdescrib(?:es|ed|ing)\s+(?:\S+\s+){0,2}as\s+$",
)
DISTANCING_CHARGE_BEFORE = r"\b(?:alleged|purported|apparent|possible|suspected)\s+(?:\S+\s+)?$"
# Names that contain marker words ("Revolutionary Guards", "Tigray People's Liberation Front").
MARKER_IN_NAME = r"^(?:revolutionar|liberat|criminal)"
NOT_MARKER_CONTEXTS = (
    r"(?:counter|anti)[-\s]?terror\w*",
    r"war\s+on\s+terror\w*",
    r"terror(?:ism|ist)?\s+(?:charges?|court|law|laws|list|designation|financing|watch\s*list)",
    r"designat\w+\s+(?:\w+\s+){0,5}(?:a\s+|as\s+a\s+)?terror\w*",
    r"regime\s+change",
    r"(?:sanctions?|visa|cease-?fire|truce|non-?proliferation|inspections?|legal|tax|trade|export|control|"
    r"monitoring|verification|treaty|safeguards|customs|currency|exchange[-\s]rate)\s+regime",
    r"(?:israeli|zionist|turkish|saudi|american|u\.?s\.?|western|emirati|bahraini|french|british|iraqi)\s+regime",
    r"regime\s+(?:in|of)\s+(?:tel\s+aviv|ankara|riyadh|washington|israel|turkey)",
    r"(?:was|were|been|be|being|get|got)\s+freed",
    r"freed\s+(?:\w+\s+){0,2}(?:hostages?|prisoners?|detainees?|captives?|abductees?|kidnapped|journalists?|"
    r"aid\s+workers?|nuns|soldiers|women|children|people|civilians|him|her|them|men|man|woman|students|"
    r"from\s+(?:prison|captivity|detention|jail))",
    r"(?:wagner|russian)\s+mercenar\w*",
    r"mercenar\w*\s+(?:from\s+)?(?:the\s+)?wagner",
    r"criminal\s+(?:court|investigation|case|cases|charges?|code|justice|proceedings|gangs?|networks?|record)",
)
# What "eliminated"/"neutralized" must hit to be a marker: fighters, not a threat or an arsenal.
ELIMINATED_TARGET = (
    r"\s+(?:\S+\s+){0,5}?(?:terror\w*|militants?|gunm[ae]n|fighters?|insurgents?|jihadists?|rebels?|"
    r"members?|mercenar\w*|takfiri\w*|elements?|dozens|scores|\d+)\b"
)
HUMANITARIAN_TERMS = (
    r"civilians?", r"non-?combatants", r"displace(?:d|ment|s)?", r"refugees?", r"idps?",
    r"humanitarian", r"(?:aid|relief)\s+(?:convoys?|deliver\w*|workers?|agencies|groups?|supplies|access|trucks?)",
    r"aid", r"relief", r"hospitals?", r"clinics?", r"health\s+(?:facilit\w+|cent(?:re|er)s?|workers?|care)",
    r"medical", r"schools?", r"schoolchildren", r"children", r"child", r"kids", r"infants?", r"babies", r"women",
    r"families", r"evacuat\w*", r"famine", r"starv\w*", r"hunger", r"malnutrition", r"malnourished",
    r"shelters?", r"homeless", r"food\s+(?:shortages?|insecurity|supplies|aid)", r"medicines?", r"residential",
    r"de-?escalat\w*", r"protect\s+(?:the\s+)?(?:population|people|residents)",
    r"(?:thousands|hundreds|families|residents|people|civilians)\s+(?:\w+\s+){0,3}(?:fled|fleeing|flee)",
    r"(?:urg\w*|call\w*\s+(?:for|on)|appeal\w*|demand\w*|plea\w*|press\w*\s+for|push\w*\s+for)\s+(?:\w+\s+){0,3}"
    r"(?:end|halt|stop|cessation|ceasefire|cease-fire|truce|restraint|calm|de-?escalat\w*)\b",
)
NOT_HUMANITARIAN_CONTEXTS = (
    r"military\s+(?:aid|assistance|relief)",
    r"civilian\s+(?:rule|government|leaders?|administration|authorities|politicians|transition|cabinet|"
    r"prime\s+minister|component|wing|-led)",
    r"(?:medical|hospital)\s+sources?",
    r"(?:soldiers|fighters|combatants|troops|militants)\s+and\s+civilians",
    r"civilians\s+and\s+(?:soldiers|fighters|combatants|troops|militants)",
    r"evacuat\w*\s+(?:of\s+)?(?:\w+\s+){0,2}(?:rebels|fighters|militants|gunmen|terrorists|insurgents)",
    r"relief\s+(?:force|forces|column|troops)",
    r"(?:aid|relief|humanitarian|medical)\s+(?:groups?|agency|agencies|organi[sz]ations?|charity|officials?|chief)"
    r"(?=\s+(?:\w+\s+)?(?:said|says|told|warned|reported|added|stated|announced|noted))",
    r"aid\s+(?:to|for)\s+(?:the\s+)?(?:rebels|army|military|fighters|opposition\s+fighters)",
)
TOLL_WORDS = r"\b(?:kill(?:ed|ing|s)?|dead|deaths?|died|death\s+toll|toll|wounded|injured)\b"


def _any(patterns: Sequence[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


def _words(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b", re.IGNORECASE)


_STRONG = _words(STRONG_SPEECH_VERBS)
_WEAK = _words(WEAK_SPEECH_VERBS)
_SPEAKER_AFTER = _words(SPEAKER_AFTER_CUES)
_ORIGIN = _words(ORIGIN_CUES)
_RELAY = _words(RELAY_CUES)
_QUOTED_AS = re.compile(r"\b" + QUOTED_AS_SAYING + r"\b", re.IGNORECASE)
_WAS_QUOTED = re.compile(r"\b" + WAS_QUOTED_AS_SAYING + r"\b", re.IGNORECASE)
_IN_STATEMENT = re.compile(r"\b" + IN_A_STATEMENT + r"\b", re.IGNORECASE)
_FOOTAGE = re.compile(r"\b" + FOOTAGE_SHOWED, re.IGNORECASE)
_UNNAMED = _words(UNNAMED_REPORT_CUES)
_NON_SPEECH = _words(NON_SPEECH_CONTEXTS)
_NEGATION = re.compile(NEGATION_BEFORE, re.IGNORECASE)
_PASSIVE = re.compile(PASSIVE_BEFORE, re.IGNORECASE)
_BOUNDARY_MARK = re.compile(BOUNDARY_MARKS)
_BOUNDARY_WORD = re.compile(r"\b(?:" + "|".join(sorted(BOUNDARY_WORDS)) + r")\b", re.IGNORECASE)
_CREDIT_DASH = re.compile(CREDIT_DASH)
_CREDIT_PAREN = re.compile(CREDIT_PAREN)
_CREDIT_SOURCE = re.compile(CREDIT_SOURCE)
_CREDIT_CAPTION = re.compile(CREDIT_CAPTION, re.IGNORECASE)
_CREDIT_UNNAMED = re.compile(CREDIT_UNNAMED, re.IGNORECASE)
_DATELINE = re.compile(DATELINE)
_ANAPHOR_END = re.compile(r"(?:" + "|".join(ANAPHORIC_SPEAKER) + r")\W*$", re.IGNORECASE)
_ANAPHOR_AFTER = re.compile(ANAPHORIC_AFTER, re.IGNORECASE)
_REPORT_NOUNS = re.compile(REPORT_NOUNS, re.IGNORECASE)
_MODIFIER_AFTER = re.compile(MODIFIER_AFTER, re.IGNORECASE)
_MODIFIER_BEFORE = re.compile(MODIFIER_BEFORE, re.IGNORECASE)
_LOCATIVE_BEFORE = re.compile(LOCATIVE_BEFORE, re.IGNORECASE)
_TOKEN = re.compile(r"[\w'’.\-]+")
_QUOTATION = re.compile(r"[\"“](?P<quote>[^\"“”]{2,}?)[\"”]")

_PRO_GOV = _words(PRO_GOVERNMENT_MARKERS)
_PRO_OPP = _words(PRO_OPPOSITION_MARKERS)
_CHARGE = re.compile(CHARGE_MARKERS, re.IGNORECASE)
_CHARGE_REPORTED = re.compile(CHARGE_REPORTED_BY, re.IGNORECASE)
_STATE_SIDE = re.compile(STATE_SIDE, re.IGNORECASE)
_NAMED_TERROR = re.compile(NAMED_TERROR_GROUPS)
_GOV_OPERATION = re.compile(GOVERNMENT_OPERATION, re.IGNORECASE)
_DISTANCING = _any(DISTANCING_BEFORE)
_DISTANCING_CHARGE = re.compile(DISTANCING_CHARGE_BEFORE, re.IGNORECASE)
_MARKER_IN_NAME = re.compile(MARKER_IN_NAME, re.IGNORECASE)
_NOT_MARKER = _words(NOT_MARKER_CONTEXTS)
_ELIMINATED_TARGET = re.compile(ELIMINATED_TARGET, re.IGNORECASE)
_HUMANITARIAN = _words(HUMANITARIAN_TERMS)
_NOT_HUMANITARIAN = _words(NOT_HUMANITARIAN_CONTEXTS)
_TOLL = re.compile(TOLL_WORDS, re.IGNORECASE)
_CIVILIAN = re.compile(r"\bcivilians?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence, with offsets into the sentence text given to the tagger.

    ``kind`` is "cue" (an attribution cue, or a civilian-focus word for the frame), "source"
    (the speaker span), "marker" (a loaded word of the frame lists) or "carry_over" (the span
    that takes an earlier sentence's source, such as "he" or "reportedly").
    """

    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class RuleResult:
    """A label with the evidence that decided it; ``normalized_source`` names the speaker."""

    label: str
    evidence: tuple[Evidence, ...] = ()
    normalized_source: str | None = None


@lru_cache(maxsize=1)
def _default_gazetteer() -> Gazetteer:
    return Gazetteer.load()


def _evidence(kind: str, text: str, start: int, end: int) -> Evidence:
    return Evidence(kind, text[start:end], start, end)


# --- Source tagger ------------------------------------------------------------------------------


@dataclass
class _Speaker:
    """How a cue's speaker resolved: a gazetteer hit, a bare name, an anaphor or nothing named."""

    how: str  # "entry" | "name" | "anaphor" | "unnamed"
    start: int
    end: int
    match: SourceMatch | None = None


@dataclass(frozen=True)
class _Cue:
    """An attribution cue; ``speaker_at`` is where a speaker named after it starts, if known."""

    kind: str  # "strong" | "weak" | "after" | "origin" | "quoted_as" | "was_quoted" | "relay" | ...
    start: int
    end: int
    speaker_at: int | None = None


# Cues whose speaker follows them: the candidate kind they make and how far to look (tokens).
_SPEAKER_AFTER_KINDS = {
    "after": ("speech", 12),
    "origin": ("origin", 10),
    "quoted_as": ("origin", 14),
    "relay": ("relay", 10),
}
# Cues that open a clause of reported content: a cue inside it is embedded in theirs.
_CONTENT_CUE_KINDS = ("strong", "weak", "was_quoted", "quoted_as")


@dataclass
class _Candidate:
    """One attribution found in a sentence, before the sentence's winner is chosen."""

    kind: str  # "speech" | "origin" | "unnamed" | "relay" | "statement"
    cue_start: int
    cue_end: int
    speaker: _Speaker
    status: str = "main"  # "main" | "subordinate" | "embedded"
    trailing: bool = False


class SourceRuleTagger:
    """Tags each sentence of one article with a codebook source label and its evidence.

    Args:
        gazetteer: resolves speaker spans to labels; the default gazetteer when None.
    """

    def __init__(self, gazetteer: Gazetteer | None = None):
        self.gazetteer = gazetteer if gazetteer is not None else _default_gazetteer()

    def tag(self, sentences: Sequence[str]) -> list[RuleResult]:
        """Label the sentences of one article, in order; attribution carries across them.

        Example:
            >>> tagger = SourceRuleTagger()
            >>> [r.label for r in tagger.tag(["Gen Viktor Kupchishin said the base was hit.", "He said 3 died."])]
            ['government', 'government']
        """
        results: list[RuleResult] = []
        unattributed_quotes: dict[int, Evidence] = {}
        for index, sentence in enumerate(sentences):
            result, quote = self._tag_sentence(sentence, results)
            results.append(result)
            if quote is not None:
                unattributed_quotes[index] = quote
        for index, quote in unattributed_quotes.items():
            if index + 1 < len(results) and self._is_direct(results[index + 1]):
                results[index] = self._carried(results[index + 1], (quote,))
        return results

    # A sentence ------------------------------------------------------------------------------

    def _tag_sentence(self, text: str, earlier: list[RuleResult]) -> tuple[RuleResult, Evidence | None]:
        """The sentence's result, and its quotation when only the next sentence can attribute it."""
        matches = self.gazetteer.find(text)
        dateline = _DATELINE.match(text)
        body_start = dateline.end() if dateline else 0
        candidates = self._candidates(text, matches, body_start)
        chosen = self._choose(candidates)
        if chosen is not None:
            return self._resolve(text, chosen, earlier), None
        credit = self._credit(text, matches, dateline)
        if credit is not None:
            return credit, None
        quote = _QUOTATION.search(text)
        if quote and len(quote.group("quote").split()) >= 3:
            span = _evidence("carry_over", text, quote.start(), quote.end())
            previous = self._recent(earlier, lookback=1)
            if previous is not None:
                return self._carried(previous, (span,)), None
            return RuleResult("none"), span
        return RuleResult("none"), None

    def _candidates(self, text: str, matches: list[SourceMatch], body_start: int) -> list[_Candidate]:
        candidates = []
        previous_cue_end: int | None = None
        for cue in self._cues(text):
            candidate: _Candidate | None
            if cue.kind in _SPEAKER_AFTER_KINDS:
                candidate_kind, limit = _SPEAKER_AFTER_KINDS[cue.kind]
                at = cue.speaker_at if cue.speaker_at is not None else cue.end
                speaker = self._speaker_after(text, matches, at, limit=limit)
                candidate = _Candidate(candidate_kind, cue.start, cue.end, speaker) if speaker else None
            elif cue.kind == "unnamed":
                candidate = _Candidate("unnamed", cue.start, cue.end, _Speaker("unnamed", cue.start, cue.end))
            else:
                candidate = self._subject_candidate(text, matches, cue, body_start, previous_cue_end)
            if candidate is not None:
                candidates.append(candidate)
            if cue.kind in _CONTENT_CUE_KINDS:
                previous_cue_end = cue.end
        return candidates

    def _cues(self, text: str) -> list[_Cue]:
        """The sentence's cues in text order; of overlapping ones the earliest, then longest, wins."""
        found = [_Cue("quoted_as", m.start(), m.end(), m.start("quoted")) for m in _QUOTED_AS.finditer(text)]
        found += [_Cue("was_quoted", m.start(), m.end()) for m in _WAS_QUOTED.finditer(text)]
        for kind, pattern in (
            ("unnamed", _UNNAMED),
            ("origin", _ORIGIN),
            ("relay", _RELAY),
            ("after", _SPEAKER_AFTER),
            ("footage", _FOOTAGE),
            ("statement", _IN_STATEMENT),
            ("strong", _STRONG),
            ("weak", _WEAK),
        ):
            found += [_Cue(kind, m.start(), m.end()) for m in pattern.finditer(text)]
        found.sort(key=lambda c: (c.start, c.start - c.end))
        cues: list[_Cue] = []
        for cue in found:
            if cues and cue.start < cues[-1].end:
                continue
            if cue.kind in ("strong", "weak") and not self._is_speech(text, cue.start, cue.end):
                continue
            cues.append(cue)
        return cues

    @staticmethod
    def _is_speech(text: str, start: int, end: int) -> bool:
        """False for a negated cue ("did not say") or a cue word used otherwise ("claimed lives")."""
        before = text[max(0, start - 40) : start]
        if _NEGATION.search(before):
            return False
        for m in _NON_SPEECH.finditer(text, max(0, start - 30), min(len(text), end + 50)):
            if m.start() <= start < m.end():
                return False
        return True

    def _subject_candidate(
        self, text: str, matches: list[SourceMatch], cue: _Cue, body_start: int, previous_cue_end: int | None
    ) -> _Candidate | None:
        """The attribution of a cue whose speaker is its subject, or of a passive with its agent."""
        kind, start, end = cue.kind, cue.start, cue.end
        window_start, boundary = self._window_start(text, start, body_start, previous_cue_end)
        trailing = len(_TOKEN.findall(text[end:])) <= 5
        status = "main"
        if boundary == "embedded":
            status = "embedded"
        elif boundary in SUBORDINATORS and len(_TOKEN.findall(text[:window_start])) > 3:
            # "Families fled after a clinic was hit, the monitor said": the comma closed the
            # subordinate clause and the reporting clause at the end is the main one.
            closed = trailing and "," in text[window_start:start]
            status = "main" if closed else "subordinate"
        word = text[start:end].split()[0].lower()
        passive = kind in ("strong", "weak") and _PASSIVE.search(text[max(0, start - 30) : start])
        if passive:
            agent = re.match(r"\s+(?:\w+\s+){0,2}?by\b", text[end : end + 40])
            if agent:
                speaker = self._speaker_after(text, matches, end + agent.end(), limit=10)
                return _Candidate("speech", start, end, speaker, status) if speaker else None
            if word in UNNAMED_PASSIVE_VERBS:
                return _Candidate("unnamed", start, end, _Speaker("unnamed", start, end), status)
            return None
        if kind == "footage":
            hits = [m for m in matches if start <= m.start < end]
            speaker = _Speaker("entry", hits[0].start, hits[0].end, hits[0]) if hits else None
            speaker = speaker or self._speaker_before(text, matches, window_start, start, allow_subject=False)
            speaker = speaker or _Speaker("unnamed", start, end)
            return _Candidate("speech", start, end, speaker, status)
        speaker = self._speaker_before(text, matches, window_start, start, allow_subject=kind == "strong")
        if speaker is None and kind in ("strong", "statement") and self._opens_clause(text, window_start, start):
            speaker = self._speaker_after(text, matches, end, limit=6, named_only=True)
        if speaker is None:
            return None
        trailing = trailing and len(_TOKEN.findall(text[: speaker.start])) > 3
        candidate_kind = "statement" if kind == "statement" else "speech"
        return _Candidate(candidate_kind, start, end, speaker, status, trailing)

    @staticmethod
    def _opens_clause(text: str, window_start: int, cue_start: int) -> bool:
        """True when nothing but punctuation stands between the clause start and the cue."""
        return not _TOKEN.search(text, window_start, cue_start)

    @staticmethod
    def _window_start(text: str, cue_start: int, body_start: int, previous_cue_end: int | None) -> tuple[int, str]:
        """Where the cue's clause starts, and what opens it: a word, "mark", "embedded" or "start".

        A clause that starts right after an earlier speech cue is that cue's content: embedded.
        """
        if previous_cue_end is not None and previous_cue_end > body_start:
            floor, opener = previous_cue_end, "embedded"
        else:
            floor, opener = body_start, "start"
        start = floor
        for m in _BOUNDARY_MARK.finditer(text, floor, cue_start):
            start, opener = m.end(), "mark"
        for m in _BOUNDARY_WORD.finditer(text, floor, cue_start):
            if m.end() <= start:
                continue
            word = m.group().lower()
            if word == "as" and not SourceRuleTagger._as_opens_clause(text, m.start(), m.end()):
                continue
            start, opener = m.end(), "embedded" if word == "that" else word
        return start, opener

    @staticmethod
    def _as_opens_clause(text: str, start: int, end: int) -> bool:
        before = text[:start].split()
        after = text[end:].split()
        if before and before[-1].lower().strip(",") in AS_NOT_BOUNDARY_BEFORE:
            return False
        return not (after and after[0].lower().strip(",") in AS_NOT_BOUNDARY_AFTER)

    # Speakers --------------------------------------------------------------------------------

    def _usable(self, text: str, match: SourceMatch) -> bool:
        """False for hits that modify another noun or name a place rather than a speaker."""
        if _MODIFIER_AFTER.match(text, match.end):
            return False
        if _MODIFIER_BEFORE.search(text[max(0, match.start - 6) : match.start]):
            return False
        place = match.entry.kind == "generic" and match.entry.label == "government"
        if place and not any(w[:1].islower() for w in match.alias.split()):
            return not _LOCATIVE_BEFORE.search(text[max(0, match.start - 40) : match.start])
        return True

    def _speaker_before(
        self, text: str, matches: list[SourceMatch], window_start: int, cue_start: int, allow_subject: bool
    ) -> _Speaker | None:
        """The speaker of a cue whose subject precedes it.

        Scans back from the cue over filler words and capitalised name parts: the first gazetteer
        hit, anaphor or name found is the speaker. Failing that, a strong cue takes the hit that
        opens its clause ("Jaish al-Ezzat, one of the main rebel groups, said").
        """
        window = [m for m in matches if window_start <= m.start and m.end <= cue_start]
        in_window = [m for m in window if self._usable(text, m)]
        tokens = [t for t in _TOKEN.finditer(text, window_start, cue_start)]
        name_tokens: list[re.Match[str]] = []
        for token in reversed(tokens[-12:]):
            hit = next((m for m in window if m.start <= token.start() < m.end), None)
            if hit is not None:
                if hit not in in_window:
                    break
                return _Speaker("entry", hit.start, hit.end, hit)
            if not name_tokens:
                anaphor = _ANAPHOR_END.search(text, window_start, token.end())
                if anaphor and anaphor.start() >= token.start() - 40:
                    return _Speaker("anaphor", anaphor.start(), token.end())
            if token.group().strip(".'’-").lower() in SPEAKER_FILLER:
                continue
            if self._is_name_part(token.group()):
                name_tokens.append(token)
                continue
            break
        if name_tokens:
            return _Speaker("name", name_tokens[-1].start(), name_tokens[0].end())
        if allow_subject:
            for m in in_window:
                lead = [t.group().strip(".'’-") for t in _TOKEN.finditer(text, window_start, m.start)]
                if all(w.lower() in SPEAKER_FILLER or w[:1].isupper() for w in lead):
                    return _Speaker("entry", m.start, m.end, m)
                break
        return None

    @staticmethod
    def _is_name_part(token: str) -> bool:
        """True for a capitalised word or an Arabic name particle ("al-Halabi", "bin")."""
        word = token.strip(".'’-")
        lower = word.lower()
        if not word or lower in NOT_NAMES:
            return False
        particle = lower in NAME_PARTICLES or re.match(r"(?:al|el|ad|as|ash|ar|an|at|az)-\w", word)
        return word[:1].isupper() or bool(particle)

    def _speaker_after(
        self, text: str, matches: list[SourceMatch], start: int, limit: int, named_only: bool = False
    ) -> _Speaker | None:
        """The speaker named after a cue ("according to X", "citing X", "said X")."""
        end = start
        for i, token in enumerate(_TOKEN.finditer(text, start)):
            if i >= limit:
                break
            gap = text[end : token.start()]
            if i and re.search(r"[.,;:\"“”()]", gap):
                break
            if token.group().lower() in ("that", "and", "as", "who", "which", "while", "when"):
                break
            end = token.end()
        span = text[start:end]
        anaphor = _ANAPHOR_AFTER.search(span)
        if anaphor and not named_only and not span[: anaphor.start()].strip():
            return _Speaker("anaphor", start + anaphor.start(), start + anaphor.end())
        hits = [m for m in matches if start <= m.start < end and self._usable(text, m)]
        for i, hit in enumerate(hits):
            possessive = re.match(r"['’]?s\b", text[hit.end : hit.end + 2])
            if possessive and i + 1 < len(hits):
                continue
            return _Speaker("entry", hit.start, hit.end, hit)
        if anaphor and not named_only:
            return _Speaker("anaphor", start + anaphor.start(), start + anaphor.end())
        names = [t for t in _TOKEN.finditer(text, start, end) if self._is_name_part(t.group())]
        lead = _TOKEN.match(text, start + len(span) - len(span.lstrip()))
        if names and lead is not None and (lead.start() == names[0].start() or lead.group().lower() in ("the", "a")):
            run = [names[0]]
            for t in names[1:]:
                if text[run[-1].end() : t.start()].strip():
                    break
                run.append(t)
            return _Speaker("name", run[0].start(), run[-1].end())
        if not named_only and _REPORT_NOUNS.search(span):
            return _Speaker("unnamed", start, end)
        return None

    # Choosing and resolving ------------------------------------------------------------------

    @staticmethod
    def _choose(candidates: list[_Candidate]) -> _Candidate | None:
        """The sentence's attribution: the origin named for the claim, else the main clause's.

        A main clause whose speaker is an outlet yields to a body whose speech act it relays
        (codebook source rule 8); unnamed reports and relays ("carried by") come last.
        """
        origins = [c for c in candidates if c.kind == "origin" and c.speaker.how != "unnamed"]
        if origins:
            return origins[0]
        named = [c for c in candidates if c.kind == "speech" and c.speaker.how != "unnamed"]
        main = [c for c in named if c.status == "main"]
        if main:
            trailing = [c for c in main if c.trailing]
            chosen = trailing[-1] if trailing else main[0]
            if chosen.speaker.match is not None and chosen.speaker.match.entry.kind in ("outlet", "media"):
                relayed = [
                    c
                    for c in named
                    if c.status == "embedded"
                    and c.cue_start > chosen.cue_start
                    and c.speaker.match is not None
                    and c.speaker.match.entry.kind not in ("outlet", "media")
                ]
                if relayed:
                    return relayed[0]
            return chosen
        embedded = [c for c in named if c.status == "embedded"]
        if embedded:
            return embedded[0]
        for kind in ("unnamed", "speech", "statement", "relay"):
            pool = [c for c in candidates if c.kind == kind and c.status != "subordinate"]
            if pool:
                return pool[0]
        return None

    def _resolve(self, text: str, candidate: _Candidate, earlier: list[RuleResult]) -> RuleResult:
        """The label of the chosen attribution; anaphors and unnamed reports look back for a source."""
        cue = _evidence("cue", text, candidate.cue_start, candidate.cue_end)
        speaker = candidate.speaker
        if speaker.how == "entry" and speaker.match is not None:
            source = _evidence("source", text, speaker.start, speaker.end)
            return RuleResult(speaker.match.entry.label, (cue, source), speaker.match.entry.name)
        if speaker.how == "name":
            source = _evidence("source", text, speaker.start, speaker.end)
            return RuleResult("other", (cue, source), text[speaker.start : speaker.end])
        if speaker.how == "anaphor":
            carry = _evidence("carry_over", text, speaker.start, speaker.end)
            previous = self._recent(earlier, lookback=3)
            if previous is not None:
                return self._carried(previous, (cue, carry))
            return RuleResult("other", (cue, carry))
        carry = _evidence("carry_over", text, candidate.cue_start, candidate.cue_end)
        previous = self._recent(earlier, lookback=1)
        if previous is not None:
            return self._carried(previous, (cue, carry))
        return RuleResult("other", (cue,))

    def _credit(self, text: str, matches: list[SourceMatch], dateline: re.Match[str] | None) -> RuleResult | None:
        """A credit line's source: "-- AFP", "(TRT World and Agencies)", "Source: X", "BEIRUT (AP) -"."""
        spans: list[tuple[int, int, int, int]] = []  # credit text span, whole credit span
        if m := _CREDIT_SOURCE.search(text):
            spans.append((m.start("credit"), m.end("credit"), m.start(), m.end()))
        if m := _CREDIT_DASH.search(text):
            spans.append((m.start("credit"), m.end("credit"), m.start(), m.end()))
        if dateline is not None and dateline.group("credit"):
            spans.append((dateline.start("credit"), dateline.end("credit"), dateline.start(), dateline.end()))
        for m in _CREDIT_PAREN.finditer(text):
            if not text[m.end() :].strip(" .\n\t"):
                spans.append((m.start("credit"), m.end("credit"), m.start(), m.end()))
        for start, end, whole_start, whole_end in spans:
            credit = text[start:end].strip()
            if _CREDIT_CAPTION.match(credit):
                continue
            cue = _evidence("cue", text, whole_start, whole_end)
            hits = [h for h in matches if start <= h.start and h.end <= end]
            if hits and self._credit_is_only(text, start, end, hits):
                source = _evidence("source", text, hits[0].start, hits[0].end)
                return RuleResult(hits[0].entry.label, (cue, source), hits[0].entry.name)
            if _CREDIT_UNNAMED.match(credit):
                return RuleResult("other", (cue,))
        return None

    @staticmethod
    def _credit_is_only(text: str, start: int, end: int, hits: list[SourceMatch]) -> bool:
        """True when a credit names organisations and nothing else ("TRT World and Agencies")."""
        rest = list(text[start:end])
        for hit in hits:
            rest[hit.start - start : hit.end - start] = " " * (hit.end - hit.start)
        words = re.findall(r"\w+", "".join(rest).lower())
        return all(w in CREDIT_FILLER for w in words)

    @staticmethod
    def _is_direct(result: RuleResult) -> bool:
        """True for a sentence that names its own source rather than carrying one over."""
        return result.label != "none" and not any(e.kind == "carry_over" for e in result.evidence)

    @staticmethod
    def _recent(earlier: list[RuleResult], lookback: int) -> RuleResult | None:
        """The latest attributed sentence among the last ``lookback`` ones."""
        for result in reversed(earlier[-lookback:]):
            if result.label != "none":
                return result
        return None

    @staticmethod
    def _carried(previous: RuleResult, evidence: tuple[Evidence, ...]) -> RuleResult:
        return RuleResult(previous.label, evidence, previous.normalized_source)


# --- Frame tagger -------------------------------------------------------------------------------


class FrameRuleTagger:
    """Tags each sentence with a codebook frame from the closed marker lists and civilian focus."""

    def tag(self, sentences: Sequence[str]) -> list[RuleResult]:
        """Label the sentences of one article, in order.

        Example:
            >>> [r.label for r in FrameRuleTagger().tag(["Terrorist groups shelled Aleppo.", "Aid trucks arrived."])]
            ['pro_government', 'humanitarian']
        """
        results = []
        for index, sentence in enumerate(sentences):
            previous = sentences[index - 1] if index else ""
            following = sentences[index + 1] if index + 1 < len(sentences) else ""
            results.append(self._tag_sentence(sentence, previous, following))
        return results

    def _tag_sentence(self, text: str, previous: str, following: str) -> RuleResult:
        pro_government = self._markers(text, _PRO_GOV, previous)
        pro_opposition = self._markers(text, _PRO_OPP, previous)
        if pro_government and not pro_opposition:
            return RuleResult("pro_government", tuple(pro_government))
        if pro_opposition and not pro_government:
            return RuleResult("pro_opposition", tuple(pro_opposition))
        if pro_government and pro_opposition:
            both = sorted(pro_government + pro_opposition, key=lambda e: e.start)
            return RuleResult("neutral", tuple(both))
        focus = self._civilian_focus(text)
        if not focus and _TOLL.search(text) and self._civilian_toll(previous, following):
            focus = [_evidence("cue", text, m.start(), m.end()) for m in _TOLL.finditer(text)][:1]
        if focus:
            return RuleResult("humanitarian", tuple(focus))
        return RuleResult("neutral")

    def _markers(self, text: str, pattern: re.Pattern[str], previous: str) -> list[Evidence]:
        excluded = [(m.start(), m.end()) for m in _NOT_MARKER.finditer(text)]
        found = []
        for m in pattern.finditer(text):
            if any(s <= m.start() < e for s, e in excluded):
                continue
            if self._in_name(text, m) or self._distanced(text, m):
                continue
            word = m.group().lower()
            if word.startswith("terror") and not self._counts_as_terrorists(text, m, previous):
                continue
            if word.startswith(("eliminat", "neutrali")) and not _ELIMINATED_TARGET.match(text, m.end()):
                continue
            if _CHARGE.match(word) and not self._writer_charge(text, m):
                continue
            found.append(_evidence("marker", text, m.start(), m.end()))
        return found

    @staticmethod
    def _in_name(text: str, m: re.Match[str]) -> bool:
        """True for marker words inside a capitalised name ("Revolutionary Guards")."""
        word = m.group()
        if not word[:1].isupper() or not _MARKER_IN_NAME.match(word):
            return False
        before = text[: m.start()].split()
        after = text[m.end() :].split()
        neighbours = [w for w in (before[-1:] + after[:1]) if w.lower() not in ("of", "for", "the")]
        named_after = len(after) > 1 and after[0].lower() in ("of", "for") and after[1][:1].isupper()
        return named_after or any(w[:1].isupper() for w in neighbours)

    @staticmethod
    def _distanced(text: str, m: re.Match[str]) -> bool:
        before = text[max(0, m.start() - 60) : m.start()]
        if _DISTANCING.search(before):
            return True
        if _CHARGE.match(m.group()) and _DISTANCING_CHARGE.search(before):
            return True
        for quote in _QUOTATION.finditer(text):
            if quote.start() < m.start() and m.end() <= quote.end() and len(quote.group("quote").split()) <= 3:
                return True
        return False

    @staticmethod
    def _counts_as_terrorists(text: str, m: re.Match[str], previous: str) -> bool:
        """False when "terrorists" names IS, al-Qaeda or Nusra alone and the state is not fighting it."""
        nearby = text[max(0, m.start() - 40) : m.end() + 50]
        refers_back = re.match(r"the\s+$", text[max(0, m.start() - 4) : m.start()], re.IGNORECASE)
        named = _NAMED_TERROR.search(nearby) or (refers_back and _NAMED_TERROR.search(previous))
        return not named or bool(_GOV_OPERATION.search(text))

    @staticmethod
    def _writer_charge(text: str, m: re.Match[str]) -> bool:
        """A charge counts only as the writer's own, and against the state side."""
        if _CHARGE_REPORTED.search(text):
            return False
        if m.group().lower().startswith("criminal"):
            return bool(_STATE_SIDE.search(text[m.end() : m.end() + 40]))
        if _NAMED_TERROR.search(text) and not _STATE_SIDE.search(text):
            return False
        return True

    @staticmethod
    def _civilian_focus(text: str) -> list[Evidence]:
        excluded = [(m.start(), m.end()) for m in _NOT_HUMANITARIAN.finditer(text)]
        return [
            _evidence("cue", text, m.start(), m.end())
            for m in _HUMANITARIAN.finditer(text)
            if not any(s <= m.start() < e for s, e in excluded) and not FrameRuleTagger._capitalised_name(text, m)
        ]

    @staticmethod
    def _capitalised_name(text: str, m: re.Match[str]) -> bool:
        """True for focus words inside names ("Save the Children", "Women's Protection Units")."""
        if not m.group()[:1].isupper() or m.start() == 0:
            return False
        before = text[: m.start()].rstrip().split()
        after = text[m.end() :].split()
        return bool(before and before[-1][:1].isupper()) or bool(after and after[0][:1].isupper())

    @staticmethod
    def _civilian_toll(previous: str, following: str) -> bool:
        """True when a neighbouring sentence identifies the dead as civilians."""
        return any(_CIVILIAN.search(s) and _TOLL.search(s) for s in (previous, following))
