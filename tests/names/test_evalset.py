"""The name-check evaluation set: reproducible calls, a manifest a benchmark can read."""

from __future__ import annotations

import wave
from collections import Counter
from pathlib import Path

import pytest

from bench import evalset


def test_generating_twice_gives_the_same_bytes_and_a_valid_manifest(tmp_path: Path) -> None:
    first = evalset.generate(tmp_path / "a", count=4)
    second = evalset.generate(tmp_path / "b", count=4)

    manifest = (tmp_path / "a" / evalset.MANIFEST).read_bytes()
    assert manifest == (tmp_path / "b" / evalset.MANIFEST).read_bytes()
    for a, b in zip(first, second, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()

    calls = evalset.load_manifest(tmp_path / "a")
    assert [c.id for c in calls] == ["c0001", "c0002", "c0003", "c0004"]
    assert {c.language for c in calls} == {"nl", "fr", "de", "en"}
    for call in calls:
        with wave.open(str(call.path), "rb") as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
            assert 1.0 < wav.getnframes() / 8000 <= evalset.MAX_SECONDS
        assert call.name is not None and call.name.full in call.said
        assert call.name.full == f"{call.name.given} {call.name.surname}"
        assert 10 <= call.snr_db <= 30 and 130 <= call.speed_wpm <= 190


def test_the_halves_are_balanced_per_language_and_phrasing() -> None:
    calls = evalset.plan()
    assert len(calls) >= 480
    halves = Counter(c.split for c in calls)
    assert halves["tune"] == halves["holdout"] >= 240
    per_cell = Counter((c.language, c.phrasing, c.split) for c in calls)
    for language in evalset.LANGUAGES:
        for phrasing in evalset.PHRASINGS:
            assert per_cell[language, phrasing, "tune"] == per_cell[language, phrasing, "holdout"]


def test_calls_without_a_name_have_no_truth() -> None:
    calls = evalset.plan()
    no_name = [c for c in calls if c.phrasing in evalset.NO_NAME_PHRASINGS]
    assert no_name and all(c.name is None for c in no_name)
    assert all(c.name is not None for c in calls if c.phrasing not in evalset.NO_NAME_PHRASINGS)
    loop = next(c for c in no_name if c.phrasing == "loop")
    assert loop.said.count(evalset.PHRASINGS["loop"][loop.language]) == evalset.LOOP_REPEATS


def test_a_smaller_set_is_the_start_of_the_full_one() -> None:
    assert evalset.plan(10) == evalset.plan()[:10]


def test_loading_a_missing_set_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="python -m bench.evalset generate"):
        evalset.load_manifest(tmp_path)
