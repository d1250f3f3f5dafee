"""The `amd` key of a campaign file: answering machine detection, and what each result gets.

Kept apart from dialerd.config so the campaign model gains one field. Off by default. When
on, the dialplan snippet (config/asterisk/dialerd.conf) runs Asterisk's AMD() on the answered
call before it is queued, with the parameters below (milliseconds, the names of amd.conf),
and reports the result in the user event DialerdAmd (docs/amd.md). The defaults were chosen
from the table `bench/amd` measures in the lab (docs/amd.md): they are not Asterisk's.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

# What an answered call gets once AMD has classified it:
#   agent    queue it, as a person (a machine then costs an agent's time)
#   hangup   hang up at once (a person misclassified hears silence: a silent call)
#   message  wait for the beep, play the campaign's message, hang up (a voicemail drop)
Action = Literal["agent", "hangup", "message"]
SOUND_PATTERN = r"^[A-Za-z0-9_/.-]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _bounded(low: int, high: int, default: int, description: str) -> int:
    return Field(default, ge=low, le=high, description=description)


class AmdSettings(_Strict):
    enabled: bool = False
    initial_silence_ms: int = _bounded(
        500, 10_000, 2500, "silence before the greeting longer than this: a machine"
    )
    greeting_ms: int = _bounded(500, 10_000, 1500, "a greeting longer than this: a machine")
    after_greeting_silence_ms: int = _bounded(
        100, 5000, 500, "silence after the greeting longer than this: a person"
    )
    total_analysis_ms: int = _bounded(
        1000, 10_000, 5000, "undecided after this long: not sure (NOTSURE, TOOLONG)"
    )
    min_word_length_ms: int = _bounded(10, 2000, 100, "a shorter sound is not a word")
    between_words_silence_ms: int = _bounded(10, 2000, 50, "a shorter pause does not end a word")
    max_number_of_words: int = _bounded(1, 20, 3, "this many words (or more): a machine")
    silence_threshold: int = _bounded(1, 32_767, 256, "average sample level below which is silence")
    max_word_length_ms: int = _bounded(100, 10_000, 5000, "a longer word: a machine")
    machine: Action = "hangup"
    notsure: Action = "agent"
    message: Annotated[
        str | None,
        Field(pattern=SOUND_PATTERN, description="the sound a voicemail drop plays after the beep"),
    ] = None
    messages_per_lead_per_day: int = _bounded(
        1, 100, 1, "voicemail drops per lead in any 24 hours; beyond, a machine is hung up on"
    )

    @model_validator(mode="after")
    def _message_given(self) -> Self:
        wants = [name for name in ("machine", "notsure") if getattr(self, name) == "message"]
        if wants and self.message is None:
            raise ValueError(f"{' and '.join(wants)}: message needs amd.message (a sound file)")
        if self.greeting_ms >= self.total_analysis_ms:
            raise ValueError("greeting_ms must be below total_analysis_ms, or AMD never hears it")
        return self

    def amd_argument(self) -> str:
        """AMD()'s nine parameters in its order, ':'-separated (a channel variable holds no
        comma); the snippet cuts them apart."""
        values = (
            self.initial_silence_ms,
            self.greeting_ms,
            self.after_greeting_silence_ms,
            self.total_analysis_ms,
            self.min_word_length_ms,
            self.between_words_silence_ms,
            self.max_number_of_words,
            self.silence_threshold,
            self.max_word_length_ms,
        )
        return ":".join(str(v) for v in values)


__all__ = ["Action", "AmdSettings"]
