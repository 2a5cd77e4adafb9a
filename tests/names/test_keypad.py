"""Keypad spelling: keys of names, what the carrier sends, candidates to read back."""

from __future__ import annotations

import pytest

from petition.names.keypad import (
    MAX_KEYS,
    Candidate,
    KeyProblem,
    Keys,
    candidates,
    fits,
    letters_to_keys,
    parse_keys,
    split_heard,
)
from petition.names.lexicon import lexicon

DUBOIS = "382647"


def spellings(found: list[Candidate]) -> list[str]:
    return [c.spelling for c in found]


# -- keys of a name ----------------------------------------------------------------------------


def test_dubois_is_keyed_382647() -> None:
    assert letters_to_keys("Dubois") == DUBOIS
    assert letters_to_keys("DUBOIS") == letters_to_keys("dubois") == DUBOIS


def test_maes_and_maas_have_different_keys() -> None:
    assert letters_to_keys("Maes") == "6237"
    assert letters_to_keys("Maas") == "6227"


def test_spaces_hyphens_apostrophes_and_accents_have_no_key() -> None:
    assert letters_to_keys("Van den Bossche") == letters_to_keys("VANDENBOSSCHE")
    assert letters_to_keys("Van den Bossche") == "8263362677243"
    assert letters_to_keys("D'Hooghe") == letters_to_keys("DHOOGHE") == "3466443"
    assert letters_to_keys("Lefèvre") == letters_to_keys("LEFEVRE") == "5333873"
    assert letters_to_keys("Peeters-Janssens") == letters_to_keys("PEETERSJANSSENS")


def test_letters_are_folded_as_the_lexicon_folds_them() -> None:
    assert letters_to_keys("Strauß") == letters_to_keys("Strauss")
    assert letters_to_keys("Ærts") == letters_to_keys("Aerts")
    assert letters_to_keys("François") == letters_to_keys("FRANCOIS") == "37262647"


# -- what the carrier sends --------------------------------------------------------------------


def test_keys_ending_with_hash_are_read_without_it() -> None:
    assert parse_keys("382647#") == Keys("382647")
    assert parse_keys("382647") == Keys("382647")
    assert parse_keys(" 6237# ").ok


def test_a_star_mid_spelling_starts_again() -> None:
    assert parse_keys("3826*382647#") == Keys("382647")
    assert parse_keys("62*27*6237") == Keys("6237")


def test_nothing_after_the_last_star_is_empty() -> None:
    assert parse_keys("382647*").problem is KeyProblem.EMPTY
    assert parse_keys("#").problem is KeyProblem.EMPTY
    assert parse_keys("").problem is KeyProblem.EMPTY
    assert parse_keys(None).problem is KeyProblem.EMPTY


@pytest.mark.parametrize("digits", ["3826471#", "0", "62037", "1*1"])
def test_keys_0_and_1_carry_no_letters(digits: str) -> None:
    parsed = parse_keys(digits)
    assert parsed.problem is KeyProblem.NO_LETTERS
    assert parsed.keys == ""
    assert not parsed.ok


def test_forty_keys_are_too_long_and_the_limit_itself_is_not() -> None:
    assert parse_keys("2" * 40 + "#").problem is KeyProblem.TOO_LONG
    assert parse_keys("2" * (MAX_KEYS + 1)).problem is KeyProblem.TOO_LONG
    assert parse_keys("2" * MAX_KEYS) == Keys("2" * MAX_KEYS)
    # Starting again after a long run leaves only the new keys.
    assert parse_keys("2" * 40 + "*6237#") == Keys("6237")


def test_characters_no_phone_key_sends_are_a_problem() -> None:
    assert parse_keys("38A647").problem is KeyProblem.NOT_KEYS
    assert parse_keys("38#647").problem is KeyProblem.NOT_KEYS
    assert parse_keys("٣٨٢").problem is KeyProblem.NOT_KEYS  # Arabic-Indic digits


# -- candidates from the lexicon ---------------------------------------------------------------


@pytest.mark.parametrize("heard", ["Dubois", "Duboi", "dubois", None])
def test_dubois_keys_give_dubois_first(heard: str | None) -> None:
    found = candidates(DUBOIS, heard)
    assert found[0] == Candidate("Dubois", "lexicon", found[0].score)
    assert found[0].letters == "DUBOIS"


def test_the_keys_decide_between_maes_and_maas_whatever_was_heard() -> None:
    assert candidates(letters_to_keys("Maes"), "Maas")[0].spelling == "Maes"
    assert candidates(letters_to_keys("Maas"), "Maes")[0].spelling == "Maas"
    assert "Maas" not in spellings(candidates(letters_to_keys("Maes"), "Maas"))


def test_surnames_with_the_same_keys_are_ranked_by_what_was_heard() -> None:
    # Morris and Norris are both 667747; Morris is the commoner, Norris was heard.
    assert letters_to_keys("Morris") == letters_to_keys("Norris")
    lex = lexicon()
    assert lex.surname_frequency("Morris") > lex.surname_frequency("Norris")
    found = candidates(letters_to_keys("Norris"), "Noris")
    assert spellings(found)[:2] == ["Norris", "Morris"]
    assert [c.source for c in found[:2]] == ["lexicon", "lexicon"]


def test_surnames_with_the_same_keys_are_ranked_by_frequency_when_nothing_was_heard() -> None:
    assert spellings(candidates("667747", None))[:2] == ["Morris", "Norris"]
    assert spellings(candidates("667747", ""))[:2] == ["Morris", "Norris"]


def test_de_bock_heard_beats_the_commoner_de_cock_with_the_same_keys() -> None:
    assert letters_to_keys("De Bock") == letters_to_keys("De Cock") == "332625"
    assert lexicon().surname_frequency("De Cock") > lexicon().surname_frequency("De Bock")
    assert spellings(candidates("332625", "De Bok"))[:2] == ["De Bock", "De Cock"]
    assert spellings(candidates("332625", None))[:2] == ["De Cock", "De Bock"]


def test_particles_are_written_as_the_lexicon_writes_them() -> None:
    found = candidates(letters_to_keys("Van den Bossche"), "Vandenbosch")
    assert found[0].spelling == "Van den Bossche"
    assert found[0].letters == "VANDENBOSSCHE"


def test_de_smet_and_desmet_are_one_candidate_written_as_heard() -> None:
    keys = letters_to_keys("De Smet")
    heard_apart, heard_joined, unheard = (
        candidates(keys, "De Smet")[0],
        candidates(keys, "desmet")[0],
        candidates(keys, None)[0],
    )
    assert (heard_apart.spelling, heard_apart.variants) == ("De Smet", ("Desmet",))
    assert (heard_joined.spelling, heard_joined.variants) == ("Desmet", ("De Smet",))
    assert unheard.spelling == "De Smet"  # the commoner form in Statbel's list
    assert spellings(candidates(keys, "De Smet")).count("Desmet") == 0


def test_an_apostrophe_the_lexicon_has_is_restored() -> None:
    # Statbel lists D'Hondt, D'hondt and Dhondt: the keys cannot tell them apart.
    found = candidates(letters_to_keys("D'Hondt"), "Dont")[0]
    assert found.spelling == "D'Hondt"
    assert found.variants == ("Dhondt",)


def test_accents_the_lexicon_has_are_restored() -> None:
    assert candidates(letters_to_keys("Liégeois"), "Liegeois")[0].spelling == "Liégeois"
    assert candidates(letters_to_keys("Grégoire"), "Gregor")[0].spelling == "Grégoire"
    assert candidates(letters_to_keys("Frère"), None)[0].spelling == "Frère"


def test_given_names_are_looked_up_among_given_names() -> None:
    assert candidates(letters_to_keys("Sophie"), "Sofie", kind="given")[0].spelling == "Sophie"
    first = candidates(letters_to_keys("Sophie"), "Sofie", kind="surname")[0]
    assert first.source == "model"


def test_never_more_candidates_than_the_limit() -> None:
    for limit in (0, 1, 2, 5):
        assert len(candidates("667747", "Norris", limit=limit)) == limit
    assert candidates("667747", "Norris", limit=1)[0].spelling == "Norris"


def test_keys_with_no_letters_are_refused() -> None:
    for keys in ("", "3826471", "38#647"):
        with pytest.raises(ValueError):
            candidates(keys, "Dubois")


# -- candidates from the letter model ----------------------------------------------------------


def test_an_unknown_surname_is_spelled_from_the_heard_letters_that_fit() -> None:
    keys = letters_to_keys("Vermeullen")
    assert not lexicon().is_surname("Vermeullen")
    found = candidates(keys, "Vermeulen")
    assert found[0] == Candidate("Vermeullen", "model", found[0].score)
    assert all(letters_to_keys(c.spelling) == keys for c in found)
    assert len(found) == 3


def test_a_heard_spelling_that_fits_the_keys_is_kept_as_written() -> None:
    assert not lexicon().is_surname("D'Hooghe")
    found = candidates(letters_to_keys("D'Hooghe"), "D'Hooghe")
    assert found[0].spelling == "D'Hooghe"
    assert found[0].source == "model"


def test_model_spellings_fit_the_keys_and_are_title_cased_without_anything_heard() -> None:
    keys = letters_to_keys("Verstraetenx")
    found = candidates(keys, None)
    assert [c.source for c in found] == ["model"] * 3
    assert len({c.spelling for c in found}) == 3
    for c in found:
        assert letters_to_keys(c.spelling) == keys
        assert c.spelling[0].isupper() and c.spelling[1:].islower()
    assert found[0].score >= found[1].score >= found[2].score


def test_a_model_spelling_starting_with_van_is_written_apart_as_most_known_names_are() -> None:
    found = candidates(letters_to_keys("Vanhoutteghem"), "Van Houtegem")
    assert found[0].spelling.startswith("Van ")
    assert all(letters_to_keys(c.spelling) == letters_to_keys("Vanhoutteghem") for c in found)


def test_known_names_come_before_model_spellings_which_fill_the_other_places() -> None:
    found = candidates(DUBOIS, "Dubois")
    assert [c.source for c in found] == ["lexicon", "model", "model"]
    assert all(letters_to_keys(c.spelling) == DUBOIS for c in found)


def test_a_held_out_name_is_no_lexicon_candidate_but_the_model_can_still_spell_it() -> None:
    found = candidates(DUBOIS, "Dubois", held_out=frozenset({"Dubois"}))
    assert "lexicon" not in {c.source for c in found}
    assert found[0].spelling == "Dubois"
    assert candidates(DUBOIS, "Dubois")[0].source == "lexicon"  # the cache kept them apart


# -- a typed name against the keys -------------------------------------------------------------


def test_a_typed_name_fits_the_keys_when_its_letters_do() -> None:
    assert fits("6237", "Maes")
    assert fits("6237", "maës")
    assert not fits("6237", "Maas")
    assert fits("8263362677243", "Van den Bossche")
    assert fits("8263362677243", "Vandenbossche")
    assert not fits("8263362677243", "Van den Bosch")


def test_a_full_name_fits_when_its_surname_does() -> None:
    assert fits("8263362677243", "Jan Van den Bossche")
    assert fits("6237", "Marie Jeanne Maes")
    assert not fits("6237", "Maes Jan")


def test_empty_keys_fit_no_name() -> None:
    assert not fits("", "")
    assert not fits("", "Maes")
    assert not fits("6237", "")


# -- the heard name ----------------------------------------------------------------------------


def test_a_heard_full_name_is_split_before_its_particles() -> None:
    assert split_heard("Jan Van den Bossche") == ("Jan", "Van den Bossche")
    assert split_heard("Kris de Smet") == ("Kris", "de Smet")
    assert split_heard("Anna von Berg") == ("Anna", "von Berg")
    assert split_heard("Sophie D' Hooghe") == ("Sophie", "D'Hooghe")


def test_a_heard_full_name_without_particles_ends_with_its_surname() -> None:
    assert split_heard("Sophie Dubois") == ("Sophie", "Dubois")
    assert split_heard("Marie Jeanne Dubois.") == ("Marie Jeanne", "Dubois")
    assert split_heard("Emma Peeters Janssens") == ("Emma", "Peeters Janssens")


def test_one_heard_word_is_a_surname_and_nothing_is_nothing() -> None:
    assert split_heard("Maes") == (None, "Maes")
    assert split_heard("Van den Bossche") == (None, "Van den Bossche")
    assert split_heard("  ") == (None, None)
    assert split_heard(None) == (None, None)


def test_a_name_said_surname_first_is_turned_round() -> None:
    assert split_heard("Peeters Jan") == ("Jan", "Peeters")
    assert split_heard("Thomas Maes") == ("Thomas", "Maes")
