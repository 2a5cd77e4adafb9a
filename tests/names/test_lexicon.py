"""The name lexicon: known names, sound-alike suggestions, casing of particles, its data."""

from __future__ import annotations

import time

import pytest

from petition.names import lexicon_build
from petition.names.lexicon import fold, format_name, lexicon, phonetic_key, suggest


def test_committed_name_data_is_what_the_generator_makes_from_faker() -> None:
    committed = lexicon_build.DATA_FILE.read_text(encoding="utf-8")
    assert committed == lexicon_build.render(), "run: python -m petition.names.lexicon_build"


def test_every_list_is_in_the_lexicon_with_its_weights() -> None:
    lex = lexicon()
    for source in lexicon_build.SOURCES:
        assert len(lex.names("given", source)) > 300
        assert len(lex.names("surname", source)) > 300
    assert ("Peeters", 27625.0) in lex.names("surname", "nl_BE")


def test_maes_and_maas_suggest_each_other() -> None:
    assert "Thomas Maes" in suggest("Thomas Maas", "nl")
    assert "Thomas Maas" in suggest("Thomas Maes", "nl")
    assert {"Maes", "Maas", "Maesen"} <= set(suggest("Maes", None, limit=5))


def test_maes_maas_and_maesen_share_a_phonetic_key() -> None:
    assert phonetic_key("Maes") == phonetic_key("Maas") == phonetic_key("Maesen")
    assert phonetic_key("Van den Bossche") == phonetic_key("vandenbosch")
    assert phonetic_key("De Clercq") == phonetic_key("De Clerck")
    assert phonetic_key("Van Dyck") == phonetic_key("Van Dijck")


def test_suggestions_are_known_names_that_sound_alike() -> None:
    assert "Jan Peeters" in suggest("Jan Peter", "nl")
    assert "Kris De Clercq" in suggest("Kris De Klerk", "nl")
    assert "Robert Van Hoof" in suggest("Robert Vanho", "nl")
    assert "Anna Schmidt" in suggest("Anna Schmit", "de")


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 5])
def test_never_more_suggestions_than_the_limit(limit: int) -> None:
    for heard in ["Thomas Maas", "Jan Peeters Janssens", "Maes", "Kris De Clercq"]:
        assert len(suggest(heard, "nl", limit=limit)) <= limit


def test_an_unknown_reading_is_not_offered_back_as_a_suggestion() -> None:
    # "Peetars" is no known surname: Peeters is offered, the reading itself is not.
    heard = "Jan Peetars"
    assert not lexicon().is_surname("Peetars")
    offered = suggest(heard, "nl", limit=10)
    assert "Jan Peeters" in offered
    assert fold(heard) not in {fold(s) for s in offered}
    assert suggest("Xyzzy Qwrtp", "en") == []


def test_a_known_reading_may_be_among_its_suggestions() -> None:
    assert suggest("Sophie Dubois", "fr")[0] == "Sophie Dubois"


def test_suggestions_are_fast_enough_for_tens_of_thousands_of_names() -> None:
    lexicon()  # loaded once per process, not per name
    start = time.perf_counter()
    for _ in range(50):
        suggest("Robbe Van Hoof", "nl")
    assert (time.perf_counter() - start) / 50 < 0.010


@pytest.mark.parametrize(
    ("heard", "written"),
    [
        ("de smet", "De Smet"),
        ("jan de smet", "Jan De Smet"),
        ("van den bossche", "Van den Bossche"),
        ("vandenbossche", "Van den Bossche"),
        ("VAN DAMME", "Van Damme"),
        ("d'hooghe", "D'Hooghe"),
        ("d’ hooghe", "D'Hooghe"),
        ("d'hondt", "D'Hondt"),
        ("de ghellinck", "de Ghellinck"),
        ("marie de ghellinck", "Marie de Ghellinck"),
        ("anna von berg", "Anna von Berg"),
        ("op de beeck", "Op de Beeck"),
        ("piet van der elst", "Piet Van der Elst"),
        ("o'brien", "O'Brien"),
        ("jean-pierre dupont", "Jean-Pierre Dupont"),
        ("desmet", "Desmet"),
    ],
)
def test_names_are_cased_and_spaced_as_they_are_written(heard: str, written: str) -> None:
    assert format_name(heard) == written


def test_formatting_takes_a_list_of_words_too() -> None:
    assert format_name(["jan", "de", "smet"]) == "Jan De Smet"


@pytest.mark.parametrize(
    "heard", ["andre maes", "Jurgen Muller", "de smet", "vandenbossche", "d'hooghe", "Zoë De Wit"]
)
def test_formatting_never_changes_a_letter(heard: str) -> None:
    def letters(text: str) -> str:
        return "".join(c for c in text.lower() if c.isalpha())

    assert letters(format_name(heard)) == letters(heard)


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("Jürgen", "given"),  # German (de_DE)
        ("Müller", "surname"),
        ("Amélie", "given"),  # French-speaking Belgium (fr_BE)
        ("Lambert", "surname"),
        ("Oliver", "given"),  # English (en_GB)
        ("O'Brien", "surname"),
        ("Lotte", "given"),  # Dutch-speaking Belgium (nl_BE)
        ("Van den Bossche", "surname"),
        ("De Smet", "surname"),
    ],
)
def test_names_of_every_language_are_known(word: str, kind: str) -> None:
    lex = lexicon()
    if kind == "given":
        assert lex.is_given(word) and lex.given_frequency(word) > 0
    else:
        assert lex.is_surname(word) and lex.surname_frequency(word) > 0


def test_matching_folds_case_accents_and_spaces() -> None:
    lex = lexicon()
    assert lex.is_given("jurgen") and lex.is_given("AMELIE")
    assert lex.is_surname("van den bossche") and lex.is_surname("Vandenbossche")
    assert lex.surname_frequency("MAES") == lex.surname_frequency("Maes")


def test_unknown_words_have_frequency_zero() -> None:
    lex = lexicon()
    assert lex.given_frequency("Xyzzy") == 0.0
    assert lex.surname_frequency("Petitie") == 0.0
    assert not lex.is_given("") and lex.surname_frequency("") == 0.0


def test_common_names_are_more_frequent_than_rare_ones() -> None:
    lex = lexicon()
    assert lex.surname_frequency("Peeters") > lex.surname_frequency("Maes")
    assert lex.surname_frequency("Maes") > lex.surname_frequency("Maas") > 0
