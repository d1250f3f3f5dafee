"""A fake Asterisk manager interface on 127.0.0.1, for this package's tests and its users'.

It speaks just enough AMI to exercise a client — greeting, Login, Ping, Logoff, handlers for
other actions — and can misbehave on request: drop connections, stall, refuse logins, leave
actions unanswered, or send arbitrary bytes. Everything it receives is recorded, so a test can
check what really reached "Asterisk" (for example that an action was sent exactly once).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from ami.codec import Decoder
from ami.errors import ProtocolError
from ami.message import Message
from ami.settings import AmiSettings

__all__ = ["FakeAmiServer", "Handler", "Reply", "format_message"]

Reply = Mapping[str, str] | bytes
Handler = Callable[[Message], Sequence[Reply] | Awaitable[Sequence[Reply]]]

GREETING = b"Asterisk Call Manager/9.0.0\r\n"


def format_message(headers: Mapping[str, str]) -> bytes:
    """Serialise headers as Asterisk does, without validation: tests may want odd values."""
    return "".join(f"{key}: {value}\r\n" for key, value in headers.items()).encode() + b"\r\n"


def _encode_reply(reply: Reply, action_id: str | None) -> bytes:
    if isinstance(reply, bytes):
        return reply
    if action_id is not None and "ActionID" not in reply:
        return format_message({**reply, "ActionID": action_id})
    return format_message(reply)


class FakeAmiServer:
    """``async with FakeAmiServer(username="u", secret="s") as server:`` listens on a free port.

    Knobs a test may set at any time: ``reject_logins`` (answer every Login with an error),
    ``refuse_connections`` (accept, then abort at once), ``stall()``/``unstall()``,
    ``silence_actions()``, ``on_action()``, ``booting`` (no FullyBooted at login, as while
    Asterisk still loads its modules; ``send_event`` it later). ``received`` and
    ``connections`` record history.
    """

    # A fake server's fixed default secret is not a credential.
    def __init__(self, *, username: str = "admin", secret: str = "secret") -> None:  # noqa: S107
        self.username = username
        self.secret = secret
        self.received: list[Message] = []
        self.connections = 0
        self.reject_logins = False
        self.refuse_connections = False
        self.booting = False
        self._handlers: dict[str, Handler] = {}
        self._silenced: set[str] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._stalled = False
        self._arrivals = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self.host = "127.0.0.1"
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drop_connections()
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def settings(self, **overrides: Any) -> AmiSettings:
        """Settings that reach this server with its credentials; keywords override fields."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "secret": self.secret,
        }
        values.update(overrides)
        return AmiSettings(**values)

    def on_action(self, name: str, handler: Handler) -> None:
        """Answer ``name`` with the replies ``handler`` returns (sync or async).

        Mapping replies get the action's ActionID unless they carry one; bytes go out as is.
        """
        self._handlers[name.lower()] = handler

    def silence_actions(self, names: Iterable[str]) -> None:
        """Record these actions but never answer them, like a hung Asterisk module."""
        self._silenced.update(name.lower() for name in names)

    def actions(self, name: str) -> list[Message]:
        """Received actions called ``name``, in arrival order."""
        wanted = name.lower()
        return [m for m in self.received if m.get("Action", "").lower() == wanted]

    async def wait_for_action(
        self, name: str, count: int = 1, timeout_s: float = 5.0
    ) -> list[Message]:
        """Wait until ``count`` actions called ``name`` have arrived; returns all of them."""
        async with asyncio.timeout(timeout_s), self._arrivals:
            await self._arrivals.wait_for(lambda: len(self.actions(name)) >= count)
        return self.actions(name)

    async def wait_for_connections(self, count: int, timeout_s: float = 5.0) -> None:
        """Wait until ``count`` connections have been accepted (refused ones included)."""
        async with asyncio.timeout(timeout_s), self._arrivals:
            await self._arrivals.wait_for(lambda: self.connections >= count)

    def stall(self) -> None:
        """Keep connections open but answer and send nothing, as a frozen Asterisk would."""
        self._stalled = True

    def unstall(self) -> None:
        self._stalled = False

    async def send_event(self, headers: Mapping[str, str]) -> None:
        """Send one message to every connected client."""
        await self.send_raw(format_message(headers))

    async def send_raw(self, data: bytes, chunk_size: int | None = None) -> None:
        """Send bytes to every connected client, in chunks of ``chunk_size`` if given."""
        step = chunk_size or len(data) or 1
        for start in range(0, len(data), step):
            for writer in list(self._writers):
                self._write(writer, data[start : start + step])
            if chunk_size is not None:
                await asyncio.sleep(0.001)  # let the client read each chunk separately
        for writer in list(self._writers):
            if not writer.is_closing():
                with contextlib.suppress(ConnectionError):  # a client may hang up meanwhile
                    await writer.drain()

    async def drop_connections(self) -> None:
        """Abort every connection without a goodbye, like a crash or a network cut."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await asyncio.sleep(0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with self._arrivals:
            self.connections += 1
            self._arrivals.notify_all()
        if self.refuse_connections:
            writer.transport.abort()
            return
        self._writers.add(writer)
        self._write(writer, GREETING)
        decoder = Decoder(expect_greeting=False)
        try:
            while data := await reader.read(65536):
                for message in decoder.feed(data):
                    await self._record(message)
                    await self._answer(message, writer)
        except (ConnectionError, ProtocolError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _record(self, message: Message) -> None:
        async with self._arrivals:
            self.received.append(message)
            self._arrivals.notify_all()

    async def _answer(self, message: Message, writer: asyncio.StreamWriter) -> None:
        action = message.get("Action", "")
        if self._stalled or action.lower() in self._silenced:
            return
        replies = await self._replies(action, message)
        for reply in replies:
            self._write(writer, _encode_reply(reply, message.action_id))
        if action.lower() == "logoff" or (
            action.lower() == "login" and not self._login_ok(message)
        ):
            await writer.drain()
            writer.close()

    async def _replies(self, action: str, message: Message) -> Sequence[Reply]:
        handler = self._handlers.get(action.lower())
        if handler is not None:
            result = handler(message)
            return await result if inspect.isawaitable(result) else result
        builtin = _BUILTIN.get(action.lower())
        if builtin is not None:
            return builtin(self, message)
        return [{"Response": "Error", "Message": "Invalid/unknown command"}]

    def _login_ok(self, message: Message) -> bool:
        return (
            not self.reject_logins
            and message.get("Username") == self.username
            and message.get("Secret") == self.secret
        )

    def _login_replies(self, message: Message) -> list[Reply]:
        if not self._login_ok(message):
            return [{"Response": "Error", "Message": "Authentication failed"}]
        # Bytes, so no ActionID is added: Asterisk's FullyBooted is not tied to the Login.
        booted = format_message(
            {"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"}
        )
        accepted = {"Response": "Success", "Message": "Authentication accepted"}
        return [accepted] if self.booting else [accepted, booted]

    def _ping_replies(self, message: Message) -> list[Reply]:
        return [{"Response": "Success", "Ping": "Pong", "Timestamp": f"{time.time():.6f}"}]

    def _logoff_replies(self, message: Message) -> list[Reply]:
        return [{"Response": "Goodbye", "Message": "Thanks for all the fish."}]

    def _write(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        if not self._stalled and not writer.is_closing():
            writer.write(data)


_BUILTIN: dict[str, Callable[[FakeAmiServer, Message], list[Reply]]] = {
    "login": FakeAmiServer._login_replies,
    "ping": FakeAmiServer._ping_replies,
    "logoff": FakeAmiServer._logoff_replies,
}
