import json
from datetime import UTC, date, datetime, timedelta

import pytest

from petition.counting.regions import Region
from petition.counting.thresholds import (
    ECI_COUNTRY_MINIMUMS,
    PRESETS,
    InvalidRule,
    Milestone,
    Rule,
    Tally,
    UnknownRule,
    custom_rule,
    progress,
    rule_for,
)
from petition.errors import PetitionError

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

FLANDERS, WALLONIA, BRUSSELS, UNKNOWN = (
    Region.FLANDERS,
    Region.WALLONIA,
    Region.BRUSSELS,
    Region.UNKNOWN,
)


def regional_tally(flanders=0, wallonia=0, brussels=0, unknown=0):
    return Tally(
        total=flanders + wallonia + brussels + unknown,
        by_region={FLANDERS: flanders, WALLONIA: wallonia, BRUSSELS: brussels, UNKNOWN: unknown},
    )


def region(result, which):
    return next(item for item in result.regions if item.region is which)


# Presets


def test_presets_are_exactly_the_parliaments_of_the_brief():
    assert set(PRESETS) == {
        "be-chamber",
        "flemish-parliament",
        "walloon-parliament",
        "brussels-parliament",
        "uk-parliament",
        "bundestag",
        "eci",
    }
    assert all(key == rule.key for key, rule in PRESETS.items())


def test_every_preset_says_honestly_that_the_parliament_will_not_count_voice_signatures():
    for rule in PRESETS.values():
        assert rule.identification_note
        assert "evidence of support" in rule.identification_note
        assert rule.eligibility


def test_chamber_note_names_e_id_and_itsme():
    note = PRESETS["be-chamber"].identification_note
    assert note is not None
    assert "e-ID or itsme" in note


def test_presets_cannot_be_changed_in_place():
    with pytest.raises(TypeError):
        PRESETS["be-chamber"].regional_minimums[FLANDERS] = 1  # type: ignore[index]


# Belgian Chamber: 25,000 of which 14,500 / 8,000 / 2,500


def test_chamber_is_reached_exactly_at_every_regional_minimum():
    result = progress(PRESETS["be-chamber"], regional_tally(14_500, 8_000, 2_500), NOW)

    assert result.reached
    assert result.missing == 0
    assert result.percent == 100.0
    assert [item.reached for item in result.regions] == [True, True, True, True]


def test_chamber_is_not_reached_one_signature_below_a_regional_minimum():
    result = progress(PRESETS["be-chamber"], regional_tally(14_499, 8_001, 2_500), NOW)

    assert result.total == 25_000
    assert not result.reached
    assert result.missing == 1
    assert result.percent == 99.9
    assert region(result, FLANDERS).missing == 1
    assert not region(result, FLANDERS).reached
    assert region(result, WALLONIA).reached


def test_chamber_is_not_reached_when_a_region_has_no_signatures_at_all():
    result = progress(PRESETS["be-chamber"], regional_tally(20_000, 10_000, 0), NOW)

    assert result.total == 30_000
    assert not result.reached
    assert region(result, BRUSSELS).count == 0
    assert region(result, BRUSSELS).missing == 2_500
    assert result.missing == 2_500
    assert result.percent == 90.0


def test_unknown_region_counts_in_the_total_but_toward_no_regional_minimum():
    result = progress(PRESETS["be-chamber"], regional_tally(14_500, 8_000, 2_499, unknown=1), NOW)

    assert result.total == 25_000
    assert not result.reached
    assert result.missing == 1
    unknown = region(result, UNKNOWN)
    assert (unknown.count, unknown.minimum, unknown.missing) == (1, 0, 0)


def test_chamber_shows_the_three_regions_then_the_unknown_bucket():
    result = progress(PRESETS["be-chamber"], regional_tally(), NOW)

    assert [(item.region, item.minimum) for item in result.regions] == [
        (FLANDERS, 14_500),
        (WALLONIA, 8_000),
        (BRUSSELS, 2_500),
        (UNKNOWN, 0),
    ]
    assert result.missing == 25_000
    assert result.percent == 0.0


def test_regions_met_but_total_short_misses_the_rest_of_the_total():
    rule = custom_rule(100, {FLANDERS: 10})
    result = progress(rule, regional_tally(flanders=10, unknown=80), NOW)

    assert result.missing == 10
    assert not result.reached


def test_region_counts_may_be_keyed_by_plain_strings():
    # Rows read from the database may carry the stored string rather than the enum.
    by_region = {"flanders": 14_500, "wallonia": 8_000, "brussels": 2_500}
    tally = Tally(total=25_000, by_region=by_region)  # type: ignore[arg-type]

    assert progress(PRESETS["be-chamber"], tally, NOW).reached


# Flemish and Walloon Parliaments: one number


@pytest.mark.parametrize(
    ("key", "target"), [("flemish-parliament", 15_000), ("walloon-parliament", 1_000)]
)
def test_single_number_parliament_is_reached_at_its_number_and_not_one_below(key, target):
    at = progress(PRESETS[key], Tally(total=target), NOW)
    below = progress(PRESETS[key], Tally(total=target - 1), NOW)

    assert at.reached and at.missing == 0
    assert not below.reached and below.missing == 1
    assert below.percent < 100.0
    assert at.regions == () and at.countries == ()


# Brussels Parliament: 1,000 signers domiciled in Brussels


def test_brussels_parliament_counts_only_brussels_signatures():
    result = progress(
        PRESETS["brussels-parliament"], regional_tally(3_000, 1_000, 999, unknown=500), NOW
    )

    assert result.total == 5_499
    assert not result.reached
    assert result.missing == 1
    assert result.percent == 99.9
    assert [item.region for item in result.regions] == [BRUSSELS, UNKNOWN]


def test_brussels_parliament_is_reached_at_one_thousand_brussels_signatures():
    result = progress(PRESETS["brussels-parliament"], regional_tally(brussels=1_000), NOW)

    assert result.reached


def test_brussels_parliament_without_postcodes_makes_no_progress():
    result = progress(PRESETS["brussels-parliament"], regional_tally(unknown=2_000), NOW)

    assert not result.reached
    assert result.missing == 1_000
    assert result.percent == 0.0


# UK Parliament: 10,000 for a response, 100,000 for a debate


def test_uk_response_milestone_is_reached_at_ten_thousand_and_debate_is_not():
    result = progress(PRESETS["uk-parliament"], Tally(total=10_000), NOW)

    response, debate = result.milestones
    assert (response.target, response.reached, response.missing) == (10_000, True, 0)
    assert (debate.target, debate.reached, debate.missing) == (100_000, False, 90_000)
    assert result.reached


def test_uk_debate_milestone_is_reached_at_one_hundred_thousand_and_not_one_below():
    at = progress(PRESETS["uk-parliament"], Tally(total=100_000), NOW)
    below = progress(PRESETS["uk-parliament"], Tally(total=99_999), NOW)

    assert [item.reached for item in at.milestones] == [True, True]
    assert [item.reached for item in below.milestones] == [True, False]
    assert below.milestones[1].missing == 1


def test_uk_nothing_is_reached_one_below_ten_thousand():
    result = progress(PRESETS["uk-parliament"], Tally(total=9_999), NOW)

    assert not result.reached
    assert [item.reached for item in result.milestones] == [False, False]


# Bundestag: 30,000 within six weeks of the opening

OPENED = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def test_bundestag_is_reached_inside_its_six_week_window():
    tally = Tally(total=30_000, opened_at=OPENED, counted_in_window=30_000)
    result = progress(PRESETS["bundestag"], tally, OPENED + timedelta(days=41))

    assert result.reached
    assert result.closes_at == OPENED + timedelta(days=42)
    assert not result.expired


def test_bundestag_counts_only_the_signatures_inside_the_window():
    tally = Tally(total=31_000, opened_at=OPENED, counted_in_window=29_999)
    result = progress(PRESETS["bundestag"], tally, OPENED + timedelta(days=10))

    assert result.total == 31_000
    assert result.counted == 29_999
    assert result.missing == 1
    assert not result.reached


def test_bundestag_is_not_reached_once_its_window_has_passed():
    tally = Tally(total=40_000, opened_at=OPENED, counted_in_window=30_000)
    result = progress(PRESETS["bundestag"], tally, OPENED + timedelta(days=42))

    assert result.expired
    assert not result.reached
    assert not result.milestones[0].reached
    assert result.missing == 0


def test_bundestag_window_has_not_started_before_the_campaign_opens():
    result = progress(PRESETS["bundestag"], Tally(total=0), NOW)

    assert result.closes_at is None
    assert not result.expired


def test_window_count_defaults_to_every_counted_signature():
    tally = Tally(total=30_000, opened_at=OPENED)

    assert progress(PRESETS["bundestag"], tally, OPENED + timedelta(days=1)).reached


def test_window_count_is_ignored_by_a_rule_without_a_window():
    tally = Tally(total=15_000, opened_at=OPENED, counted_in_window=10)

    assert progress(PRESETS["flemish-parliament"], tally, NOW).counted == 15_000


# European Citizens' Initiative: 1,000,000 from at least 7 Member States above their minimum


def eci_tally(countries_at_minimum, rest_in="DE"):
    by_country = {code: ECI_COUNTRY_MINIMUMS[code] for code in countries_at_minimum}
    by_country[rest_in] = by_country.get(rest_in, 0) + 1_000_000 - sum(by_country.values())
    return Tally(total=sum(by_country.values()), by_country=by_country)


SEVEN = ["DE", "FR", "IT", "ES", "PL", "BE", "MT"]


def test_eci_is_reached_with_a_million_and_seven_countries_at_their_minimum():
    result = progress(PRESETS["eci"], eci_tally(SEVEN), NOW)

    assert result.total == 1_000_000
    assert result.countries_reached == 7
    assert result.min_countries == 7
    assert result.reached


def test_eci_is_not_reached_with_a_million_from_only_six_countries():
    result = progress(PRESETS["eci"], eci_tally(SEVEN[:6]), NOW)

    assert result.total == 1_000_000
    assert result.countries_reached == 6
    assert not result.reached
    # The cheapest seventh country: Cyprus, Luxembourg or Malta, 4,320 each.
    assert result.missing == 4_320


def test_eci_country_one_below_its_minimum_is_not_counted_as_reached():
    tally = eci_tally(SEVEN)
    by_country = dict(tally.by_country)
    by_country["MT"] -= 1
    by_country["DE"] += 1
    result = progress(PRESETS["eci"], Tally(total=1_000_000, by_country=by_country), NOW)

    malta = next(item for item in result.countries if item.country == "MT")
    assert (malta.count, malta.minimum, malta.missing, malta.reached) == (4_319, 4_320, 1, False)
    assert result.countries_reached == 6
    assert result.missing == 1
    assert not result.reached


def test_eci_lists_all_27_member_states_and_accepts_lower_case_codes():
    result = progress(PRESETS["eci"], Tally(total=69_120, by_country={"de": 69_120}), NOW)

    assert len(result.countries) == 27
    assert result.countries_reached == 1
    assert result.missing == 1_000_000 - 69_120


def test_eci_minimums_are_the_2024_2029_meps_times_720():
    seats = {
        "AT": 20, "BE": 22, "BG": 17, "CY": 6, "CZ": 21, "DE": 96, "DK": 15, "EE": 7, "ES": 61,
        "FI": 15, "FR": 81, "GR": 21, "HR": 12, "HU": 21, "IE": 14, "IT": 76, "LT": 11, "LU": 6,
        "LV": 9, "MT": 6, "NL": 31, "PL": 53, "PT": 21, "RO": 33, "SE": 21, "SI": 9, "SK": 15,
    }  # fmt: skip
    assert sum(seats.values()) == 720
    assert dict(ECI_COUNTRY_MINIMUMS) == {code: mep * 720 for code, mep in seats.items()}
    assert ECI_COUNTRY_MINIMUMS["DE"] == 69_120
    assert ECI_COUNTRY_MINIMUMS["BE"] == 15_840
    assert ECI_COUNTRY_MINIMUMS["MT"] == 4_320


# Custom rules


def test_custom_rule_with_regional_minimums_is_reached_exactly_at_them():
    rule = custom_rule(1_000, {FLANDERS: 600, WALLONIA: 300}, title="Schools")

    assert rule.title == "Schools"
    assert progress(rule, regional_tally(600, 300, 100), NOW).reached
    short = progress(rule, regional_tally(600, 299, 101), NOW)
    assert not short.reached
    assert short.missing == 1


def test_custom_rule_drops_a_regional_minimum_of_zero():
    rule = custom_rule(500, {FLANDERS: 0, BRUSSELS: 100})

    assert dict(rule.regional_minimums) == {BRUSSELS: 100}


def test_custom_rule_without_regional_minimums_shows_no_regions():
    result = progress(custom_rule(10), Tally(total=10), NOW)

    assert result.reached
    assert result.regions == ()
    assert result.milestones[0].label == "Custom threshold"


def test_custom_rule_counts_through_the_whole_deadline_day():
    rule = custom_rule(100, deadline=date(2025, 3, 1))
    last_minute = datetime(2025, 3, 1, 23, 59, 59, tzinfo=UTC)

    result = progress(rule, Tally(total=100), last_minute)

    assert result.reached
    assert result.closes_at == datetime(2025, 3, 2, tzinfo=UTC)


def test_custom_rule_is_not_reached_after_its_deadline_even_with_the_number():
    rule = custom_rule(100, deadline=date(2025, 2, 28))

    result = progress(rule, Tally(total=500), NOW)

    assert result.expired
    assert not result.reached


def test_custom_rule_refuses_regional_minimums_above_its_total():
    with pytest.raises(InvalidRule):
        custom_rule(100, {FLANDERS: 60, WALLONIA: 60})


def test_a_rule_refuses_a_minimum_for_the_unknown_region():
    with pytest.raises(InvalidRule):
        custom_rule(100, {UNKNOWN: 10})


def test_a_rule_refuses_milestones_that_do_not_start_at_its_total():
    with pytest.raises(InvalidRule):
        Rule(key="x", title="x", total=10, milestones=(Milestone("more", 20),))


def test_a_rule_refuses_milestones_out_of_order():
    with pytest.raises(InvalidRule):
        Rule(key="x", title="x", total=10, milestones=(Milestone("a", 10), Milestone("b", 5)))


# rule_for


def test_rule_for_returns_the_preset():
    assert rule_for("be-chamber") is PRESETS["be-chamber"]


def test_rule_for_builds_a_custom_rule():
    rule = rule_for("custom", custom_total=500, regional_minimums={BRUSSELS: 100})

    assert rule.key == "custom"
    assert rule.total == 500
    assert dict(rule.regional_minimums) == {BRUSSELS: 100}


def test_rule_for_an_unknown_key_raises_unknown_rule():
    with pytest.raises(UnknownRule):
        rule_for("senate")


def test_rule_for_custom_without_a_total_is_invalid():
    with pytest.raises(InvalidRule):
        rule_for("custom")


def test_rule_for_a_preset_refuses_custom_numbers():
    with pytest.raises(InvalidRule):
        rule_for("be-chamber", custom_total=1_000)


def test_rule_errors_are_domain_errors_the_edge_can_answer():
    assert issubclass(UnknownRule, PetitionError)
    assert issubclass(InvalidRule, PetitionError)


# to_dict


def test_progress_to_dict_is_plain_json():
    tally = Tally(total=25_000, by_region={FLANDERS: 25_000}, opened_at=OPENED)
    data = progress(PRESETS["be-chamber"], tally, NOW).to_dict()

    assert json.loads(json.dumps(data)) == data
    assert data["key"] == "be-chamber"
    assert data["reached"] is False
    assert data["missing"] == 10_500
    assert data["regions"][0] == {
        "region": "flanders",
        "count": 25_000,
        "minimum": 14_500,
        "missing": 0,
        "reached": True,
    }
    assert data["milestones"][0]["target"] == 25_000
    assert "e-ID" in data["identification_note"]


def test_progress_to_dict_writes_the_closing_time_as_iso_8601():
    tally = Tally(total=1, opened_at=OPENED)
    data = progress(PRESETS["bundestag"], tally, NOW).to_dict()

    assert data["closes_at"] == "2025-02-12T09:00:00+00:00"
    assert data["window_days"] == 42
    assert data["expired"] is True
