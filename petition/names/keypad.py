"""Keypad spelling: the surname a caller spells on the phone's keys, one key per letter.

A name read back as heard confirms its sound, not its spelling (Mr Maes hears "Maas" and
agrees), so the caller spells the surname on the keypad (ITU E.161: 2=ABC 3=DEF 4=GHI 5=JKL
6=MNO 7=PQRS 8=TUV 9=WXYZ), `#` to finish, `*` to start again. DUBOIS is 382647, MAES 6237
and MAAS 6227. Spaces, hyphens, apostrophes and accents have no key: Van den Bossche is
VANDENBOSSCHE, D'Hooghe is DHOOGHE, Lefèvre is LEFEVRE (the lexicon's `fold`).

The keys alone leave three or four letters a key; with a list of real surnames and what
Whisper heard they usually leave one name:

- `candidates` first offers the lexicon's names whose keys are the caller's keys, the one that
  sounds most like what was heard first, then the commonest. When fewer than `limit` such
  names exist (a surname the lexicon lacks), a letter trigram model of the lexicon's names
  proposes spellings held to the keys, favouring the heard letters that fit them.
- `parse_keys` cleans what the carrier sends (`Digits`) and names what is wrong with it.
- `fits` tells a reviewer whether a typed name agrees with the keys.
- `split_heard` splits a heard full name into given name and surname.

Pure functions over the packaged lexicon: no web, queue or audio here.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from rapidfuzz.distance import Levenshtein

from petition.names.lexicon import (
    EXTRA_SOURCE,
    LANGUAGE_SOURCES,
    Kind,
    fold,
    lexicon,
    phonetic_key,
)

KEYPAD = {
    "2": "abc",
    "3": "def",
    "4": "ghi",
    "5": "jkl",
    "6": "mno",
    "7": "pqrs",
    "8": "tuv",
    "9": "wxyz",
}
_KEY_OF = {letter: key for key, letters in KEYPAD.items() for letter in letters}

# The longest folded names in the lexicon have 15 (Vandendriessche) and 16 letters
# (Friedrichwilhelm); a Belgian double surname (since 2014: "Vandendriessche Peeters") still
# fits in 24. More keys than that is a stuck key or something else being keyed, and the limit
# bounds the work of the model's search.
MAX_KEYS = 24

Source = Literal["lexicon", "model"]


class KeyProblem(StrEnum):
    """Why keys cannot be read as letters; each becomes a spoken answer in the call."""

    EMPTY = "empty"  # nothing keyed, or nothing after the last `*`
    NO_LETTERS = "no_letters"  # 0 or 1 pressed: those keys carry no letters
    TOO_LONG = "too_long"  # more than MAX_KEYS keys
    NOT_KEYS = "not_keys"  # something no phone key sends (the carrier sends 0-9, * and #)


@dataclass(frozen=True)
class Keys:
    """What the caller keyed: the key sequence ("382647"), or the problem with it.

    keys is "" whenever problem is set.
    """

    keys: str
    problem: KeyProblem | None = None

    @property
    def ok(self) -> bool:
        """True when the keys can be read as letters."""
        return self.problem is None


@dataclass(frozen=True)
class Candidate:
    """A spelling to read back to the caller.

    spelling is written as the lexicon writes it ("Van den Bossche", "D'Hondt"); variants are
    other written forms with the same letters ("Desmet" for "De Smet"), which keys and a
    letter-by-letter read-back cannot tell apart. source says where the spelling comes from:
    "lexicon" (a known name) or "model" (letters the model put together, perhaps no one's
    name). score is higher for better candidates and compares candidates of the same source:
    for the lexicon, closeness to what was heard mixed with frequency (0 to 1); for the model,
    the candidate's share of the probability of the spellings its search kept.
    """

    spelling: str
    source: Source
    score: float
    variants: tuple[str, ...] = ()

    @property
    def letters(self) -> str:
        """The letters to read back, one per key: "D'Hondt" -> "DHONDT"."""
        return letters_of(self.spelling).upper()


def letters_of(name: str) -> str:
    """The letters of a name that have a key: folded, everything else dropped ("d'hondt")."""
    return "".join(c for c in fold(name) if c in _KEY_OF)


def letters_to_keys(name: str) -> str:
    """The keys that spell a name: "Dubois" -> "382647", "Van den Bossche" -> "8263362677243".

    Folded as the lexicon folds (accents dropped, ß -> ss, æ -> ae); spaces, hyphens,
    apostrophes and any letter outside a-z have no key and are skipped.
    """
    return "".join(_KEY_OF[c] for c in letters_of(name))


def parse_keys(digits: str | None) -> Keys:
    """Read the carrier's `Digits` for a keypad spelling.

    `*` starts again: only what follows the last `*` counts ("382*382647" -> "382647").
    A trailing `#` (the key that ends the spelling) is dropped. The result holds either the
    keys or a problem: nothing keyed, a 0 or 1 (no letters), more than MAX_KEYS keys, or a
    character no phone key sends.
    """
    text = (digits or "").strip().rstrip("#")
    text = text.rsplit("*", 1)[-1]
    if not text.isascii() or not text.isdigit():
        return Keys("", KeyProblem.EMPTY if not text else KeyProblem.NOT_KEYS)
    if len(text) > MAX_KEYS:
        return Keys("", KeyProblem.TOO_LONG)
    if "0" in text or "1" in text:
        return Keys("", KeyProblem.NO_LETTERS)
    return Keys(text)


def parse_key_pairs(digits: str | None) -> Keys:
    """Read an exact spelling keyed two keys a letter: the letter's key, then its place on that
    key, 1 to 4 (M is 6 1, S is 7 4), the way contact centres take letters on a keypad.

    The result's `keys` are the letters themselves ("maes" for 61213274), or a problem: nothing
    keyed, an odd count or a place the key does not have (NO_LETTERS), more than MAX_KEYS
    letters. `*` starts again and a trailing `#` is dropped, as in `parse_keys`.
    """
    text = (digits or "").strip().rstrip("#").rsplit("*", 1)[-1]
    if not text.isascii() or not text.isdigit():
        return Keys("", KeyProblem.EMPTY if not text else KeyProblem.NOT_KEYS)
    if len(text) > 2 * MAX_KEYS:
        return Keys("", KeyProblem.TOO_LONG)
    letters = []
    for key, place in zip(text[::2], text[1::2], strict=False):
        options = KEYPAD.get(key, "")
        if not "1" <= place <= str(len(options)):
            return Keys("", KeyProblem.NO_LETTERS)
        letters.append(options[int(place) - 1])
    if len(text) % 2:
        return Keys("", KeyProblem.NO_LETTERS)
    return Keys("".join(letters))


def key_pairs(name: str) -> str:
    """The two-key spelling of a name (see `parse_key_pairs`): "Maes" -> "61213274"."""
    return "".join(f"{_KEY_OF[c]}{KEYPAD[_KEY_OF[c]].index(c) + 1}" for c in letters_of(name))


def fits(keys: str, name: str) -> bool:
    """True when a name agrees with the keys the caller pressed for their surname.

    name may be the surname alone or a full name ending with it: "Jan Van den Bossche" fits
    8263362677243, as "Van den Bossche" does. Empty keys fit no name.
    """
    if not keys:
        return False
    words = name.split()
    return any(letters_to_keys(" ".join(words[i:])) == keys for i in range(len(words)))


# -- the heard name ----------------------------------------------------------------------------

# Words that begin a surname ("Jan Van den Bossche", "Anna von Berg", "Marie de la Croix").
# The lexicon keeps its own list private; this one is for splitting, not for casing.
_PARTICLES = frozenset(
    {"de", "den", "der", "des", "du", "het", "la", "le", "op", "t", "te", "ten", "ter", "van"}
    | {"vande", "vanden", "vander", "ver", "del", "della", "di", "da", "dos", "das"}
    | {"von", "vom", "zu", "zum", "zur"}
)
_APOSTROPHES = "'’`´"


def _is_particle(word: str) -> bool:
    return word.lower() in _PARTICLES or word[-1] in _APOSTROPHES


def split_heard(name: str | None) -> tuple[str | None, str | None]:
    """The given name and surname of a heard full name, as heard (no recasing).

    "Jan Van den Bossche" -> ("Jan", "Van den Bossche"); one word -> (None, word); a name that
    begins with a particle is all surname. Without a particle the surname is the last word,
    with the words before it that the lexicon knows only as surnames ("Emma Peeters Janssens":
    Belgian children may carry two). Two words said surname first ("Peeters Jan": a known
    surname that is no given name, then a given name that is no surname) are turned round.
    """
    raw = [w.strip('.,;:!?"“”„«»()[]{}') for w in (name or "").split()]
    words: list[str] = []
    for word in raw:
        if words and words[-1][-1] in _APOSTROPHES:
            words[-1] += word  # "D' Hooghe" -> "D'Hooghe"
        elif word:
            words.append(word)
    if not words:
        return None, None
    if len(words) == 1 or _is_particle(words[0]):
        return None, " ".join(words)
    for i in range(1, len(words)):
        if _is_particle(words[i]):
            return " ".join(words[:i]), " ".join(words[i:])
    lex = lexicon()

    def only_surname(word: str) -> bool:
        return lex.is_surname(word) and not lex.is_given(word)

    def only_given(word: str) -> bool:
        return lex.is_given(word) and not lex.is_surname(word)

    if len(words) == 2 and only_surname(words[0]) and only_given(words[1]):
        return words[1], words[0]
    start = len(words) - 1
    while start > 1 and only_surname(words[start - 1]):
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


# -- the lexicon's names by their keys ---------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    folded: str
    spellings: tuple[str, ...]  # as the lexicon writes them, commonest first


@dataclass(frozen=True)
class _Index:
    by_keys: dict[str, list[_Entry]]
    folded: frozenset[str]
    # Folded particle prefix ("van", "vanden") -> how a name starting with it is written:
    # "Van " when most of the lexicon's names write it apart, "" when most write it joined.
    prefixes: dict[str, str]


@functools.lru_cache(maxsize=8)  # one per kind, and a few held-out sets for evaluations
def _index(kind: Kind, held_out: frozenset[str]) -> _Index:
    """The lexicon's names of one kind by keys, without the held-out (folded) names."""
    lex = lexicon()
    # Weights by written form: Statbel lists "D'Hondt" and "D'hondt" apart, one form once cased.
    weights: dict[str, float] = defaultdict(float)
    # Every list the lexicon reads: the four languages' and the hand-written extras.
    for source in (*LANGUAGE_SOURCES.values(), EXTRA_SOURCE):
        for spelling, weight in lex.names(kind, source):
            weights[lex.format_name(spelling)] += weight
    spellings: dict[str, list[str]] = defaultdict(list)
    for spelling in sorted(weights, key=lambda s: (-weights[s], s)):
        folded = letters_of(spelling)
        if folded and folded not in held_out:
            spellings[folded].append(spelling)
    by_keys: dict[str, list[_Entry]] = defaultdict(list)
    for folded, written in spellings.items():
        by_keys[letters_to_keys(folded)].append(_Entry(folded, tuple(written)))
    return _Index(dict(by_keys), frozenset(spellings), _prefixes(spellings))


def _prefixes(spellings: dict[str, list[str]]) -> dict[str, str]:
    """How the lexicon's names write each particle prefix: apart ("Van ") or joined ("").

    Van Damme and Van Hoof outnumber Vandamme and Vanhoof, so "van" is written apart; De Smet
    and Desmet are about even, and Delvaux or Denis have no particle at all, so "de" is not.
    """
    apart: Counter[str] = Counter()
    written: dict[str, str] = {}
    for forms in spellings.values():
        words = forms[0].split()
        if len(words) > 1 and all(_is_particle(w) for w in words[:-1]):
            prefix = letters_of(" ".join(words[:-1]))
            apart[prefix] += 1
            written.setdefault(prefix, " ".join(words[:-1]) + " ")
    joined = Counter(
        prefix
        for folded, forms in spellings.items()
        if len(forms[0].split()) == 1
        for prefix in apart
        if folded.startswith(prefix) and len(folded) >= len(prefix) + 3
    )
    # Apart only with two thirds of enough names: a guess should not split what was keyed.
    return {p: written[p] if n >= 5 and n >= 2 * joined[p] else "" for p, n in apart.items()}


# -- a letter model of names -------------------------------------------------------------------

_START, _END = "^", "$"
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_SYMBOLS = _ALPHABET + _END
# Weights of the trigram, bigram and unigram estimates (each add-k smoothed). Interpolation
# keeps an unseen trigram ("hoo" in D'Hooghe) from making a letter nearly impossible.
# Chosen on 200 surnames held out of the model, heard with one letter wrong or as a
# sound-alike: the held-out name came first for 84 % of them (99 % among three), against 79 %
# for the trigram alone with the same smoothing and 69 % with add-k 0.01.
_ORDER_WEIGHTS = (0.6, 0.3, 0.1)
_ADD_K = 0.1
_BEAM = 48  # hypotheses kept per key
_HEARD_BONUS = 4.0  # log-score a heard letter earns on its key: heard letters that fit win
_MODEL_CANDIDATES = 12  # finished spellings ranked before the limit


@dataclass(frozen=True)
class _Model:
    """Log-probabilities of the next letter (or the end) after two symbols."""

    logp: dict[str, dict[str, float]]  # context of two symbols -> next symbol -> log p

    def next(self, context: str) -> dict[str, float]:
        return self.logp[context]


@functools.lru_cache(maxsize=8)
def _model(kind: Kind, held_out: frozenset[str]) -> _Model:
    """A letter trigram model of the lexicon's names of one kind, held-out names excluded.

    Each name counts once, however common: the model should know how names are built, not
    which are common (for known names the lexicon answers that).
    """
    counts: list[dict[str, Counter[str]]] = [defaultdict(Counter) for _ in range(3)]
    for folded in _index(kind, held_out).folded:
        padded = _START * 2 + folded + _END
        for i in range(2, len(padded)):
            for order in range(3):  # contexts of 0, 1 and 2 symbols
                counts[order][padded[i - order : i]][padded[i]] += 1

    def estimate(order: int, context: str) -> dict[str, float]:
        following = counts[order].get(context, Counter())
        total = sum(following.values()) + _ADD_K * len(_SYMBOLS)
        return {c: (following[c] + _ADD_K) / total for c in _SYMBOLS}

    unigram = estimate(0, "")
    bigrams = {a: estimate(1, a) for a in _START + _ALPHABET}
    logp: dict[str, dict[str, float]] = {}
    w3, w2, w1 = _ORDER_WEIGHTS
    for a in _START + _ALPHABET:
        for b in _START + _ALPHABET:
            if a != _START and b == _START:
                continue  # the start symbol is only ever followed by letters or itself
            trigram = estimate(2, a + b)
            logp[a + b] = {
                c: math.log(w3 * trigram[c] + w2 * bigrams[b][c] + w1 * unigram[c])
                for c in _SYMBOLS
            }
    return _Model(logp)


def _heard_letters(keys: str, heard: str) -> list[str | None]:
    """For each key, the heard letter aligned with it when that letter is on the key.

    An edit-distance alignment of the heard letters with the keys, so that a heard name one
    letter short or long still lends its letters to the right keys ("vermeulen" against the
    keys of "vermeullen" lends all nine).
    """
    n, m = len(keys), len(heard)
    # cost[i][j]: aligning the first i keys with the first j heard letters.
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 or j == 0:
                cost[i][j] = i + j
                continue
            same = _KEY_OF[heard[j - 1]] == keys[i - 1]
            cost[i][j] = min(
                cost[i - 1][j - 1] + (0 if same else 1),
                cost[i - 1][j] + 1,
                cost[i][j - 1] + 1,
            )
    aligned: list[str | None] = [None] * n
    i, j = n, m
    while i > 0 and j > 0:
        same = _KEY_OF[heard[j - 1]] == keys[i - 1]
        if cost[i][j] == cost[i - 1][j - 1] + (0 if same else 1):
            if same:
                aligned[i - 1] = heard[j - 1]
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return aligned


def _spell(model: _Model, keys: str, heard: str) -> list[tuple[float, str]]:
    """Spellings of the keys, best first, with their scores: a beam search over the letters
    of each key, scored by the model's log-probability plus a bonus for each heard letter
    that fits its key."""
    aligned = _heard_letters(keys, heard)
    beam: list[tuple[float, str]] = [(0.0, _START * 2)]
    for key, heard_letter in zip(keys, aligned, strict=True):
        grown = []
        for score, text in beam:
            following = model.next(text[-2:])
            for letter in KEYPAD[key]:
                bonus = _HEARD_BONUS if letter == heard_letter else 0.0
                grown.append((score + following[letter] + bonus, text + letter))
        beam = heapq.nlargest(_BEAM, grown)
    finished = [(score + model.next(text[-2:])[_END], text[2:]) for score, text in beam]
    return heapq.nlargest(_MODEL_CANDIDATES, finished)


def _write(index: _Index, folded: str, heard: str | None) -> str:
    """How a model spelling is written: as heard when the heard name has these letters
    ("D'Hooghe"); else with its particle apart when most known names write that particle
    apart ("Van Houtteghem"), title-cased as the lexicon cases names."""
    lex = lexicon()
    if heard and letters_of(heard) == folded:
        return lex.format_name(heard)
    # The longest particle prefix decides: "vanden" (joined as often as not) before "van".
    for prefix in sorted(index.prefixes, key=len, reverse=True):
        if folded.startswith(prefix) and len(folded) >= len(prefix) + 3:
            apart = index.prefixes[prefix]
            return lex.format_name(apart + folded[len(prefix) :] if apart else folded)
    return lex.format_name(folded)


# -- candidates --------------------------------------------------------------------------------

# Lexicon candidates: closeness to what was heard counts most; frequency decides between
# names heard about as well, and alone when nothing was heard.
_CLOSENESS_WEIGHT = 0.8
_KEY_SHARE = 0.5  # of closeness: phonetic keys; the rest is spelling


def _closeness(heard: str, folded: str) -> float:
    """0 to 1: how alike the heard name and a name sound (phonetic keys) and are spelled."""
    if not heard:
        return 0.0
    sound = Levenshtein.normalized_similarity(phonetic_key(heard), phonetic_key(folded))
    spelling = Levenshtein.normalized_similarity(heard, folded)
    return _KEY_SHARE * sound + (1 - _KEY_SHARE) * spelling


def _frequency_score(share: float) -> float:
    """0 for one person in a million or fewer, 1 for one in ten or more, log-linear between."""
    return min(1.0, max(0.0, (math.log10(share) + 6) / 5)) if share > 0 else 0.0


def candidates(
    keys: str,
    heard: str | None,
    *,
    kind: Kind = "surname",
    language: str | None = None,
    limit: int = 3,
    held_out: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Spellings of the keys to read back, best first, at most limit.

    keys: the caller's keys (from `parse_keys`, only 2-9). heard: what Whisper heard for this
    part of the name (the surname for kind "surname"), or None. First come the lexicon's
    names of that kind whose keys are these keys, ranked by closeness to the heard name
    (phonetic key and spelling), then by frequency (language "nl", "fr", "de" or "en" favours
    that language's list). The remaining places go to the letter model's spellings of the
    keys, which favour the heard letters that fit them; their keys are the keys too.

    held_out: names treated as unknown (not matched, not learnt by the model), so that an
    evaluation can ask how the model does on names it has not seen.
    """
    if not keys or not all(k in KEYPAD for k in keys):
        raise ValueError(f"keys must be 2-9 only, as parse_keys returns them: {keys!r}")
    if limit <= 0:
        return []
    held = frozenset(filter(None, map(letters_of, held_out)))
    index = _index(kind, held)
    heard_letters = letters_of(heard or "")
    lex = lexicon()
    heard_form = lex.format_name(heard) if heard else ""

    found: list[Candidate] = []
    for entry in index.by_keys.get(keys, []):
        share = lex.frequency(kind, entry.folded, language)
        score = _CLOSENESS_WEIGHT * _closeness(heard_letters, entry.folded) + (
            1 - _CLOSENESS_WEIGHT
        ) * _frequency_score(share)
        # The heard spelling when it is one of the name's ("Desmet"), else the commonest.
        spelling = heard_form if heard_form in entry.spellings else entry.spellings[0]
        variants = tuple(s for s in entry.spellings if s != spelling)
        found.append(Candidate(spelling, "lexicon", score, variants))
    found.sort(key=lambda c: (-c.score, c.spelling))
    if len(found) >= limit:
        return found[:limit]

    spelled = [
        (score, text)
        for score, text in _spell(_model(kind, held), keys, heard_letters)
        if text not in index.folded  # a known name is already among the lexicon's
    ]
    if not spelled:
        return found
    # Shares of the probability of the spellings kept (a softmax of the scores).
    top = spelled[0][0]
    total = sum(math.exp(score - top) for score, _ in spelled)
    for score, text in spelled[: limit - len(found)]:
        share = math.exp(score - top) / total
        found.append(Candidate(_write(index, text, heard), "model", share))
    return found
