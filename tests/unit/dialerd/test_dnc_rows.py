"""Do-not-call entries as written by people: each bad row named by its row number and reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialerd.dnc_rows import DncRequest, InvalidEntry, parse_expiry, parse_number, read_csv

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_numbers_become_e164_with_the_region_for_national_ones() -> None:
    assert parse_number("+380 50 123 4567", None) == "+380501234567"
    assert parse_number("050 123 4567", "UA") == "+380501234567"
    with pytest.raises(InvalidEntry, match="not a valid phone number"):
        parse_number("+380 12", None)
    with pytest.raises(InvalidEntry, match="050 123 4567"):
        parse_number("050 123 4567", None)  # no region: cannot tell the country


def test_expiry_is_utc_and_in_the_future() -> None:
    assert parse_expiry("", NOW) is None
    assert parse_expiry("2027-01-01", NOW) == datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_expiry("2027-01-01T03:00+02:00", NOW) == datetime(2027, 1, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidEntry, match="already in the past"):
        parse_expiry("2026-11-30", NOW)
    with pytest.raises(InvalidEntry, match="expected a date or time"):
        parse_expiry("next week", NOW)


def test_csv_rows_keep_their_numbers_and_bad_ones_say_why(tmp_path: Path) -> None:
    path = tmp_path / "dnc.csv"
    path.write_text(
        "Number,lead_id,expires_at,reason\n"
        "+380501234567,,,asked\n"
        ",42,2027-06-30,\n"
        "\n"
        "0501234567,,,national\n"
        "+380501234567,42,,\n"
        "not a number,,,\n"
        ",-3,,\n"
        "+380671112233,,yesterday,\n"
    )
    rows = dict(read_csv(path, "UA", NOW))
    assert rows[2] == DncRequest("+380501234567", None, "asked")
    assert rows[3] == DncRequest(None, 42, "", datetime(2027, 6, 30, tzinfo=UTC))
    assert 4 not in rows  # a blank row is no entry, and no error
    assert rows[5] == DncRequest("+380501234567", None, "national")
    errors = {n: str(r) for n, r in rows.items() if isinstance(r, InvalidEntry)}
    assert sorted(errors) == [6, 7, 8, 9]
    assert errors[6] == "give exactly one of number and lead_id"
    assert "not a number" in errors[7]
    assert "positive whole number" in errors[8]
    assert "yesterday" in errors[9]


def test_a_header_without_number_or_lead_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dnc.csv"
    path.write_text("phone,notes\n+380501234567,x\n")
    with pytest.raises(InvalidEntry, match="row 1: the header needs number"):
        list(read_csv(path, "UA", NOW))
