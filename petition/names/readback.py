"""Read-back: the caller confirms their own name while still on the line.

After the beep the recording is decoded at once; the caller hears "We heard: Sophie Dubois,
D, U, B, O, I, S" and presses 1 when that is right. A name read back as heard confirms how it
sounds, not how it is written (Mr Maes hears "Maas" and agrees), so the surname is spelled
letter by letter. A caller who presses 2 spells the surname on the keypad; the best matching
surnames are read back in turn, at most MAX_CANDIDATES, and 1 confirms one.

A name the caller confirmed gets the status `caller`, and the audit log records it as the
caller's own confirmation. Nothing here holds the count back: the signature was counted (or
held) before the read-back began, and a silence or a hang-up leaves the name as it was.
"""

from __future__ import annotations

import sqlalchemy.orm as so

from petition import audit
from petition.models import NameStatus, Signature, SignatureState
from petition.names import keypad, lexicon
from petition.names.reading import normalize_name

# The caller never waits longer than this after the recording ends: past it, the thank-you.
LONGEST_WAIT_SECONDS = 6.0
# Spelled surnames offered one after the other before the name goes to a person.
MAX_CANDIDATES = 3
# The actor of the caller's own decisions in the audit log.
CALLER = "caller"
# The parts of a name a caller may spell, as the lexicon calls its lists.
SURNAME, GIVEN = "surname", "given"
PARTS = (SURNAME, GIVEN)
# Decisions on a name the read-back may still change: a person's decision is final.
_OPEN_TO_THE_CALLER = (NameStatus.MACHINE, NameStatus.TO_CHECK, NameStatus.CALLER)


def open_to_the_caller(signature: Signature) -> bool:
    """Whether the caller may still confirm or spell this signature's name: the caller spoke
    (it counts, or waits for a person), and no person has decided on the name."""
    return (
        signature.state in (SignatureState.COUNTED, SignatureState.NEEDS_REVIEW)
        and signature.name_status in _OPEN_TO_THE_CALLER
    )


def name_to_read_back(signature: Signature) -> str | None:
    """The name the caller should hear, or None when there is none to confirm (no name heard,
    a silent or repeated call, or a name a person already decided on)."""
    return signature.name if open_to_the_caller(signature) and signature.name else None


def letters(word: str | None) -> list[str]:
    """A word's letters as they are read out: D, U, B, O, I, S (spaces and hyphens skipped,
    accents kept: the carrier's voice says É)."""
    return [c.upper() for c in word or "" if c.isalpha()]


def surname_of(name: str | None) -> str | None:
    """The surname part of a full name, as the caller will spell it."""
    return keypad.split_heard(name)[1]


def given_name_of(name: str | None) -> str | None:
    return keypad.split_heard(name)[0]


def spelled_name(heard: str | None, surname: str) -> str:
    """The name with the surname the caller spelled: the heard given name, then the surname."""
    return with_part(heard, SURNAME, surname)


def with_part(name: str | None, part: str, spelling: str) -> str:
    """`name` with its surname or its given name (`part`) replaced by what the caller spelled."""
    given, surname = keypad.split_heard(name)
    if part == SURNAME:
        surname = spelling
    else:
        given = spelling
    return " ".join(p for p in (given, surname) if p)


def spellings(signature: Signature, part: str, keys: str) -> list[str]:
    """Spellings of a part of the signature's name that fit `keys` (see `spellings_of`)."""
    return spellings_of(signature.name, signature.language, part, keys)


def spellings_of(
    name: str | None,
    language: str | None,
    part: str,
    keys: str,
    *,
    held_out: frozenset[str] = frozenset(),
) -> list[str]:
    """Spellings of a part of `name` that fit `keys`, best first, at most MAX_CANDIDATES: the
    lexicon's names, ranked by how close each sounds to what was heard, then spellings a
    model of names builds on those keys. `held_out`: names the lexicon is to treat as unknown
    (an evaluation of names outside it)."""
    given, surname = keypad.split_heard(name)
    heard = surname if part == SURNAME else given
    found = keypad.candidates(
        keys,
        heard,
        kind="surname" if part == SURNAME else "given",
        language=language,
        held_out=held_out,
    )
    return [c.spelling for c in found[:MAX_CANDIDATES]]


def exact_key(part: str) -> str:
    """Where an exact (two-key) spelling of a part is kept with the recording."""
    return f"{part}_exact"


def exact_spelling(pairs: str) -> str | None:
    """The name an exact two-key spelling writes ("61213274" -> "Maes"), cased as names are."""
    keys = keypad.parse_key_pairs(pairs)
    return lexicon.format_name(keys.keys) if keys.ok and keys.keys else None


def keep_keys(signature: Signature, part: str, keys: str) -> None:
    """Keep the keys the caller pressed with the recording: evidence for a reviewer, deleted
    with the recording."""
    recording = signature.recording
    recording.keypad = {**(recording.keypad or {}), part: keys}


def how_spelled(part: str, *, exact: bool) -> str:
    """How the caller gave a part of the name, in the words the audit log keeps."""
    name = "surname" if part == SURNAME else "first name"
    return f"{name} keyed letter by letter" if exact else f"{name} spelled on the keypad"


def confirm(session: so.Session, signature: Signature, name: str, *, how: str) -> bool:
    """The caller pressed 1 on `name`; `how` they gave it ("as heard", or `how_spelled`) goes
    in the audit log. Returns False when nothing changed: a repeated callback, or a name a
    person has decided on since."""
    if signature.name_status not in _OPEN_TO_THE_CALLER:
        return False
    if signature.name_status == NameStatus.CALLER and signature.name == name:
        return False
    before = audit.snapshot(signature)
    signature.name = name
    signature.name_key = normalize_name(name)
    signature.name_status = NameStatus.CALLER
    audit.record(
        session,
        actor=CALLER,
        action="caller_confirmed",
        signature=signature,
        before=before,
        after=audit.snapshot(signature),
        note=how,
    )
    return True


def refuse(session: so.Session, signature: Signature) -> bool:
    """The caller said the name read back is wrong and did not spell one that fits: the name
    waits for a person (a machine reading the name check called clear, or a name whose
    surname the caller confirmed but not the given name)."""
    if signature.name_status not in (NameStatus.MACHINE, NameStatus.CALLER):
        return False
    before = audit.snapshot(signature)
    signature.name_status = NameStatus.TO_CHECK
    audit.record(
        session,
        actor=CALLER,
        action="caller_refused",
        signature=signature,
        before=before,
        after=audit.snapshot(signature),
    )
    return True
