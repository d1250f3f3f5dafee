"""What a disposition code does to its lead: a pure mapping, read by the recorder and storage.

docs/agents.md lists the codes; dialerd.storage.disposition_acts does the acts in PostgreSQL.
"""

from __future__ import annotations

import enum

from dialerd.domain import Disposition

__all__ = ["Act", "act_of"]


class Act(enum.StrEnum):
    """What recording a disposition does to the lead, beyond keeping it."""

    CLOSE = "close"  # no more attempts on the lead
    CALLBACK = "callback"  # a callback booked at the disposition's time
    DNC = "dnc"  # the number on the global do-not-call list
    WRONG_NUMBER = "wrong_number"  # that phone stops; the lead's next phone goes on
    NOTE = "note"  # nothing: the centre's own code


_ACTS = {
    "sale": Act.CLOSE,
    "not_interested": Act.CLOSE,
    "dnc": Act.DNC,
    "wrong_number": Act.WRONG_NUMBER,
}


def act_of(disposition: Disposition) -> Act:
    """The act of a code; ``callback`` acts only with a time (without one it is a note)."""
    if disposition.code == "callback":
        return Act.CALLBACK if disposition.callback_at is not None else Act.NOTE
    return _ACTS.get(disposition.code, Act.NOTE)
