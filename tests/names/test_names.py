"""Names from transcripts: hallucinations, the name after an introduction, comparison keys."""

from __future__ import annotations

import pytest

from petition.names.reading import (
    extract_name,
    is_hallucination,
    is_repetition_loop,
    normalize_name,
    strip_hallucinations,
)

HALLUCINATIONS = [
    "Sous-titres réalisés par la communauté d'Amara.org",
    "Thank you for watching",
    "Thanks for watching!",
    "Ondertiteld door de Amara.org gemeenschap",
    "Untertitel im Auftrag des ZDF, 2017",
    "Untertitel der Amara.org-Community",
    "Sous-titrage ST' 501",
    "Merci d'avoir regardé",
    "Merci d'avoir regardé cette vidéo !",
    "Bedankt voor het kijken.",
    "Vielen Dank fürs Zuschauen!",
    "Subtitles by the Amara.org community",
    "Ondertiteling TV Gelderland 2021",
    "you",
    " You. ",
    "Ik",
    "Merci.",
    "Thank you. Thank you.",
    ".",
    "...",
    "♪",
    "♪ ♪",
    "♪ la la la ♪",
    "[Musique]",
    "[MUSIC]",
    "(Musik)",
    "*applaus*",
    "",
]

NAMES = ["Sophie Dubois", "Jan Peeters", "Anna Schmidt", "John Smith", "Amara Diallo", "Ik Sun"]


def read(text: str, language: str | None) -> tuple[str | None, bool]:
    """The name found and whether it looks like a name."""
    guess = extract_name(text, language)
    return guess.name, guess.clear


@pytest.mark.parametrize("text", HALLUCINATIONS)
def test_known_whisper_hallucination_is_recognised(text: str) -> None:
    assert is_hallucination(text)


@pytest.mark.parametrize("text", HALLUCINATIONS)
def test_hallucination_string_never_becomes_a_name(text: str) -> None:
    assert read(text, "fr") == (None, False)


@pytest.mark.parametrize(
    "text", ["SOUS TITRES REALISES PAR LA COMMUNAUTE D AMARA ORG", "thanks for watching"]
)
def test_hallucination_matches_regardless_of_case_accents_and_punctuation(text: str) -> None:
    assert is_hallucination(text)


@pytest.mark.parametrize("name", NAMES)
def test_real_name_is_never_a_hallucination(name: str) -> None:
    assert not is_hallucination(name)
    assert strip_hallucinations(name) == name


def test_hallucinated_sentence_is_stripped_and_the_name_kept() -> None:
    text = "Sophie Dubois. Sous-titres réalisés par la communauté d'Amara.org"
    assert strip_hallucinations(text) == "Sophie Dubois."


def test_music_markers_are_stripped_around_speech() -> None:
    assert strip_hallucinations("♪ [Musique] Je m'appelle Sophie Dubois.") == (
        "Je m'appelle Sophie Dubois."
    )


def test_transcript_made_only_of_hallucinations_strips_to_nothing() -> None:
    assert strip_hallucinations("Thanks for watching! Merci d'avoir regardé.") == ""


@pytest.mark.parametrize(
    ("text", "language", "name"),
    [
        ("Je m'appelle Sophie Dubois.", "fr", "Sophie Dubois"),
        ("Je m’appelle Sophie Dubois", "fr", "Sophie Dubois"),
        ("Mon nom est Sophie Dubois.", "fr", "Sophie Dubois"),
        ("Je suis Sophie Dubois.", "fr", "Sophie Dubois"),
        ("Mijn naam is Jan Peeters.", "nl", "Jan Peeters"),
        ("Ik heet Jan Peeters", "nl", "Jan Peeters"),
        ("Ik ben Jan Peeters.", "nl", "Jan Peeters"),
        ("Ich heiße Anna Schmidt.", "de", "Anna Schmidt"),
        ("Ich heisse Anna Schmidt.", "de", "Anna Schmidt"),
        ("Mein Name ist Anna Schmidt.", "de", "Anna Schmidt"),
        ("Ich bin Anna Schmidt.", "de", "Anna Schmidt"),
        ("My name is John Smith.", "en", "John Smith"),
        ("I am John Smith.", "en", "John Smith"),
        ("I'm John Smith.", "en", "John Smith"),
        ("Hi, this is John Smith.", "en", "John Smith"),
    ],
)
def test_name_after_an_introduction_is_found(text: str, language: str, name: str) -> None:
    assert read(text, language) == (name, True)


def test_introduction_in_another_language_than_the_hint_still_works() -> None:
    assert extract_name("Je m'appelle Sophie Dubois.", "nl").name == "Sophie Dubois"
    assert extract_name("Mijn naam is Jan Peeters.", None).name == "Jan Peeters"


def test_name_ends_at_the_next_sentence() -> None:
    text = "My name is John Smith. I support this petition."
    assert read(text, "en") == ("John Smith", True)


def test_hesitations_greetings_and_thanks_around_the_name_are_dropped() -> None:
    text = "Bonjour, euh, je m'appelle euh Sophie Dubois, merci."
    assert read(text, "fr") == ("Sophie Dubois", True)
    assert extract_name("Ähm, ich heiße, äh, Anna Schmidt", "de").name == "Anna Schmidt"
    assert extract_name("Uh, Jan Peeters, bedankt", "nl").name == "Jan Peeters"


def test_name_is_title_cased_with_particles_lowercase_after_the_first_word() -> None:
    assert extract_name("ik ben jan van den broeck", "nl").name == "Jan van den Broeck"
    assert extract_name("MEIN NAME IST ANNA VON BERG", "de").name == "Anna von Berg"
    assert extract_name("je m'appelle jean-pierre d'hondt", "fr").name == "Jean-Pierre D'Hondt"
    assert extract_name("my name is mary o'brien", "en").name == "Mary O'Brien"
    assert extract_name("De Smet Jan", "nl").name == "De Smet Jan"


def test_mixed_case_as_whisper_wrote_it_is_kept() -> None:
    assert extract_name("My name is Ronald McDonald.", "en").name == "Ronald McDonald"


def test_short_transcript_without_introduction_is_the_name() -> None:
    assert read("Jan Peeters.", "nl") == ("Jan Peeters", True)
    assert read("sophie dubois", "fr") == ("Sophie Dubois", True)


def test_long_transcript_without_introduction_has_no_name() -> None:
    text = "Hello? Is this the petition line? I wanted to say something."
    assert read(text, "en") == (None, False)


def test_short_sentence_without_introduction_is_not_a_clear_name() -> None:
    guess = extract_name("ik weet het niet", "nl")
    assert guess.name is not None and not guess.clear


def test_name_with_digits_is_not_clear() -> None:
    assert read("Mijn naam is Jan 123", "nl") == ("Jan 123", False)


def test_name_longer_than_five_words_is_not_clear() -> None:
    guess = extract_name("I am John Paul George Ringo Pete Stuart", "en")
    assert guess.name == "John Paul George Ringo Pete Stuart" and not guess.clear


def test_introduction_without_a_name_has_no_name() -> None:
    assert read("Mijn naam is...", "nl") == (None, False)


def test_empty_transcript_has_no_name() -> None:
    assert read("", None) == (None, False)
    assert read("   ", "en") == (None, False)


def test_name_beside_a_hallucination_is_still_found() -> None:
    text = "Je m'appelle Sophie Dubois. Merci d'avoir regardé cette vidéo."
    assert read(text, "fr") == ("Sophie Dubois", True)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sophie Dubois", "sophie dubois"),
        ("Marie-Dupont", "Marie Dupont"),
        ("Élodie Lefèvre", "Elodie Lefevre"),
        ("  Jan   Peeters. ", "Jan Peeters"),
        ("Jean-Pierre D'Hondt", "jean pierre d hondt"),
    ],
)
def test_same_name_written_differently_has_the_same_key(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


def test_different_names_have_different_keys() -> None:
    assert normalize_name("Jan Peeters") != normalize_name("Jan Peters")
    assert normalize_name("Maes") != normalize_name("Maas")


def test_introduction_followed_by_a_sentence_is_not_a_clear_name() -> None:
    guess = extract_name("I am calling about the petition.", "en")
    assert guess.name is not None and not guess.clear


@pytest.mark.parametrize(
    "text",
    [
        " ".join(["J'ai eu une personne qui m'a dit que"] * 20),
        "Mijn naam is Jan, mijn naam is Jan, mijn naam is Jan, mijn naam is Jan",
        "Jan Peeters Jan Peeters Jan Peeters",
    ],
)
def test_a_phrase_said_over_and_over_is_a_repetition_loop(text: str) -> None:
    assert is_repetition_loop(text)


@pytest.mark.parametrize(
    "text",
    [
        "Mijn naam is Jan Peeters, Peeters, Peeters.",  # the surname said again to be clear
        "Jan Peeters. Jan Peeters.",  # the name said twice
        "Je m'appelle Sophie Dubois",
        "",
    ],
)
def test_a_name_said_again_is_not_a_loop(text: str) -> None:
    assert not is_repetition_loop(text)
