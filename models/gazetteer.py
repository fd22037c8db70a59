"""The source gazetteer: organisations and speaker roles mapped to the codebook's source labels.

The data lives in ``data/gazetteer/gazetteer.yaml``. Aliases match on word boundaries and
case-insensitively, except aliases that hold an acronym written in capitals ("WHO", "IS fighters",
"AP"): those match only as written, so that the common words they spell ("who", "is") never hit.
Curly apostrophes, dash variants and runs of white space in the text match their plain forms.

Example:
    >>> gazetteer = Gazetteer.load()
    >>> [(m.alias, m.entry.label) for m in gazetteer.find("The Observatory said 12 died.")]
    [('Observatory', 'opposition_monitor')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data/gazetteer/gazetteer.yaml"
LABELS = ("state_media", "government", "opposition_monitor", "un", "armed_group", "ngo", "other")
KINDS = (
    "outlet",
    "agency",
    "ministry",
    "military",
    "official_role",
    "monitor",
    "un_body",
    "armed_group",
    "ngo",
    "party",
    "media",
    "generic",
)
REQUIRED_KEYS = ("name", "label", "aliases", "kind")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader reads the file 10x faster

_ACRONYM = re.compile(r"[A-Z0-9][A-Z0-9.&/-]*")
_CANONICAL_CHARS = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-", "–": "-"})
# How one character of an alias is allowed to appear in the text.
_CHAR_PATTERNS = {" ": r"\s+", "'": "['’‘]", "-": "[-‐‑–]"}


class GazetteerError(ValueError):
    """The gazetteer data is malformed; the message names the offending entry."""


@dataclass(frozen=True)
class GazetteerEntry:
    """One organisation or speaker role and the surface forms that name it."""

    name: str
    label: str
    aliases: tuple[str, ...]
    kind: str
    country: str | None = None


@dataclass(frozen=True)
class SourceMatch:
    """A gazetteer hit: ``text[start:end]`` names ``entry`` through the alias ``alias``."""

    start: int
    end: int
    alias: str
    entry: GazetteerEntry


def is_case_sensitive(alias: str) -> bool:
    """True when a word of ``alias`` is an all-capital acronym such as "WHO", "U.N." or "IS"."""
    return any(_ACRONYM.fullmatch(word) and sum(c.isupper() for c in word) >= 2 for word in alias.split())


def _match_key(surface: str, case_sensitive: bool) -> str:
    canonical = " ".join(surface.translate(_CANONICAL_CHARS).split())
    return canonical if case_sensitive else canonical.lower()


def _trie_pattern(keys: Iterable[str]) -> str:
    """A regex that matches any of ``keys``, trying longer keys first at each position.

    Sharing prefixes keeps the regex fast: a failed first character rules out every alias at
    once, where a flat alternation would try each alias in turn.
    """
    trie: dict[str, dict] = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}
    return _emit(trie)


def _emit(node: dict[str, dict]) -> str:
    branches = [_CHAR_PATTERNS.get(c, re.escape(c)) + _emit(child) for c, child in sorted(node.items()) if c]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body


def _compile(keys: list[str], flags: int) -> re.Pattern[str] | None:
    if not keys:
        return None
    return re.compile(r"(?<!\w)(?:" + _trie_pattern(keys) + r")(?!\w)", flags)


def _entry_from_dict(index: int, raw: Any) -> GazetteerEntry:
    if not isinstance(raw, Mapping):
        raise GazetteerError(f"entry {index}: expected a mapping, got {type(raw).__name__}")
    where = f"entry {index} ({raw.get('name')!r})" if raw.get("name") else f"entry {index}"
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise GazetteerError(f"{where}: missing key(s) {', '.join(missing)}")
    name, label, kind, aliases = raw["name"], raw["label"], raw["kind"], raw["aliases"]
    if not isinstance(name, str) or not name.strip():
        raise GazetteerError(f"{where}: 'name' must be a non-empty string")
    if label not in LABELS:
        raise GazetteerError(f"{where}: unknown label {label!r}; expected one of {', '.join(LABELS)}")
    if kind not in KINDS:
        raise GazetteerError(f"{where}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not isinstance(aliases, list) or not aliases:
        raise GazetteerError(f"{where}: 'aliases' must be a non-empty list")
    if not all(isinstance(a, str) and a.strip() for a in aliases):
        raise GazetteerError(f"{where}: every alias must be a non-empty string")
    country = raw.get("country")
    if country is not None and not isinstance(country, str):
        raise GazetteerError(f"{where}: 'country' must be a string")
    return GazetteerEntry(name=name, label=label, aliases=tuple(aliases), kind=kind, country=country)


class Gazetteer:
    """Source entries with a compiled matcher; build it with :meth:`load`.

    An alias listed under two entries of the same label keeps the first entry; under two
    labels it is an error, because a match could not say which class it names.
    """

    def __init__(self, entries: Iterable[GazetteerEntry], version: int = 1, codebook_version: int | None = None):
        self.entries: tuple[GazetteerEntry, ...] = tuple(entries)
        self.version = version
        self.codebook_version = codebook_version
        self._lookup: dict[bool, dict[str, tuple[str, GazetteerEntry]]] = {False: {}, True: {}}
        names: set[str] = set()
        for entry in self.entries:
            if entry.name in names:
                raise GazetteerError(f"duplicate entry name {entry.name!r}")
            names.add(entry.name)
            for alias in entry.aliases:
                self._add_alias(alias, entry)
        self._patterns = [
            (case_sensitive, pattern)
            for case_sensitive, flags in ((False, re.IGNORECASE), (True, 0))
            if (pattern := _compile(list(self._lookup[case_sensitive]), flags)) is not None
        ]

    def _add_alias(self, alias: str, entry: GazetteerEntry) -> None:
        case_sensitive = is_case_sensitive(alias)
        key = _match_key(alias, case_sensitive)
        table = self._lookup[case_sensitive]
        if key in table:
            earlier = table[key][1]
            if earlier.label != entry.label:
                raise GazetteerError(
                    f"alias {alias!r} names {earlier.name!r} ({earlier.label}) and {entry.name!r} ({entry.label})"
                )
            return
        table[key] = (alias, entry)

    @classmethod
    def load(cls, path: str | Path | Mapping[str, Any] | None = None) -> Gazetteer:
        """Load and validate a gazetteer from a YAML path, an already parsed mapping, or the default file.

        Raises:
            FileNotFoundError: the path does not exist.
            GazetteerError: the data is malformed (missing key, unknown label or kind, an alias
                given to entries of different labels).
        """
        if isinstance(path, Mapping):
            data: Any = path
        elif path is None or isinstance(path, (str, Path)):
            file = Path(path) if path is not None else DEFAULT_PATH
            if not file.is_file():
                raise FileNotFoundError(f"gazetteer file not found: {file}")
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        else:
            raise GazetteerError(f"expected a path or a mapping, got {type(path).__name__}")
        if not isinstance(data, Mapping):
            raise GazetteerError("gazetteer data must be a mapping with 'version' and 'entries'")
        missing = [k for k in ("version", "entries") if k not in data]
        if missing:
            raise GazetteerError(f"gazetteer data: missing key(s) {', '.join(missing)}")
        if not isinstance(data["entries"], list):
            raise GazetteerError("gazetteer data: 'entries' must be a list")
        entries = [_entry_from_dict(i, raw) for i, raw in enumerate(data["entries"])]
        return cls(entries, version=data["version"], codebook_version=data.get("codebook_version"))

    @property
    def labels(self) -> tuple[str, ...]:
        """The source labels that some entry carries, in codebook order."""
        used = {entry.label for entry in self.entries}
        return tuple(label for label in LABELS if label in used)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, text: str) -> list[SourceMatch]:
        """All alias hits in ``text``: leftmost first, the longest alias at each start, none overlapping."""
        nexts = {cs: pattern.search(text) for cs, pattern in self._patterns}
        matches: list[SourceMatch] = []
        position = 0
        while True:
            for case_sensitive, pattern in self._patterns:
                found = nexts[case_sensitive]
                if found is not None and found.start() < position:
                    nexts[case_sensitive] = pattern.search(text, position)
            live = [(m.start(), -m.end(), cs) for cs, m in nexts.items() if m is not None]
            if not live:
                return matches
            start, negative_end, case_sensitive = min(live)
            surface = text[start:-negative_end]
            alias, entry = self._lookup[case_sensitive][_match_key(surface, case_sensitive)]
            matches.append(SourceMatch(start, -negative_end, alias, entry))
            position = -negative_end
