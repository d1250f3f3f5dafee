"""The asyncio AMI client: owns the socket, the ActionID futures and the event fan-out.

One supervisor task connects, logs in, reads and pings; when the connection dies it fails
everything pending with ``ConnectionLost`` at once, tells every stream, and reconnects with
jittered exponential backoff. Two promises matter more than convenience:

* an action is written to the socket at most once, ever — nothing is queued while disconnected
  and nothing is re-sent after a reconnect (a re-sent Originate is a second phone call);
* a refused login is fatal: retrying a wrong secret only locks the account or floods logs.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

from ami._pending import PendingList, PendingResponse, Waiting
from ami.codec import Decoder, Headers, encode_action
from ami.errors import (
    ActionTimeout,
    AmiConnectionError,
    AmiError,
    AuthenticationFailed,
    ConnectionLost,
    NotConnected,
)
from ami.message import ConnectionStateChanged, Event, ListResult, Message, Response
from ami.settings import AmiSettings, reconnect_delay_s
from ami.stream import EventStream, Fanout, StreamItem

__all__ = ["AmiClient", "AmiSettings"]

logger = logging.getLogger("ami")

_READ_SIZE = 65536
_LOGOFF_TIMEOUT_S = 1.0
_T = TypeVar("_T")


class AmiClient:
    """A logged-in AMI session that survives disconnects without ever repeating an action.

    ``async with AmiClient(settings) as client:`` starts it and waits for the first login.
    """

    def __init__(
        self,
        settings: AmiSettings,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        # Backoff jitter needs no cryptographic randomness.
        self._rng = rng if rng is not None else random.Random()  # noqa: S311
        self._clock = clock
        self._ids = itertools.count(1)
        self._id_prefix = f"{id(self):x}-"
        self._pending: dict[str, Waiting[Any]] = {}
        self._fanout = Fanout(settings.event_queue_size)
        self._writer: asyncio.StreamWriter | None = None
        self._decoder: Decoder | None = None
        self._logged_in = False
        self._logins = 0
        self._greeting: str | None = None
        self._last_ping_rtt_s: float | None = None
        self._fatal: AuthenticationFailed | None = None
        self._filters_refused = False  # Asterisk refused settings.events once: take all
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()
        self._booted = asyncio.Event()  # this session has seen FullyBooted

    @property
    def connected(self) -> bool:
        """True while logged in; actions sent now are written at once."""
        return self._logged_in

    @property
    def reconnects(self) -> int:
        """Successful logins after the first one."""
        return max(0, self._logins - 1)

    @property
    def greeting(self) -> str | None:
        """The banner of the last session, e.g. ``Asterisk Call Manager/9.0.0``."""
        return self._greeting

    @property
    def last_ping_rtt_s(self) -> float | None:
        """Round trip of the last answered Ping, a cheap health figure for metrics."""
        return self._last_ping_rtt_s

    @property
    def fully_booted(self) -> bool:
        """True once this session has seen ``FullyBooted``: every module is loaded."""
        return self._booted.is_set()

    async def wait_fully_booted(self, timeout_s: float) -> bool:
        """Wait until Asterisk has loaded every module; False if ``timeout_s`` passes first.

        Asterisk takes logins before it has loaded its modules: an action sent then may be
        unknown (``QueueStatus`` before app_queue). It sends ``FullyBooted`` to a session with
        the ``system`` read class at login when booted, else once booting ends.
        """
        try:
            async with asyncio.timeout(timeout_s):
                await self._booted.wait()
        except TimeoutError:
            return False
        return True

    async def start(self, wait_s: float | None = None) -> None:
        """Start the supervisor and wait for the first login.

        Refused connections are retried with backoff; a refused login raises
        ``AuthenticationFailed`` at once. If ``wait_s`` passes first, ``NotConnected`` is
        raised. Either way a failed start leaves the client closed.
        """
        if self._supervisor is not None or self._closing:
            raise RuntimeError("an AmiClient can be started only once")
        self._supervisor = asyncio.create_task(self._supervise(), name="ami-connection")
        try:
            async with asyncio.timeout(wait_s):
                await self._settled.wait()
        except TimeoutError:
            await self.close()
            raise NotConnected(f"no login within {wait_s:g} s") from None
        except asyncio.CancelledError:
            await self.close()
            raise
        if self._fatal is not None:
            await self.close()
            raise self._fatal
        if self._logins == 0:
            raise NotConnected(self._down_reason())

    async def close(self) -> None:
        """Log off (best effort), stop reconnecting, fail pending actions, end the streams."""
        if self._closing:
            return
        self._closing = True
        if self._logged_in:
            await self._logoff()
        supervisor = self._supervisor
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.wait([supervisor])
        self._drop_connection("client closed")
        self._fanout.end()

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

    def events(self) -> EventStream:
        """Subscribe to unsolicited events and connection changes from now on."""
        return self._fanout.subscribe()

    async def send_action(
        self, action: str, headers: Headers | None = None, *, timeout_s: float | None = None
    ) -> Response:
        """Send one action and return its response, ``Response: Error`` included.

        Raises ``InvalidHeader`` before anything is written, ``NotConnected`` when not logged
        in (nothing written), ``ActionTimeout`` or ``ConnectionLost`` once it was written.
        """
        waiting = PendingResponse(action, self._next_action_id())
        return await self._send(waiting, headers, timeout_s)

    async def send_list_action(
        self, action: str, headers: Headers | None = None, *, timeout_s: float | None = None
    ) -> ListResult:
        """Send a list action (QueueStatus, CoreShowChannels, ...) and collect its events.

        The events are kept from the streams. An error response returns at once with no
        events; ``timeout_s`` covers the whole list.
        """
        waiting = PendingList(action, self._next_action_id())
        return await self._send(waiting, headers, timeout_s)

    async def _send(
        self, waiting: Waiting[_T], headers: Headers | None, timeout_s: float | None
    ) -> _T:
        data = encode_action(waiting.action, headers, waiting.action_id)
        if self._closing:
            raise NotConnected("client closed", action=waiting.action)
        if timeout_s is None:
            timeout_s = self._settings.action_timeout_s
        return await self._roundtrip(waiting, data, timeout_s, need_login=True)

    def _next_action_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids)}"

    async def _roundtrip(
        self, waiting: Waiting[_T], data: bytes, timeout_s: float, *, need_login: bool
    ) -> _T:
        """Write once, then wait; the single place where bytes of an action hit the socket."""
        writer = self._writer
        if writer is None or writer.is_closing() or (need_login and not self._logged_in):
            raise NotConnected(self._down_reason(), action=waiting.action)
        self._pending[waiting.action_id] = waiting
        try:
            writer.write(data)
            async with asyncio.timeout(timeout_s):
                await writer.drain()
                return await waiting.future
        except TimeoutError:
            raise ActionTimeout(waiting.action, waiting.action_id, timeout_s) from None
        except OSError as exc:
            raise ConnectionLost(
                str(exc), action=waiting.action, action_id=waiting.action_id
            ) from exc
        finally:
            self._pending.pop(waiting.action_id, None)
            waiting.discard()

    def _down_reason(self) -> str:
        if self._fatal is not None:
            return "authentication failed"
        return "client closed" if self._closing else "not logged in"

    async def _supervise(self) -> None:
        """Connect, serve and reconnect until closed or refused; the only reconnect loop."""
        attempt = 0
        try:
            while not self._stopping():
                logins = self._logins
                try:
                    await self._run_connection()
                except Exception as exc:  # any failure, even a bug, means: log and reconnect later
                    self._log_failure(exc)
                if self._stopping():
                    break
                attempt = 0 if self._logins != logins else attempt + 1
                settings = self._settings
                await asyncio.sleep(
                    reconnect_delay_s(
                        attempt, settings.reconnect_min_s, settings.reconnect_max_s, self._rng
                    )
                )
        finally:
            if self._fatal is not None:
                self._broadcast(ConnectionStateChanged(False, "authentication failed"))
            self._fanout.end()
            self._settled.set()

    def _stopping(self) -> bool:
        return self._closing or self._fatal is not None

    def _log_failure(self, exc: Exception) -> None:
        if self._stopping():
            return
        if isinstance(exc, AmiError | OSError):
            logger.warning("AMI connection to %s:%s failed: %s", *self._address(), exc)
        else:
            logger.exception("AMI connection to %s:%s crashed", *self._address())

    def _address(self) -> tuple[str, int]:
        return self._settings.host, self._settings.port

    async def _run_connection(self) -> None:
        """Serve one TCP connection until it fails; always ends by raising."""
        reader, writer = await self._open()
        self._writer = writer
        self._decoder = Decoder(max_message_bytes=self._settings.max_message_bytes)
        tasks = [
            asyncio.create_task(self._read_loop(reader, self._decoder), name="ami-reader"),
            asyncio.create_task(self._login_and_ping(), name="ami-keepalive"),
        ]
        reason = "client closed"
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            error = _first_error(done)
            reason = str(error)
            raise error
        finally:
            await _stop_tasks(tasks)
            self._drop_connection(reason)

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host, port = self._address()
        try:
            async with asyncio.timeout(self._settings.connect_timeout_s):
                return await asyncio.open_connection(host, port)
        except OSError as exc:  # TimeoutError included
            detail = str(exc) or type(exc).__name__
            raise AmiConnectionError(f"cannot connect to {host}:{port}: {detail}") from exc

    async def _read_loop(self, reader: asyncio.StreamReader, decoder: Decoder) -> None:
        """Hot path: every event of the PBX passes here, so lookups are hoisted out of loops
        and events reach the streams in one batch per read."""
        read, feed, pending = reader.read, decoder.feed, self._pending
        try:
            while data := await read(_READ_SIZE):
                messages = feed(data)
                if not self._booted.is_set():
                    self._look_for_boot(messages)
                if pending:
                    events = self._route(messages)
                else:  # nothing awaits a reply: late responses are dropped, events go out
                    events = [m for m in messages if type(m) is Event]
                if events:
                    self._fanout.deliver(events)
                    # Let consumers take this batch before the next read is parsed: the
                    # events are still in the CPU cache, which measurably speeds up both sides.
                    await asyncio.sleep(0)
        except OSError as exc:
            raise ConnectionLost(f"read failed: {exc}") from exc
        raise ConnectionLost("connection closed by peer")

    def _look_for_boot(self, messages: list[Message]) -> None:
        if any(type(m) is Event and m.name == "FullyBooted" for m in messages):
            self._booted.set()

    def _route(self, messages: list[Message]) -> list[StreamItem]:
        """Hand replies to the actions awaiting them; return what the streams should get."""
        events: list[StreamItem] = []
        pending = self._pending
        for message in messages:
            action_id = message.get("ActionID")
            if (
                action_id is not None
                and action_id in pending
                and self._route_to_action(action_id, message)
            ):
                continue
            if isinstance(message, Event):
                events.append(message)
        return events

    def _route_to_action(self, action_id: str, message: Message) -> bool:
        """Give ``message`` to the action waiting for it; False if that action does not want it
        (an event after a single response, such as OriginateResponse)."""
        waiting = self._pending[action_id]
        if not waiting.take(message):
            return False
        if waiting.future.done():
            del self._pending[action_id]
        return True

    async def _login_and_ping(self) -> None:
        settings = self._settings
        login = {"Username": settings.username, "Secret": settings.secret, "Events": "on"}
        response = await self._call(
            "Login", login, settings.action_timeout_s, on_response=self._on_login_response
        )
        if not response.ok:
            raise AuthenticationFailed(response.message or "login refused")
        await self._ask_for_events()
        while True:
            await asyncio.sleep(settings.ping_interval_s)
            await self._ping()

    async def _call(
        self,
        action: str,
        headers: Headers | None,
        timeout_s: float,
        *,
        on_response: Callable[[Response], None] | None = None,
    ) -> Response:
        """The client's own actions: Login (sent before login, hence the hook) and keepalive."""
        waiting = PendingResponse(action, self._next_action_id(), on_response)
        data = encode_action(action, headers, waiting.action_id)
        return await self._roundtrip(waiting, data, timeout_s, need_login=on_response is None)

    async def _ask_for_events(self) -> None:
        """Ask Asterisk for only the events the settings name: one include filter each, for
        this session. Refused (no ``system`` write class, an Asterisk before 20), the client
        says so once and takes every event from then on."""
        wanted = self._settings.events
        if wanted is None or self._filters_refused:
            return
        for count, name in enumerate(sorted(wanted)):
            headers = {"Operation": "Add", "MatchCriteria": f"action(include),name({name})"}
            response = await self._call("Filter", headers, self._settings.action_timeout_s)
            if response.ok:
                continue
            self._filters_refused = True
            logger.warning(
                "Asterisk refused the AMI event filter (%s); taking every event",
                response.message or "no reason given",
            )
            if count:  # some filters hold on this session: start again without any
                raise ConnectionLost("event filter refused halfway; reconnecting unfiltered")
            return
        logger.info("AMI events filtered: Asterisk sends %d kinds only", len(wanted))

    def _on_login_response(self, response: Response) -> None:
        """Runs inside the reader before the next message, so streams see the state change
        before the first event of the session, and a refusal is known before any EOF."""
        if not response.ok:
            username = self._settings.username
            reason = response.message or "login refused"
            self._fatal = AuthenticationFailed(f"Asterisk refused login as {username!r}: {reason}")
            logger.error("AMI login to %s:%s refused: %s", *self._address(), reason)
            return
        self._logged_in = True
        self._logins += 1
        self._greeting = self._decoder.greeting if self._decoder is not None else None
        logger.info("AMI logged in to %s:%s (login #%d)", *self._address(), self._logins)
        self._broadcast(ConnectionStateChanged(True, "logged in"))
        self._settled.set()

    async def _ping(self) -> None:
        """Declare the connection dead when no answer to Ping comes within ping_timeout_s."""
        timeout_s = self._settings.ping_timeout_s
        started = self._clock()
        try:
            await self._call("Ping", None, timeout_s)
        except ActionTimeout:
            raise ConnectionLost(f"no answer to Ping within {timeout_s:g} s") from None
        self._last_ping_rtt_s = self._clock() - started

    async def _logoff(self) -> None:
        try:
            await self._call(
                "Logoff", None, min(_LOGOFF_TIMEOUT_S, self._settings.action_timeout_s)
            )
        except AmiError as exc:
            logger.info("AMI logoff from %s:%s not confirmed: %s", *self._address(), exc)

    def _drop_connection(self, reason: str) -> None:
        """Forget the socket and fail whatever waits on it; safe to call more than once."""
        if self._closing:
            reason = "client closed"
        was_logged_in, self._logged_in = self._logged_in, False
        self._booted.clear()  # the next session may meet an Asterisk still booting
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.transport.abort()
        waiting = list(self._pending.values())
        self._pending.clear()
        for item in waiting:
            item.fail(ConnectionLost(reason, action=item.action, action_id=item.action_id))
        if was_logged_in:
            level = logging.INFO if self._closing else logging.WARNING
            logger.log(level, "AMI connection to %s:%s ended: %s", *self._address(), reason)
            self._broadcast(ConnectionStateChanged(False, reason))

    def _broadcast(self, item: StreamItem) -> None:
        self._fanout.deliver((item,))


def _first_error(done: Iterable[asyncio.Task[None]]) -> BaseException:
    for task in done:
        error = task.exception()
        if error is not None:
            return error
    return ConnectionLost("connection task ended")


async def _stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel and reap ``tasks``, marking their errors seen: the first one was already raised."""
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()
