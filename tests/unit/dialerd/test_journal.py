"""The outcome journal on a real file: round trip, torn last line, lock, failed append."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialerd.domain import AttemptResult, NextDial, Outcome, PhoneState
from dialerd.errors import Fatal
from dialerd.journal import Journal, decode, encode

WHEN = datetime(2026, 12, 2, 9, 30, 15, 250000, tzinfo=UTC)


def item(n: int) -> tuple[AttemptResult, list[NextDial]]:
    result = AttemptResult(
        attempt_id=uuid.UUID(int=n),
        outcome=Outcome.CONNECTED if n % 2 else Outcome.BUSY,
        ended_at=WHEN,
        originated_at=WHEN,
        answered_at=WHEN if n % 2 else None,
        ast_reason=4,
        hangup_cause=16,
        agent="agent71" if n % 2 else None,
        hold_s=1.5,
        talk_s=42.0,
    )
    return result, [NextDial(n, PhoneState.SCHEDULED, WHEN), NextDial(n + 1, PhoneState.DONE, None)]


def test_every_field_survives_a_round_trip() -> None:
    for n in (1, 2):
        assert decode(encode(item(n))) == item(n)


def test_what_was_appended_is_read_back_in_order_and_clear_empties_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state")
    journal.open()
    journal.append([item(1), item(2)])
    journal.append([item(3)])
    assert Journal(tmp_path / "state").read() == [item(1), item(2), item(3)]
    journal.clear()
    journal.append([item(4)])
    journal.close()
    assert Journal(tmp_path / "state").read() == [item(4)]


def test_a_torn_last_line_is_skipped_and_the_rest_kept(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.open()
    journal.append([item(1), item(2)])
    journal.close()
    with journal.path.open("ab") as handle:
        handle.write(encode(item(3))[:40])  # the crash came in the middle of a write
    assert Journal(tmp_path).read() == [item(1), item(2)]


def test_a_second_daemon_on_the_same_state_directory_is_refused(tmp_path: Path) -> None:
    first = Journal(tmp_path)
    first.open()
    with pytest.raises(Fatal, match="in use by another dialerd"):
        Journal(tmp_path).open()
    first.close()
    Journal(tmp_path).open()  # free again once the first has let go


def test_an_unwritable_directory_is_a_clear_fatal_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(Fatal, match="cannot open the outcome journal"):
        Journal(tmp_path / "file" / "state").open()
