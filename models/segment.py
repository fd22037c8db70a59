"""Sentence segmentation that keeps character offsets into the caller's text.

Scraped news (FA-KES) lost most commas and apostrophes, glues headlines and datelines to the
first sentence and sometimes drops the full stop. The codebook's unit is "one sentence as the
segmenter gives it", with glued headlines kept as part of it, so this splitter only breaks at
clear sentence ends and at line breaks (and the tab runs scrapes leave for them), and cuts run-ons
that no sentence end closes. A full stop after an abbreviation or initial is no sentence end, except
after U.S./U.N./a.m./p.m./etc. when a typical sentence opener ("The", "He", ...) follows; a bare list
number ("2.") stays with its item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS = frozenset(
    """mr mrs ms dr gen lt col maj capt sgt st prof rev sen rep gov pres jr sr no vs etc al
    jan feb mar apr jun jul aug sep sept oct nov dec u.s u.n u.k e.g i.e inc ltd co corp
    dept est fig approx mt ft intl brig adm cmdr cpl pvt govt""".split()
)
# Abbreviations that often close a sentence too ("... backed by the U.S. The talks ..."):
# after these a full stop still ends the sentence when a word that typically opens one follows.
# a.m./p.m. only end a sentence that way ("at 6:30 a.m. (local time) the convoy ...").
SENTENCE_FINAL_ABBREVIATIONS = frozenset("u.s u.n u.k a.m p.m etc inc ltd corp jr sr".split())
SENTENCE_OPENERS = frozenset(
    """The A An He She It They We I This That These Those There But However Meanwhile
    Earlier Later Also In On At According His Her Its Their Our""".split()
)
MAX_SENTENCE_WORDS = 90

# A candidate end: terminal punctuation, optional closing quotes/brackets, then white space.
# (Not inside a run of terminal punctuation: a run that cannot end a sentence is tried once, not
# once per character, which kept a long run of dots quadratic.)
_END = re.compile(r"(?<![.!?])[.!?]+[\"'”’)\]]*(?=\s)")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9]")
_NEXT_WORD = re.compile(r"\s+[\"'“‘(\[]?([A-Za-z]+)\b")
# Line breaks, and the tab runs that scraped pages leave where a paragraph or caption ended.
_LINE_BREAK = re.compile(r"[\n\r\t\v\f\x85\u2028\u2029]\s*")
# A list number standing alone before its item ("1. Ghouta: On August ..."): stays with it.
_ENUMERATOR = re.compile(r"\d{1,2}\.")
_SPACE = re.compile(r"\s*")


@dataclass(frozen=True)
class Span:
    """One sentence: its text and its [start, end) character offsets into the source text."""

    start: int
    end: int
    text: str


def _abbreviation(text: str, end: int) -> str | None:
    """The lower-cased abbreviation or initial closed by the full stop at ``end - 1``, if any."""
    word = re.search(r"([A-Za-z.]+)\.$", text[max(0, end - 12) : end])
    if word is None:
        return None
    token = word.group(1).lower()
    if token in ABBREVIATIONS or token in SENTENCE_FINAL_ABBREVIATIONS or len(token) == 1:
        return token
    return None


def _sentence_ends(text: str) -> list[int]:
    """Offsets where a sentence ends: after its closing punctuation, or at a line break."""
    line_breaks = list(_LINE_BREAK.finditer(text))
    ends = []
    piece_start = _SPACE.match(text).end()  # first character of the sentence being read
    next_break = 0
    for match in _END.finditer(text):
        end = match.end()
        while next_break < len(line_breaks) and line_breaks[next_break].start() < match.start():
            piece_start = max(piece_start, line_breaks[next_break].end())
            next_break += 1
        if match.group().startswith(".") and len(match.group().rstrip("\"'”’)]")) == 1:
            token = _abbreviation(text, match.start() + 1)
            if token is not None:
                if token not in SENTENCE_FINAL_ABBREVIATIONS:
                    continue
                opener = _NEXT_WORD.match(text, end)
                if opener is None or opener.group(1) not in SENTENCE_OPENERS:
                    continue
            if _ENUMERATOR.fullmatch(text, piece_start, end):
                continue
        if _NEXT_START.match(text, end):
            ends.append(end)
            piece_start = _SPACE.match(text, end).end()
    ends.extend(m.start() for m in line_breaks)
    return sorted(set(ends))


def _cut_run_on(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a span longer than MAX_SENTENCE_WORDS at word boundaries into near-equal parts."""
    words = list(re.finditer(r"\S+", text[start:end]))
    if len(words) <= MAX_SENTENCE_WORDS:
        return [(start, end)]
    n_parts = -(-len(words) // MAX_SENTENCE_WORDS)
    size = -(-len(words) // n_parts)
    bounds = []
    for i in range(0, len(words), size):
        chunk = words[i : i + size]
        bounds.append((start + chunk[0].start(), start + chunk[-1].end()))
    return bounds


def split_sentences(text: str) -> list[Span]:
    """Split ``text`` into sentences with offsets; white space between sentences is dropped.

    Example:
        >>> [s.text for s in split_sentences("Mr. Smith said so. Then he left.")]
        ['Mr. Smith said so.', 'Then he left.']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    spans = []
    cursor = 0
    for boundary in [*_sentence_ends(text), len(text)]:
        piece = text[cursor:boundary]
        stripped_start = cursor + len(piece) - len(piece.lstrip())
        stripped_end = cursor + len(piece.rstrip())
        if stripped_end > stripped_start:
            for s, e in _cut_run_on(text, stripped_start, stripped_end):
                spans.append(Span(s, e, text[s:e]))
        cursor = boundary
    return spans
