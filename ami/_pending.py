"""Bookkeeping for actions that were written and await their answer (private to ``ami``).

Each kind decides which incoming messages belong to it: a single response, or a response
followed by events up to ``EventList: Complete``. The client owns the registry by ActionID.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

from ami.errors import ProtocolError
from ami.message import Event, ListResult, Message, Response

_T = TypeVar("_T")


class Waiting(Generic[_T]):
    """An action written to the socket whose answer has not fully arrived."""

    __slots__ = ("action", "action_id", "future")

    def __init__(self, action: str, action_id: str) -> None:
        self.action = action
        self.action_id = action_id
        self.future: asyncio.Future[_T] = asyncio.get_running_loop().create_future()

    def take(self, message: Message) -> bool:
        """Consume ``message`` if it belongs to this action; False lets it reach the streams."""
        raise NotImplementedError

    def fail(self, error: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(error)

    def discard(self) -> None:
        """Nobody awaits the future any more: keep asyncio from reporting it as forgotten."""
        if not self.future.done():
            self.future.cancel()
        elif not self.future.cancelled():
            self.future.exception()


class PendingResponse(Waiting[Response]):
    """A single-response action. Events with its ActionID (OriginateResponse) are not taken."""

    __slots__ = ("on_response",)

    def __init__(
        self,
        action: str,
        action_id: str,
        on_response: Callable[[Response], None] | None = None,
    ) -> None:
        super().__init__(action, action_id)
        self.on_response = on_response

    def take(self, message: Message) -> bool:
        if not isinstance(message, Response):
            return False
        if self.on_response is not None:
            self.on_response(message)
        if not self.future.done():
            self.future.set_result(message)
        return True


class PendingList(Waiting[ListResult]):
    """A list action: its response, then events until one says ``EventList: Complete``."""

    __slots__ = ("events", "response")

    def __init__(self, action: str, action_id: str) -> None:
        super().__init__(action, action_id)
        self.response: Response | None = None
        self.events: list[Event] = []

    def take(self, message: Message) -> bool:
        if isinstance(message, Response):
            self.response = message
            if not message.ok:
                self._finish()
            return True
        if isinstance(message, Event):
            self.events.append(message)
            if message.get("EventList", "").lower() == "complete":
                self._finish()
            return True
        return False

    def _finish(self) -> None:
        if self.future.done():
            return
        if self.response is None:
            self.future.set_exception(
                ProtocolError(f"{self.action} list ended before its response")
            )
            return
        self.future.set_result(ListResult(self.response, tuple(self.events)))
