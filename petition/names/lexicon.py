"""Known given names and surnames: how common they are, what sounds alike, how they are cased.

A name heard on a phone line is often spelled wrong, and no model can hear whether a caller
said Maes or Maas. The lexicon helps a person decide; it never decides for them:

- `suggest` proposes known spellings that sound like the machine's reading, for a reviewer to
  pick from. The machine's reading is kept as it was heard; a suggestion is only a suggestion,
  and nothing in this module replaces a name.
- `format_name` changes only case, spacing and apostrophes ("jan de smet" -> "Jan De Smet",
  "vandenbossche" -> "Van den Bossche"). It never changes a letter, so it is not a correction.
- `Lexicon.given_frequency`, `surname_frequency`, `is_given` and `is_surname` say whether a word
  is a known name: one signal among several for the name check.

Data: petition/names/data/names.tsv, generated from Faker's person lists by
`python -m petition.names.lexicon_build` (Statbel's counts for Flanders and Wallonia, Faker's
German and British lists), plus the short hand-written petition/names/data/names-extra.tsv. Sources
and licences are in petition/names/data/NAMES-SOURCES.md. The product reads the files; it does not
need Faker.

Frequencies are shares: a name's weight divided by the total weight of its list (for example
Maes: 21,410 of the people counted in Statbel's Flemish top-500 surnames), taken from the list
where the name is commonest. Lists without published weights count every name once, and
names-extra.tsv names get the smallest share of any listed surname: known, but rare.

Matching folds case, accents, spaces, hyphens and apostrophes: "van den bossche",
"Vandenbossche" and "Van den Bossche" are the same name to `is_surname`.

The phonetic key (`phonetic_key`) is made for names said in Dutch, French, German and English
and heard through a telephone: spellings one sound apart share a key, so Maes, Maas and
Maesen all give "mas". The rules, applied in order to the folded letters:

    eau -> o                 Moreau
    sch -> s                 Dutch -sche (Van den Bossche) and German Sch- (Schmidt)
    ch before r/l -> k       Christiaens
    ch -> g                  Dutch/German ch and the Flemish g are one throat sound
    sh, sj -> s;  ph -> f;  th -> t;  gh -> g;  kh -> k
    ck, cq, qu, q -> k       De Clercq, Vlerick, Jacques
    c before e/i/y -> s, other c -> k;  x -> ks;  z -> s
    dt -> t, final d -> t    De Smedt, De Weerdt
    v, w -> f                Flemish v is close to f, and w to v (Vos, Wouters)
    uij, uy -> ui;  ij, y -> i;  ei -> i      De Bruyn, Van Dyck/Van Dijck, Meyer/Meier
    ae, aa -> a;  ai -> e;  ee -> e;  oo -> o;  ie -> i;  ue -> u
    oe, ou, au -> u          Dutch oe is French ou; Flemish Wouters and Wauters sound alike
    h after the first letter is dropped (silent, or lost on the line)
    doubled letters count once (Janssens, Jansens)
    final -en, then final -e, are dropped (Maesen, Bossche/Bosch): weak endings
                             (-en only in keys of five letters or more)

Candidates for a suggestion are the names whose key is at most one edit from the heard key
(a deletion index: each key and its one-letter deletions), ranked by a score that mixes
closeness of keys (45 %), closeness of spelling (35 %) and frequency (20 %).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal

from rapidfuzz.distance import Levenshtein

Kind = Literal["given", "surname"]

# The Faker list that speaks each call language; another list counts half as much when
# ranking suggestions for a call in that language (Brussels callers cross both ways).
LANGUAGE_SOURCES = {"nl": "nl_BE", "fr": "fr_BE", "de": "de_DE", "en": "en_GB"}
_OTHER_LIST_WEIGHT = 0.5
EXTRA_SOURCE = "extra"

# Weights of the ranking score (see the module docstring).
_KEY_WEIGHT, _SPELLING_WEIGHT, _FREQUENCY_WEIGHT = 0.45, 0.35, 0.20
_CANDIDATES_PER_PART = 4  # per word group, before combining given names with surnames
# Below this a "sound-alike" is a coincidence of short keys ("Die" -> "Eddy"): not offered.
_MIN_SCORE = 0.6
_UNCHANGED_SCORE = 0.5  # a word group nothing sounds like, kept as heard
_SURNAME_FIRST_PENALTY = 0.95  # "Maes Thomas" is said, but less often than "Thomas Maes"

# Particles that begin a surname. Belgian civil registers write them with a capital when they
# start the surname ("De Smet", "Van Damme", "Le Grand") and lowercase after another particle
# ("Van den Bossche", "Op de Beeck"). German ones stay lowercase ("Anna von Berg").
_PARTICLES = frozenset(
    {"de", "den", "der", "des", "du", "het", "la", "le", "op", "t", "te", "ten", "ter", "van"}
    | {"vande", "vanden", "vander", "ver", "del", "della", "di", "da", "dos", "das"}
)
_LOWERCASE_PARTICLES = frozenset({"von", "vom", "zu", "zum", "zur"})
_APOSTROPHES = "'’`´"
_LIGATURES = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d"})

_KEY_RULES = [
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        ("eau", "o"),
        ("sch", "s"),
        ("ch(?=[rl])", "k"),
        ("ch", "g"),
        ("s[hj]", "s"),
        ("ph", "f"),
        ("th", "t"),
        ("gh", "g"),
        ("kh", "k"),
        ("ck|cq|qu|q", "k"),
        ("c(?=[eiy])", "s"),
        ("c", "k"),
        ("x", "ks"),
        ("z", "s"),
        ("dt", "t"),
        ("d$", "t"),
        ("[vw]", "f"),
        ("uij|uy", "ui"),
        ("ij|y", "i"),
        ("ei", "i"),
        ("ae|aa", "a"),
        ("ai", "e"),
        ("ee", "e"),
        ("oo", "o"),
        ("ie", "i"),
        ("ue", "u"),
        ("oe|ou|au", "u"),
        ("(?<=.)h", ""),
        (r"(.)\1+", r"\1"),
    )
]


def fold(text: str) -> str:
    """Letters only, lowercase, without accents: "D'Hooghe" -> "dhooghe", "Müller" -> "muller"."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in text if c.isalpha() and not unicodedata.combining(c))


def phonetic_key(text: str) -> str:
    """A key that sound-alike spellings share: "Maes", "Maas", "Maesen" -> "mas".

    Rules in the module docstring. Names of several words are keyed as one word, so
    "Van den Bossche" and "Vandenbosch" share a key.
    """
    key = fold(text)
    for pattern, replacement in _KEY_RULES:
        key = pattern.sub(replacement, key)
    if len(key) >= 5 and key.endswith("en"):
        key = key[:-2]
    if len(key) >= 3 and key.endswith("e"):
        key = key[:-1]
    return key


def _deletions(key: str) -> set[str]:
    """The key and every string one letter shorter: two keys at most one edit apart share one."""
    return {key} | {key[:i] + key[i + 1 :] for i in range(len(key))}


def _shape_key(text: str) -> str:
    """Lowercase with spaces and apostrophes removed; accents and hyphens kept.

    Two spellings with the same shape key differ only in what format_name may change.
    """
    return "".join(c for c in text.lower() if not c.isspace() and c not in _APOSTROPHES)


def _words(text: str | Sequence[str]) -> list[str]:
    """Words of a name, surrounding punctuation removed, "d' Hooghe" joined to "d'Hooghe"."""
    raw = text.split() if isinstance(text, str) else [w for part in text for w in part.split()]
    words: list[str] = []
    for word in raw:
        word = word.strip('.,;:!?"“”„«»()[]{}')
        if not word or all(c in _APOSTROPHES for c in word):
            continue
        if words and words[-1][-1] in _APOSTROPHES:
            words[-1] += word
        else:
            words.append(word)
    return words


def _is_particle(word: str) -> bool:
    bare = word.lower().rstrip(_APOSTROPHES)
    return bare in _PARTICLES or bare in _LOWERCASE_PARTICLES or word[-1] in _APOSTROPHES


def _capitalise(part: str) -> str:
    """Cap one hyphen-free part: "hooghe" -> "Hooghe", "d'hooghe" -> "D'Hooghe", "mcdonald" ->
    "McDonald"."""
    low = part.lower()
    if len(low) > 2 and low[1] in _APOSTROPHES:  # d'Hooghe, O'Brien, L'Olivier
        return low[0].upper() + "'" + _capitalise(low[2:])
    if low.startswith("mc") and len(low) > 3:
        return "Mc" + low[2:].capitalize()
    return low.capitalize()


def _case_by_rule(word: str, after_particle: bool) -> str:
    """How an unknown word of a name is cased."""
    low = word.lower()
    if low in _LOWERCASE_PARTICLES or (after_particle and low in _PARTICLES):
        return low
    inner = word[1:]
    if any(c.isupper() for c in inner) and any(c.islower() for c in inner):
        return word  # mixed case as heard ("McDonald", "DeWitt"): someone meant it
    return "-".join(_capitalise(part) for part in word.split("-"))


def _cased_by_rule(words: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, word in enumerate(words):
        out.append(_case_by_rule(word, after_particle=i > 0 and _is_particle(words[i - 1])))
    return out


@dataclass
class _Name:
    """One name as matching sees it: every spelling that folds to the same letters."""

    folded: str
    key: str
    spellings: dict[str, float] = field(default_factory=dict)  # spelling -> total weight
    shares: dict[str, float] = field(default_factory=dict)  # source -> share of that list

    @property
    def spelling(self) -> str:
        """The most common spelling (alphabetical among equals, so the choice is stable)."""
        return min(self.spellings, key=lambda s: (-self.spellings[s], s))

    def share(self, language: str | None = None) -> float:
        if language is None:
            return max(self.shares.values())
        own = LANGUAGE_SOURCES.get(language)
        return max(
            share * (1.0 if source == own else _OTHER_LIST_WEIGHT)
            for source, share in self.shares.items()
        )


@dataclass(frozen=True)
class _Candidate:
    text: str
    score: float
    known: bool


def _frequency_score(share: float) -> float:
    """0 for one person in 100,000 or fewer, 1 for one in ten or more, log-linear between."""
    if share <= 0:
        return 0.0
    return min(1.0, max(0.0, (math.log10(share) + 5) / 4))


class Lexicon:
    """Given names and surnames with their shares, indexed by phonetic key.

    Build it once (`lexicon()` does, from the packaged data); lookups are then dictionary
    accesses, and a suggestion takes well under a millisecond.
    """

    def __init__(self, rows: Iterable[tuple[Kind, str, str, float | None]]) -> None:
        """rows: (kind, spelling, source, weight); weight None for names with no known count."""
        rows = list(rows)
        self._rows = rows
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for kind, _, source, weight in rows:
            totals[kind, source] += weight or 0.0
        self._names: dict[Kind, dict[str, _Name]] = {"given": {}, "surname": {}}
        unweighted: list[tuple[Kind, str, str]] = []
        for kind, spelling, source, weight in rows:
            if weight is None:
                unweighted.append((kind, spelling, source))
                continue
            name = self._entry(kind, spelling)
            name.spellings[spelling] = name.spellings.get(spelling, 0.0) + weight
            name.shares[source] = name.shares.get(source, 0.0) + weight / totals[kind, source]
        rarest = {
            kind: min((s for n in names.values() for s in n.shares.values()), default=1e-6)
            for kind, names in self._names.items()
        }
        for kind, spelling, source in unweighted:
            name = self._entry(kind, spelling)
            name.spellings.setdefault(spelling, 0.0)
            name.shares.setdefault(source, rarest[kind])

        # Deletion index: variant -> keys, per kind; and key -> names.
        self._by_key: dict[Kind, dict[str, list[_Name]]] = {"given": {}, "surname": {}}
        self._variants: dict[Kind, dict[str, set[str]]] = {"given": {}, "surname": {}}
        # Shape key -> known spellings, surnames first, most common first (for format_name).
        shapes: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
        for kind, names in self._names.items():
            for name in names.values():
                self._by_key[kind].setdefault(name.key, []).append(name)
                for variant in _deletions(name.key):
                    self._variants[kind].setdefault(variant, set()).add(name.key)
                for spelling, weight in name.spellings.items():
                    rank = 0 if kind == "surname" else 1
                    shapes[_shape_key(spelling)].append((rank, -weight, spelling))
        self._shapes = {
            shape: list(dict.fromkeys(s for _, _, s in sorted(found)))
            for shape, found in shapes.items()
        }

    def _entry(self, kind: Kind, spelling: str) -> _Name:
        folded = fold(spelling)
        names = self._names[kind]
        if folded not in names:
            names[folded] = _Name(folded=folded, key=phonetic_key(folded))
        return names[folded]

    # -- is it a known name, and how common ------------------------------------------------

    def frequency(self, kind: Kind, word: str, language: str | None = None) -> float:
        """Share of the people in a list who carry this name; 0.0 when unknown.

        The share is taken from the list where the name is commonest; with a language ("nl",
        "fr", "de", "en"), other lists than that language's count half.
        """
        name = self._names[kind].get(fold(word))
        return name.share(language) if name else 0.0

    def given_frequency(self, word: str) -> float:
        """How common a given name is (0.0 when unknown); case and accents do not matter."""
        return self.frequency("given", word)

    def surname_frequency(self, word: str) -> float:
        """How common a surname is (0.0 when unknown); "de smet" finds "De Smet"."""
        return self.frequency("surname", word)

    def is_given(self, word: str) -> bool:
        """True for a known given name ("Thomas", "jean-pierre", "Jürgen")."""
        return fold(word) in self._names["given"]

    def is_surname(self, word: str) -> bool:
        """True for a known surname, particles included ("Van den Bossche", "D'Hondt")."""
        return fold(word) in self._names["surname"]

    def names(self, kind: Kind, source: str) -> list[tuple[str, float]]:
        """The (spelling, weight) pairs one list holds, as published; weight 1 where none is."""
        return [
            (s, w if w is not None else 1.0)
            for k, s, src, w in self._rows
            if (k, src) == (kind, source)
        ]

    # -- suggestions -----------------------------------------------------------------------

    def _part_candidates(
        self, kind: Kind, words: Sequence[str], language: str | None
    ) -> list[_Candidate]:
        """Known names that sound like these words, best first; the words themselves if none."""
        heard = fold("".join(words))
        key = phonetic_key(heard)
        formatted = self.format_name(words)
        keys: set[str] = set()
        for variant in _deletions(key) if key else ():
            keys |= self._variants[kind].get(variant, set())
        scored = []
        for found in keys:
            for name in self._by_key[kind][found]:
                score = (
                    _KEY_WEIGHT * Levenshtein.normalized_similarity(key, found)
                    + _SPELLING_WEIGHT * Levenshtein.normalized_similarity(heard, name.folded)
                    + _FREQUENCY_WEIGHT * _frequency_score(name.share(language))
                )
                # The heard spelling when it is one of the name's, else its most common one.
                text = formatted if formatted in name.spellings else name.spelling
                if score >= _MIN_SCORE:
                    scored.append(_Candidate(text, score, known=True))
        scored.sort(key=lambda c: (-c.score, c.text))
        if not scored:
            # Nothing sounds like it: the words stay as heard, so the other part can still vary.
            return [_Candidate(formatted, _UNCHANGED_SCORE, known=False)]
        return scored[:_CANDIDATES_PER_PART]

    def _readings(self, words: list[str]) -> list[tuple[float, list[tuple[Kind, list[str]]]]]:
        """Ways to read the words as given name(s) and surname(s), each with a weight."""
        if len(words) == 1:
            return [(1.0, [("surname", words)]), (1.0, [("given", words)])]
        readings: list[tuple[float, list[tuple[Kind, list[str]]]]] = []
        for split in (1, 2):
            if split >= len(words):
                break
            given, surname = words[:split], words[split:]
            readings.append((1.0, [("given", given), ("surname", surname)]))
            if len(surname) == 2 and not _is_particle(surname[0]):
                # Two surnames, as Belgian children may carry since 2014: "Peeters Janssens".
                readings.append(
                    (1.0, [("given", given), ("surname", [surname[0]]), ("surname", [surname[1]])])
                )
        if len(words) == 2 or (len(words) == 3 and _is_particle(words[0])):
            readings.append(
                (_SURNAME_FIRST_PENALTY, [("surname", words[:-1]), ("given", words[-1:])])
            )
        return readings

    def suggest(self, name: str, language: str | None = None, limit: int = 3) -> list[str]:
        """Known spellings that sound like what the machine heard, best first, at most limit.

        "Thomas Maas" gives "Thomas Maes" and "Thomas Maas" among others. The heard reading
        itself is among the suggestions only when it is a known name. language ("nl", "fr",
        "de", "en" or None) favours names common in that language's list. These are proposals
        for a person; the reading they were made from is never replaced.
        """
        words = _words(name)
        if not words or limit <= 0:
            return []
        heard = fold(" ".join(words))
        best: dict[str, tuple[float, bool]] = {}
        for weight, reading in self._readings(words):
            parts = [self._part_candidates(kind, part, language) for kind, part in reading]
            for combo in itertools.product(*parts):
                text = " ".join(c.text for c in combo)
                score = weight * sum(c.score for c in combo) / len(combo)
                known = all(c.known for c in combo)
                if weight < 1.0 and not known:
                    continue  # the unusual order is only worth offering for known names
                if text not in best or score > best[text][0]:
                    best[text] = (score, known)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
        return [text for text, (_, known) in ranked if known or fold(text) != heard][:limit]

    # -- formatting ------------------------------------------------------------------------

    def format_name(self, name: str | Sequence[str]) -> str:
        """Case and space a heard name the way it is written; never change one of its letters.

        Known names take the lexicon's spelling when it has the same letters: "jan de smet" ->
        "Jan De Smet", "vandenbossche" -> "Van den Bossche", "de ghellinck" -> "de Ghellinck".
        Unknown ones follow Belgian rules: a particle that starts a surname gets a capital
        ("De", "Van", "D'Hooghe"), one after another particle does not ("Van der Elst"),
        German "von" and "zu" never do. Words are only joined when they start with a particle,
        and a heard word is only split into a known surname of several words.
        """
        words = _words(name)
        out: list[str] = []
        i = 0
        while i < len(words):
            # Longest first: "van den bossche" before "van". Only particles lead longer spans.
            end = i + 1
            while end < len(words) and end - i < 4 and _is_particle(words[end - 1]):
                end += 1
            for stop in range(end, i, -1):
                spelled = self._known_shape(words[i:stop])
                if spelled:
                    out.append(spelled)
                    i = stop
                    break
            else:
                after_particle = i > 0 and _is_particle(words[i - 1])
                out.append(_case_by_rule(words[i], after_particle))
                i += 1
        return " ".join(out)

    def _known_shape(self, heard: Sequence[str]) -> str | None:
        """A known spelling of these words that differs only in case, spaces or apostrophes."""
        spellings = self._shapes.get(_shape_key("".join(heard)))
        if not spellings:
            return None
        # Splitting one heard word into a known surname is fine; joining heard words is not
        # ("de smet" stays two words even where only "Desmet" is known).
        fitting = [s for s in spellings if len(s.split()) >= len(heard)]
        same_spacing = [s for s in fitting if len(s.split()) == len(heard)] or fitting
        if not same_spacing:
            return None
        # Statbel lists some names twice, differing in case ("D'Hondt", "D'hondt"): prefer the
        # one our own rules would write.
        by_rule = " ".join(_cased_by_rule(heard))
        return by_rule if by_rule in same_spacing else same_spacing[0]


def _read_rows() -> list[tuple[Kind, str, str, float | None]]:
    data = resources.files("petition.names") / "data"
    rows: list[tuple[Kind, str, str, float | None]] = []
    for kind, spelling, source, weight in _tsv(data / "names.tsv"):
        rows.append((_kind(kind), spelling, source, float(weight)))
    for kind, spelling, _why in _tsv(data / "names-extra.tsv"):
        rows.append((_kind(kind), spelling, EXTRA_SOURCE, None))
    return rows


def _tsv(path: Traversable) -> list[list[str]]:
    """Rows of a data file, without its comment lines and its header."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith(("#", "kind\t"))]


def _kind(value: str) -> Kind:
    if value == "given":
        return "given"
    if value == "surname":
        return "surname"
    raise ValueError(f"unknown name kind {value!r} in the lexicon data")


@functools.cache
def lexicon() -> Lexicon:
    """The lexicon built from the packaged data, loaded once per process."""
    return Lexicon(_read_rows())


def suggest(name: str, language: str | None = None, limit: int = 3) -> list[str]:
    """Known spellings that sound like the heard name (see `Lexicon.suggest`)."""
    return lexicon().suggest(name, language, limit)


def format_name(name: str | Sequence[str]) -> str:
    """Case and space a heard name without changing its letters (see `Lexicon.format_name`)."""
    return lexicon().format_name(name)
