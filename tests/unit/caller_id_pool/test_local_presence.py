"""Ukrainian and Russian customers get a caller ID of their own mobile operator when the
pool has one (the issue's must-show), with real network codes, and the prefix table rules."""

from __future__ import annotations

import pytest

from caller_id_pool import (
    DEFAULT_PREFIXES,
    Chosen,
    Classifier,
    CustomerHistory,
    InvalidNumber,
    PrefixEntry,
    PrefixTable,
    Rules,
    prefix_entry,
    select,
)
from caller_id_pool.prefixes import RUSSIA, UKRAINE
from tests.unit.caller_id_pool.support import (
    BEELINE,
    KYIVSTAR,
    LIFECELL,
    MEGAFON,
    MTS,
    NOW,
    T2,
    VODAFONE_UA,
    pool_of,
)

POOL = pool_of(KYIVSTAR, VODAFONE_UA, LIFECELL, MTS, MEGAFON, BEELINE, T2)
OWN = {
    "Kyivstar": KYIVSTAR,
    "Vodafone": VODAFONE_UA,
    "lifecell": LIFECELL,
    "MTS": MTS,
    "MegaFon": MEGAFON,
    "Beeline": BEELINE,
    "T2": T2,
}

CUSTOMERS = [
    # Ukraine: Kyivstar 067/068/096/097/098, Vodafone 050/066/095/099, lifecell 063/073/093
    *(("+380" + code + "4445566", "Kyivstar") for code in ("67", "68", "96", "97", "98")),
    *(("+380" + code + "4445566", "Vodafone") for code in ("50", "66", "95", "99")),
    *(("+380" + code + "4445566", "lifecell") for code in ("63", "73", "93")),
    # Russia: codes held (>= 90 % of capacity) by one operator in the numbering register
    *(("+7" + code + "4445566", "MTS") for code in ("910", "915", "916", "919", "985", "989")),
    *(("+7" + code + "4445566", "MegaFon") for code in ("920", "925", "926", "929", "937")),
    *(("+7" + code + "4445566", "Beeline") for code in ("903", "905", "906", "960", "968")),
    *(("+7" + code + "4445566", "T2") for code in ("950", "951", "952", "953")),
    # mixed codes: phonenumbers' finer carrier ranges answer
    ("+79011234567", "T2"),
    ("+79771234567", "T2"),
]


@pytest.mark.parametrize(("customer", "operator"), CUSTOMERS)
def test_customer_gets_a_number_of_their_own_operator(customer: str, operator: str) -> None:
    classifier = Classifier()
    to = classifier.profile(customer)
    assert to.operator == operator
    result = select(POOL, to, CustomerHistory(), {}, Rules(), NOW)
    assert isinstance(result, Chosen)
    assert result.number.number == OWN[operator]
    assert result.reason.startswith(f"same operator {operator},")


def test_when_the_own_operator_number_was_seen_last_another_is_presented() -> None:
    to = Classifier().profile("+79161112233")
    result = select(POOL, to, CustomerHistory((MTS,)), {}, Rules(), NOW)
    assert isinstance(result, Chosen)
    assert result.number.number != MTS


def test_the_campaign_table_wins_over_the_shipped_one() -> None:
    ported = Classifier(PrefixTable().merged([prefix_entry("+7916111", "MegaFon")]))
    assert ported.profile("+79161112233").operator == "MegaFon"
    assert ported.profile("+79162223344").operator is None  # no table, no carrier data
    merged = Classifier(DEFAULT_PREFIXES.merged([prefix_entry("7916111", "Tele2", "Moscow")]))
    profile = merged.profile("+79161112233")
    assert (profile.operator, profile.region) == ("T2", "Moscow")
    assert merged.profile("+79169998877").operator == "MTS"


def test_an_operator_known_from_a_portability_lookup_wins() -> None:
    to = Classifier().profile("+79161112233", operator="beeline")
    result = select(POOL, to, CustomerHistory(), {}, Rules(), NOW)
    assert isinstance(result, Chosen)
    assert result.number.number == BEELINE


def test_an_admin_may_spell_tele2_the_old_way() -> None:
    tele2 = Classifier().pool_number("+79581234567", operator="Tele2")
    assert tele2.profile.operator == "T2"
    to = Classifier().profile("+79521112233")
    result = select((tele2, *POOL[:3]), to, CustomerHistory(), {}, Rules(), NOW)
    assert isinstance(result, Chosen)
    assert result.number.number == "+79581234567"


def test_the_shipped_table_covers_every_listed_code() -> None:
    shipped = Classifier()
    for country_code, table in (("380", UKRAINE), ("7", RUSSIA)):
        for operator, codes in table.items():
            for code in codes:
                number = f"+{country_code}{code}1234567"
                assert shipped.profile(number).operator == operator, number
    without_table = Classifier(PrefixTable())
    assert without_table.profile(MTS).operator is None  # phonenumbers lacks the 91x codes


def test_landlines_have_area_code_and_region() -> None:
    profile = Classifier().profile("+74957654321")
    assert (profile.country, profile.area_code, profile.region) == ("RU", "7495", "Moscow")
    profile = Classifier().profile("+380441234567")
    assert (profile.area_code, profile.region, profile.operator) == ("38044", "Kyiv city", None)


@pytest.mark.parametrize("bad", ["0671234567", "+38067123", "+380 67 123 45 67", "+1555"])
def test_pool_numbers_must_be_valid_e164(bad: str) -> None:
    with pytest.raises(InvalidNumber, match=r"not a valid E\.164 number"):
        Classifier().pool_number(bad)


def test_prefix_entries_are_checked() -> None:
    with pytest.raises(ValueError, match="must be digits"):
        prefix_entry("+7-916", "MTS")
    assert prefix_entry(" +7916 ", " mts ") == PrefixEntry("7916", "MTS")
