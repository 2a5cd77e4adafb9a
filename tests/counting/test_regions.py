import pytest

from petition.counting.regions import Region, parse_postcode, region_for_postcode, region_label


@pytest.mark.parametrize(
    ("postcode", "region"),
    [
        ("1000", Region.BRUSSELS),
        ("1299", Region.BRUSSELS),
        ("1300", Region.WALLONIA),
        ("1499", Region.WALLONIA),
        ("1500", Region.FLANDERS),
        ("3999", Region.FLANDERS),
        ("4000", Region.WALLONIA),
        ("4699", Region.WALLONIA),
        ("4700", Region.WALLONIA),
        ("4791", Region.WALLONIA),
        ("4792", Region.WALLONIA),
        ("7999", Region.WALLONIA),
        ("8000", Region.FLANDERS),
        ("9999", Region.FLANDERS),
    ],
)
def test_each_postcode_boundary_falls_in_the_right_region(postcode, region):
    assert region_for_postcode(postcode) is region


def test_german_speaking_community_counts_as_walloon_region():
    assert region_for_postcode("4700") is Region.WALLONIA  # Eupen
    assert region_for_postcode("4780") is Region.WALLONIA  # Sankt Vith


@pytest.mark.parametrize("digits", ["999", "0999", "10000", "12a", "", None, " 1000", "1000#"])
def test_anything_but_four_digits_from_1000_to_9999_is_no_postcode(digits):
    assert parse_postcode(digits) is None
    assert region_for_postcode(digits) is Region.UNKNOWN


def test_non_ascii_digits_are_no_postcode():
    assert parse_postcode("\u0661\u0662\u0663\u0664") is None  # Arabic-Indic 1234


@pytest.mark.parametrize("digits", ["1000", "4791", "9999"])
def test_a_valid_postcode_is_returned_unchanged(digits):
    assert parse_postcode(digits) == digits


def test_region_labels_are_the_official_names_in_each_language():
    assert region_label(Region.FLANDERS, "en") == "Flemish Region"
    assert region_label(Region.WALLONIA, "fr") == "Région wallonne"
    assert region_label(Region.BRUSSELS, "nl") == "Brussels Hoofdstedelijk Gewest"
    assert region_label(Region.BRUSSELS, "de") == "Region Brüssel-Hauptstadt"


def test_every_region_has_a_label_in_every_language():
    for language in ("nl", "fr", "de", "en"):
        for region in Region:
            assert region_label(region, language)


def test_region_label_accepts_a_regional_language_tag_and_falls_back_to_english():
    assert region_label(Region.FLANDERS, "nl-BE") == "Vlaams Gewest"
    assert region_label(Region.FLANDERS, "es") == "Flemish Region"


def test_region_values_are_the_plain_strings_stored_and_sent_as_json():
    assert Region("brussels") is Region.BRUSSELS
    assert Region.UNKNOWN == "unknown"
