"""The pure half of the lead import: columns, numbers, rows, blocks, merging, COPY encoding."""

from __future__ import annotations

from datetime import time

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialerd.domain import PhoneType
from dialerd.leads_import import (
    InvalidValue,
    LeadFileError,
    ParsedRow,
    RejectedRow,
    normalise_number,
    parse_block,
    parse_row,
    resolve_columns,
)
from dialerd.storage.lead_records import LeadRecord, merge_duplicates, merge_leads
from dialerd.storage.lead_staging import copy_text, stage_leads

M, L, U = PhoneType.MOBILE, PhoneType.LANDLINE, PhoneType.UNKNOWN


@pytest.mark.parametrize(
    ("raw", "region", "e164", "kind"),
    [
        ("050 123 4567", "UA", "+380501234567", M),
        ("+380 (67) 123-45-67", "UA", "+380671234567", M),
        ("380501234567", "UA", "+380501234567", M),
        ("044 123 4567", "UA", "+380441234567", L),
        ("+44 20 7946 0000", "UA", "+442079460000", L),
        ("07400 123456", "GB", "+447400123456", M),
        ("(212) 555-0134", "US", "+12125550134", U),  # FIXED_LINE_OR_MOBILE
        ("+1 800 555 0199", "UA", "+18005550199", U),  # toll free
    ],
)
def test_numbers_become_e164_with_a_type(raw: str, region: str, e164: str, kind: PhoneType) -> None:
    assert normalise_number(raw, region) == (e164, kind)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0441234", 'phone "0441234": not a valid number for region UA'),
        ("+44 12", 'phone "+44 12": not a valid number for country code +44'),
        ("call me", 'phone "call me": not a phone number'),
        ("+999 1234567", 'phone "+999 1234567": unknown country code'),
        ("1", 'phone "1": not a phone number'),
        ("+380501234567890123456", 'phone "+380501234567890123456": too long'),
    ],
)
def test_invalid_numbers_say_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        normalise_number(raw, "UA")
    assert str(raised.value) == reason


@settings(max_examples=400, deadline=None)
@given(
    digits=st.text(alphabet="0123456789", min_size=5, max_size=14),
    plus=st.booleans(),
    region=st.sampled_from(["UA", "US", "GB", "DE", "IT", "RU", "AR", "MX", "IN", "BR"]),
)
def test_number_type_alone_decides_validity_like_is_valid_number(
    digits: str, plus: bool, region: str
) -> None:
    """normalise_number skips is_valid_number for speed: the two must always agree."""
    try:
        number = phonenumbers.parse(("+" if plus else "") + digits, region)
    except phonenumbers.NumberParseException:
        return
    valid_by_type = phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.UNKNOWN
    assert valid_by_type == phonenumbers.is_valid_number(number)
    if valid_by_type:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert normalise_number(("+" if plus else "") + digits, region)[0] == e164


def reference(raw: str, region: str) -> tuple[str, PhoneType] | None:
    """What phonenumbers says by its slow, obvious path; None for a number it refuses."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    kind = {phonenumbers.PhoneNumberType.MOBILE: M, phonenumbers.PhoneNumberType.FIXED_LINE: L}
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, kind.get(phonenumbers.number_type(number), U)


def normalised_or_none(raw: str, region: str) -> tuple[str, PhoneType] | None:
    try:
        return normalise_number(raw, region)
    except InvalidValue:
        return None


EXAMPLES = [
    phonenumbers.format_number(example, style)
    for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    for kind in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
    )
    if (example := phonenumbers.example_number_for_type(region, kind)) is not None
    for style in (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
]
# Default regions that share a country code with another region, or strip odd prefixes.
REGIONS = ["UA", "US", "CA", "GB", "JE", "IM", "RU", "KZ", "AR", "BR", "MX", "IT", "DE", "IN"]


@pytest.mark.parametrize("region", REGIONS)
def test_every_example_number_of_every_region_normalises_as_phonenumbers_says(
    region: str,
) -> None:
    assert len(EXAMPLES) > 1000
    for raw in EXAMPLES:
        assert normalised_or_none(raw, region) == reference(raw, region), raw


@settings(max_examples=1500, deadline=None)
@given(
    country_code=st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
    digits=st.text(alphabet="0123456789", min_size=1, max_size=13),
    separator=st.sampled_from(["", " ", "-", ") ", "."]),
    region=st.sampled_from(REGIONS),
)
def test_international_numbers_normalise_as_phonenumbers_parse_says(
    country_code: int, digits: str, separator: str, region: str
) -> None:
    raw = f"+{country_code}{separator}{digits[:3]}{separator}{digits[3:]}"
    assert normalised_or_none(raw, region) == reference(raw, region)


# --- columns ----------------------------------------------------------------------------------


def test_columns_are_found_in_any_case_and_the_rest_become_fields() -> None:
    columns = resolve_columns(
        ["External_ID", " Name ", "PHONE", "City", "phones", "Phone2", "time_zone", "", ""]
    )
    assert columns.width == 7
    assert (columns.external_id, columns.name, columns.time_zone) == (0, 1, 6)
    assert columns.phones == ((2, False), (4, True), (5, False))
    assert columns.fields == ((3, "City"),)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["name", "city"], "no phone column: name one `phone`, `phones` or `phone1`"),
        (["phone", "Phone"], "column 'phone' appears twice"),
        (["phone", "", "name"], "column 2 has no name"),
        (["phone", "call_window", "call_window_end"], "give either `call_window` or"),
    ],
)
def test_unusable_headers_are_refused(header: list[str], message: str) -> None:
    with pytest.raises(LeadFileError, match=message):
        resolve_columns(header)


# --- rows -------------------------------------------------------------------------------------

HEADER = ["external_id", "name", "phone", "phones", "time_zone", "call_window", "city"]
COLUMNS = resolve_columns(HEADER)


def row(**values: str) -> list[str]:
    return [values.get(name, "") for name in HEADER]


def test_a_full_row_becomes_a_lead() -> None:
    parsed = parse_row(
        COLUMNS,
        "UA",
        7,
        row(
            external_id=" A-1 ",
            name="Olena",
            phone="050 123 4567",
            phones="+44 20 7946 0000 | 0671234567; 050-123-45-67",
            time_zone="Europe/Kyiv",
            call_window="9:30 - 18:00",
            city="Lviv",
        ),
    )
    assert parsed == ParsedRow(
        7,
        LeadRecord(
            phones=(("+380501234567", M), ("+442079460000", L), ("+380671234567", M)),
            external_id="A-1",
            name="Olena",
            time_zone="Europe/Kyiv",
            call_window=(time(9, 30), time(18)),
            fields={"city": "Lviv"},
        ),
    )


def test_a_row_keeps_its_valid_numbers_and_warns_about_the_others() -> None:
    parsed = parse_row(COLUMNS, "UA", 3, row(phone="0441234", phones="0501234567"))
    assert isinstance(parsed, ParsedRow)
    assert parsed.lead.phones == (("+380501234567", M),)
    assert parsed.lead.fields == {}
    assert parsed.warnings == (
        'phone "0441234": not a valid number for region UA; kept the row\'s other numbers',
    )


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"name": "Nobody"}, "no phone number"),
        (
            {"phone": "0441234", "phones": "12"},
            'phone "0441234": not a valid number for region UA; '
            'phone "12": not a valid number for region UA',
        ),
        (
            {"phone": "0501234567", "time_zone": "Europe/Kiev2"},
            'time_zone "Europe/Kiev2": not a known IANA time zone (e.g. Europe/Kyiv)',
        ),
        (
            {"phone": "0501234567", "call_window": "9-18"},
            'call_window "9-18": expected HH:MM-HH:MM, e.g. 09:00-18:00',
        ),
        (
            {"phone": "0501234567", "call_window": "09:00-25:00"},
            'call_window "09:00-25:00": not a time of day',
        ),
        (
            {"phone": "0501234567", "call_window": "10:00-10:00"},
            'call_window "10:00-10:00": starts and ends at the same time',
        ),
        (
            {"time_zone": "Nowhere"},
            'no phone number; time_zone "Nowhere": not a known IANA time zone (e.g. Europe/Kyiv)',
        ),
    ],
)
def test_rejected_rows_say_every_reason(values: dict[str, str], reason: str) -> None:
    assert parse_row(COLUMNS, "UA", 9, row(**values)) == RejectedRow(9, reason)


def test_extra_values_beyond_the_header_reject_the_row() -> None:
    cells = [*row(phone="0501234567"), "", "surplus"]
    assert parse_row(COLUMNS, "UA", 4, cells) == RejectedRow(
        4, "9 values but the header names 7 columns (check delimiter, quotes)"
    )


def test_a_short_row_and_empty_trailing_cells_are_fine() -> None:
    assert isinstance(parse_row(COLUMNS, "UA", 2, ["", "", "0501234567"]), ParsedRow)
    assert isinstance(parse_row(COLUMNS, "UA", 2, [*row(phone="0501234567"), "", " "]), ParsedRow)


def test_call_window_from_separate_columns() -> None:
    columns = resolve_columns(["phone", "call_window_start", "call_window_end"])
    parsed = parse_row(columns, "UA", 2, ["0501234567", "08:00", "20:30"])
    assert isinstance(parsed, ParsedRow)
    assert parsed.lead.call_window == (time(8), time(20, 30))
    assert parse_row(columns, "UA", 3, ["0501234567", "08:00", ""]) == RejectedRow(
        3, "call_window_end is empty but its pair is set"
    )


def test_a_block_keeps_quoted_newlines_in_one_record_and_counts_blank_rows() -> None:
    columns = resolve_columns(["phone", "note"])
    block = '0501234567,"two\nlines"\n\n0441234,x\r\n0671234567,"say ""hi"""\n'
    chunk = parse_block(columns, "UA", ",", block)
    assert chunk.records == 4
    assert chunk.rejected == [(2, 'phone "0441234": not a valid number for region UA')]
    assert chunk.staged.count == 2
    assert chunk.staged.leads.decode().splitlines() == [
        '0\t\\N\t+380501234567\t\t\\N\t\\N\t\\N\t{"note":"two\\\\nlines"}',
        '1\t\\N\t+380671234567\t\t\\N\t\\N\t\\N\t{"note":"say \\\\"hi\\\\""}',
    ]


# --- merging and staging ----------------------------------------------------------------------


def lead(*numbers: str, external_id: str | None = None, **values: object) -> LeadRecord:
    return LeadRecord(phones=tuple((n, M) for n in numbers), external_id=external_id, **values)  # type: ignore[arg-type]


def test_merging_unites_numbers_in_order_and_later_values_win() -> None:
    first = lead("+380501", "+380502", name="Olena", time_zone="Europe/Kyiv", fields={"a": "1"})
    later = lead("+380502", "+380503", name="", fields={"a": "2", "b": "3"})
    assert merge_leads(first, later) == lead(
        "+380501",
        "+380502",
        "+380503",
        name="Olena",
        time_zone="Europe/Kyiv",
        fields={"a": "2", "b": "3"},
    )


def test_duplicates_fold_by_external_id_or_else_by_first_number() -> None:
    unique, folded = merge_duplicates(
        [
            lead("+1", external_id="A"),
            lead("+2"),
            lead("+3", external_id="A"),
            lead("+2", "+4"),
            lead("+1"),  # no external id: a different person from "A" with the same number
            lead("+4"),
        ]
    )
    assert folded == 2
    assert [(u.external_id, [n for n, _ in u.phones]) for u in unique] == [
        ("A", ["+1", "+3"]),
        (None, ["+2", "+4"]),
        (None, ["+1"]),
        (None, ["+4"]),
    ]


def test_copy_text_escapes_what_copy_would_misread() -> None:
    assert copy_text(["a\tb", None, "back\\slash", "cr\r\nlf", 7, time(9, 5)]) == (
        "a\\tb\t\\N\tback\\\\slash\tcr\\r\\nlf\t7\t09:05:00\n"
    )


def test_staging_folds_duplicates_and_numbers_phones_per_lead() -> None:
    chunk = stage_leads([lead("+1", "+2", external_id="A"), lead("+3", external_id="A")])
    assert (chunk.count, chunk.folded) == (1, 1)
    assert chunk.phones.decode() == "0\t0\t+1\tmobile\n0\t1\t+2\tmobile\n0\t2\t+3\tmobile\n"
