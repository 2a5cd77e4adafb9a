"""Names from transcripts: Whisper hallucinations, the name a caller said, comparison keys.

Pure functions on text, so the rules can be tested without audio or a model.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

# Whole sentences Whisper invents on silence, noise or hold music: mostly subtitle credits and
# video outros from its training data. Stored normalised (see _normalise).
_HALLUCINATED_SENTENCES = frozenset(
    {
        # en
        "you",
        "i",
        "bye",
        "thank you",
        "thank you very much",
        "thank you so much",
        "thanks",
        "thank you for watching",
        "thanks for watching",
        "thank you so much for watching",
        "thank you for listening",
        "thanks for listening",
        "please subscribe",
        "please subscribe to my channel",
        "like and subscribe",
        "see you next time",
        "see you in the next video",
        "music",
        "applause",
        "laughter",
        "silence",
        # nl
        "ik",
        "ja",
        "dank je",
        "dank u",
        "dank je wel",
        "dank u wel",
        "dankjewel",
        "bedankt",
        "bedankt voor het kijken",
        "bedankt voor het luisteren",
        "bedankt om te kijken",
        "dank je wel voor het kijken",
        "dank u wel voor het kijken",
        "tot de volgende keer",
        "muziek",
        "applaus",  # also de
        # fr
        "je",
        "merci",
        "merci beaucoup",
        "merci d avoir regarde",
        "merci d avoir regarde cette video",
        "merci de votre attention",
        "merci a tous",
        "abonnez vous",
        "n oubliez pas de vous abonner",
        "a bientot",
        "au revoir",
        "musique",
        "applaudissements",
        "rires",
        # de
        "ich",
        "danke",
        "danke schon",
        "vielen dank",
        "danke furs zuschauen",
        "vielen dank furs zuschauen",
        "vielen dank fur ihre aufmerksamkeit",
        "bis zum nachsten mal",
        "tschuss",
        "musik",
    }
)

# Credits whose wording varies ("Sous-titrage ST' 501", "Untertitel im Auftrag des ZDF, 2017",
# "Ondertiteling TV Gelderland 2021"): matched by their fixed start or by the Amara.org credit.
_HALLUCINATED_PATTERNS = re.compile(
    r"^(sous titr|ondertitel|untertitel|subtitles? by|subtitled by|captions? by|"
    r"transcri(bed|ption) by)|\bamara org\b|\bim auftrag des\b"
)

# Non-speech tags Whisper writes: [Musique], (applause), *Musik*, ♪ la la ♪.
_ANNOTATIONS = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|♪[^♪]*♪|[♪♫🎵🎶]")

# Sentences of a transcript: split after end punctuation followed by a space, so "Amara.org"
# stays whole. Clauses split a sentence further at commas.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+")
_CLAUSE_BREAK = re.compile(r"(?<=[,;])\s+")

# Introductions before a name, in any of the four languages. Whisper writes "heiße" or
# "heisse", and a straight or curly apostrophe; on telephone audio it often mishears the
# Dutch "naam" ("laam", "aam") and the French "je" ("il m'appelle").
_INTRODUCTIONS = re.compile(
    r"(?<!\w)(?:"
    r"mijn\s+\w*aam\s+is|ik\s+heet|ik\s+ben|"
    r"m['’]\s?appelle|mon\s+nom\s+(?:est|c['’]est)|je\s+suis|"
    r"ich\s+hei(?:ß|ss|s)e|mein\s+name\s+ist|ich\s+bin|"
    r"my\s+name\s+is|my\s+name['’]s|i\s+am|i['’]m|this\s+is"
    r")(?!\w)",
    re.IGNORECASE,
)

# Hesitations, never part of a name.
_FILLERS = frozenset(
    {"euh", "euhm", "eh", "ehm", "uh", "uhm", "um", "umm", "hm", "hmm", "mm", "ah", "ahm", "ohm"}
)
# Words a caller may say before or after their name.
_LEADING = (
    "bonjour",
    "bonsoir",
    "salut",
    "allo",
    "hallo",
    "hello",
    "hi",
    "hey",
    "goedendag",
    "goeiedag",
    "goedemorgen",
    "goedemiddag",
    "guten tag",
    "good morning",
    "good afternoon",
    "oui",
    "ja",
    "yes",
    "ok",
    "okay",
    "alors",
    "nou",
    "well",
)
_TRAILING = (
    "merci beaucoup",
    "merci",
    "au revoir",
    "bedankt",
    "dank u wel",
    "dank je wel",
    "dankjewel",
    "dank u",
    "dank je",
    "tot ziens",
    "doei",
    "danke schon",
    "danke",
    "vielen dank",
    "auf wiedersehen",
    "tschuss",
    "thank you",
    "thanks",
    "bye",
    "goodbye",
)
# Name particles written lowercase after the first word ("Jan van Damme", "Anna von Berg").
_PARTICLES = frozenset(
    {"van", "de", "der", "den", "het", "ten", "ter", "von", "vom", "zu", "zum", "zur", "du", "des"}
)
# Common words that show a short transcript is a sentence rather than a name (nl, fr, de, en;
# particles such as "de" or "du" are name parts, so not here).
_NOT_NAME_WORDS = frozenset(
    word
    for words in (
        "ik jij u een is niet wel nee dat dit wat hoe waar met voor naar op in en maar of ook "
        "heb heeft ben bent zijn was weet",  # nl
        "je tu il elle nous vous les un une est pas non et ou mais pour avec dans sur que qui "
        "quoi ai suis c",  # fr
        "ich er sie wir ihr die das ein eine ist nicht nein und oder aber mit fur auf bin "
        "habe",  # de
        "i you he she we they the a an are not no and or but with for to of on it this what",  # en
    )
    for word in words.split()
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'’.][^\W\d_]+)*")
_MAX_NAME_WORDS = 5
_MAX_BARE_WORDS = 4  # a transcript without an introduction this short is taken as the name


# Whisper's own test for a decoder stuck in a loop: text that compresses too well.
MAX_COMPRESSION_RATIO = 2.4


@dataclass(frozen=True)
class NameGuess:
    """The name heard in a transcript.

    clear is False when the words found do not look like a name (a person should check it);
    whether the machine may keep the name unchecked is the name check's decision (namecheck.py).
    """

    name: str | None
    clear: bool
    words: tuple[str, ...] = ()  # the name's words as heard, before casing
    introduced: bool = False  # said after "mijn naam is", "je m'appelle", ...


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _normalise(text: str) -> str:
    """Casefold, drop accents, turn punctuation into spaces, collapse spaces."""
    text = _strip_accents(text.casefold())
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def normalize_name(name: str) -> str:
    """A key for comparing names: "Marie-Dupont" and "marie dupont" give the same key.

    Case, accents, punctuation and extra spaces are ignored. Used to spot the same name
    signed from different numbers (a possible duplicate for a person to review).
    """
    return _normalise(name)


def _is_hallucinated_sentence(sentence: str) -> bool:
    normalised = _normalise(sentence)
    if not normalised or _HALLUCINATED_PATTERNS.search(normalised):
        return True
    # "Thank you, thank you." and "Merci, merci beaucoup." are made of known pieces.
    return all(
        _normalise(clause) in _HALLUCINATED_SENTENCES for clause in _CLAUSE_BREAK.split(sentence)
    )


def strip_hallucinations(text: str) -> str:
    """Remove sentences Whisper is known to invent and non-speech tags; return what remains.

    "Sophie Dubois. Merci d'avoir regardé." gives "Sophie Dubois."; a transcript made only
    of hallucinations gives "".
    """
    text = _ANNOTATIONS.sub(" ", text)
    kept = [part for part in _SENTENCE_BREAK.split(text) if not _is_hallucinated_sentence(part)]
    return " ".join(" ".join(kept).split())


def is_hallucination(text: str) -> bool:
    """True when text holds nothing but known Whisper hallucinations, tags or punctuation.

    Examples: "Thanks for watching!", "Sous-titres réalisés par la communauté d'Amara.org",
    "[Musique]", "...". Empty text counts as well: nothing real was heard.
    """
    return strip_hallucinations(text) == ""


def _drop_phrase(words: list[str], phrases: tuple[str, ...], at_start: bool) -> list[str]:
    """Remove the phrases (normalised, several words allowed) repeatedly from one end."""
    changed = True
    while changed and words:
        changed = False
        for phrase in phrases:
            n = len(phrase.split())
            edge = words[:n] if at_start else words[-n:]
            if len(words) >= n and _normalise(" ".join(edge)) == phrase:
                words = words[n:] if at_start else words[:-n]
                changed = True
                break
    return words


def _clean_words(text: str) -> list[str]:
    """Split into words without surrounding punctuation, hesitations dropped."""
    words = [w.strip("\"“”„«»'’()[]{}.,;:!?-–—") for w in text.split()]
    return [w for w in words if w and _normalise(w) not in _FILLERS]


def _capitalise(part: str) -> str:
    """Capitalise a name part: o'brien -> O'Brien, d'hondt -> D'Hondt, but doesn't -> Doesn't."""
    if re.match(r"[^\W\d_]['’]\w", part):
        return part[:2].upper() + part[2:].capitalize()
    return part.capitalize()


def _skip_fillers(text: str) -> str:
    """Drop leading hesitations and punctuation: ", euh, Jan" -> "Jan"."""
    while True:
        text = text.lstrip(" ,:;-–—…")
        first = text.split(maxsplit=1)[0] if text.strip() else ""
        if not first or _normalise(first) not in _FILLERS:
            return text
        text = text[len(first) :]


def _title_case(words: list[str]) -> str:
    out = []
    for i, word in enumerate(words):
        if i > 0 and _normalise(word) in _PARTICLES:
            out.append(word.lower())
        elif word in (word.lower(), word.upper()):
            out.append("-".join(_capitalise(part) for part in word.split("-")))
        else:
            out.append(word)  # already mixed case, as Whisper writes "McDonald"; keep it
    return " ".join(out)


def _looks_like_name(words: list[str]) -> bool:
    if not all(_WORD.fullmatch(w) for w in words):
        return False
    if all(_normalise(w) in _PARTICLES for w in words):
        return False
    # Word by word and hyphen part by part: "Mareillez-vous" is not a name.
    return not any(part in _NOT_NAME_WORDS for w in words for part in _normalise(w).split())


def extract_name(text: str, language: str | None) -> NameGuess:
    """Find the name a caller said in a transcript.

    The name follows an introduction such as "mijn naam is", "je m'appelle", "ich heiße" or
    "my name is" (phrases of all four languages are tried whatever the language hint says)
    and ends at the next sentence or clause break. Without an introduction, a transcript of
    one to four words is taken as the name. Hesitations ("euh") and greetings or thanks
    around the name are dropped; the result is title-cased with particles such as "van" or
    "de" kept lowercase after the first word.

    clear is False when no name was found, when it has more than five words or digits, or
    when it does not look like a name (symbols, or common words such as "niet", "pas", "the":
    "I am calling about the petition"). Hallucinations and empty text give
    NameGuess(None, False). language is accepted for callers that know it; no rule needs it.
    """
    text = strip_hallucinations(text)
    if not text:
        return NameGuess(None, False)

    match = _INTRODUCTIONS.search(text)
    if match:
        rest = _skip_fillers(text[match.end() :])
        # The name ends at the first sentence or clause break after the introduction.
        rest = re.split(r"[.!?;,…]\s|[.!?;,…]$", rest, maxsplit=1)[0]
        words = _drop_phrase(_clean_words(rest), _LEADING, at_start=True)
    else:
        words = _drop_phrase(_clean_words(text), _LEADING, at_start=True)
    words = _drop_phrase(words, _TRAILING, at_start=False)

    if not words or (not match and len(words) > _MAX_BARE_WORDS):
        return NameGuess(None, False, introduced=match is not None)
    name = _title_case(words)
    clear = (
        len(words) <= _MAX_NAME_WORDS
        and not any(c.isdigit() for c in name)
        and _looks_like_name(words)
    )
    return NameGuess(name, clear, tuple(words), introduced=match is not None)


def compression_ratio(text: str) -> float:
    """Bytes of text over bytes compressed, as Whisper measures its own output."""
    data = text.encode()
    return len(data) / len(zlib.compress(data)) if data else 0.0


def is_repetition_loop(text: str, *, by_compression: bool = True) -> bool:
    """True when a transcript is a decoder stuck in a loop rather than something a caller said.

    Whisper sometimes repeats a phrase until the window ends ("J'ai eu une personne qui m'a dit
    que…" twenty times). Caught by Whisper's own compression-ratio test, or by a phrase of two
    or more words said three times in a row. One word repeated is not a loop: callers say their
    surname twice to make it clear ("Peeters, Peeters"). by_compression=False skips Whisper's
    test, for text that repeats by nature (several callers' "my name is ..." in one pack).
    """
    if by_compression and compression_ratio(text) > MAX_COMPRESSION_RATIO:
        return True
    words = _normalise(text).split()
    for size in range(2, len(words) // 3 + 1):
        for start in range(len(words) - 3 * size + 1):
            phrase = words[start : start + size]
            if (
                phrase
                == words[start + size : start + 2 * size]
                == words[start + 2 * size : start + 3 * size]
            ):
                return True
    return False
