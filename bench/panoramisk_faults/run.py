"""Check panoramisk 1.4 against a fake AMI server on 127.0.0.1 (evidence for ADR 0001).

Each check starts its own fake server on an ephemeral port, drives panoramisk's
Manager against it in a fresh event loop, and prints one line:

    [x] CONFIRMED|NOT CONFIRMED  <claim> -- observed: <what happened> -- src: <file:line ...>

The cited lines are read back from the installed panoramisk at run time and compared
with the snippet expected there; a citation that no longer matches is marked
[SOURCE MISMATCH]. The run ends with `RESULT checks=<n> confirmed=<n>` and exits 0
whatever it found. Needs Python 3.11 and panoramisk==1.4, nothing else:

    python3 -m venv /tmp/pvenv && /tmp/pvenv/bin/pip install panoramisk==1.4
    /tmp/pvenv/bin/python bench/panoramisk_faults/run.py
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import linecache
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import panoramisk
from panoramisk import Manager

EOL = b"\r\n"
SECRET = "s3cret"
PKG_DIR = os.path.dirname(panoramisk.__file__)

# key: (file, line, snippet expected on that line of panoramisk 1.4)
SOURCE = {
    "decode_ignore": ("ami_protocol.py", 41, "data.decode(encoding, 'ignore')"),
    "handle_matched": ("ami_protocol.py", 79, "response.add_message(message)"),
    "dispatch_unmatched": ("ami_protocol.py", 84, "elif 'event' in message"),
    "close_skip_answered": ("ami_protocol.py", 106, "elif action.responses:"),
    "close_requeue": ("ami_protocol.py", 111, "awaiting_actions.append(action)"),
    "fullybooted_hook": ("manager.py", 56, "'FullyBooted', self.send_awaiting_actions"),
    "resend": ("manager.py", 117, "self.send_action(action, as_list=action.as_list)"),
    "login_no_error": ("manager.py", 99, "self.authenticated = bool(resp.success)"),
    "ping_fire_forget": ("manager.py", 109, "self.protocol.send({'Action': 'Ping'})"),
    "reconnect_always": ("manager.py", 283, "call_later(self.reconnect_timeout, self.connect)"),
    "async_multi": ("actions.py", 69, "msg.endswith('successfully queued')"),
    "complete_on_response": ("actions.py", 80, "resp.response in ('Success', 'Error'"),
    "str_no_escape": ("actions.py", 51, "action.append('%s: %s' % (k, v))"),
}


def cite(*keys: str) -> str:
    refs = []
    for key in keys:
        fname, lineno, snippet = SOURCE[key]
        line = linecache.getline(os.path.join(PKG_DIR, fname), lineno)
        mark = "" if snippet in line else " [SOURCE MISMATCH]"
        refs.append(f"panoramisk/{fname}:{lineno}{mark}")
    return " ".join(refs)


# ------------------------------------------------------------------------- fake AMI server

Headers = list[tuple[str, str]]
Writer = asyncio.StreamWriter
ActionHook = Callable[["FakeAMI", int, Headers, Writer], Awaitable[None]]
LoginHook = Callable[["FakeAMI", int, Writer], Awaitable[None]]


def encode(*lines: str) -> bytes:
    return b"".join(line.encode() + EOL for line in lines) + EOL


def decode(raw: bytes) -> Headers:
    lines = raw.decode().split("\r\n")
    return [(k, v) for k, _, v in (ln.partition(": ") for ln in lines if ": " in ln)]


def header(action: Headers, name: str) -> str:
    return next((v for k, v in action if k.lower() == name.lower()), "")


def is_action(action: Headers, name: str) -> bool:
    return header(action, "Action").lower() == name.lower()


@dataclass
class FakeAMI:
    """Speaks just enough AMI: banner, Login (+FullyBooted), Ping, and a pluggable rest."""

    answer_pings: bool = True
    close_on_auth_failure: bool = True  # Asterisk's action_login() returns -1: session ends
    on_action: ActionHook | None = None
    after_login: LoginHook | None = None
    received: list[tuple[int, Headers, float]] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def close(self) -> None:
        self._server.close()

    def actions(self, name: str) -> list[tuple[int, Headers, float]]:
        return [r for r in self.received if is_action(r[1], name)]

    async def _serve(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        self.connections += 1
        conn = self.connections
        writer.write(b"Asterisk Call Manager/9.0.0" + EOL)
        buf = b""
        try:
            while data := await reader.read(65536):
                buf += data
                while EOL + EOL in buf:
                    raw, buf = buf.split(EOL + EOL, 1)
                    action = decode(raw)
                    self.received.append((conn, action, time.monotonic()))
                    if not await self._respond(conn, action, writer):
                        return
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _respond(self, conn: int, action: Headers, writer: Writer) -> bool:
        aid = header(action, "ActionID")
        if is_action(action, "Login"):
            if header(action, "Secret") != SECRET:
                await asyncio.sleep(1)  # Asterisk sleeps 1 s before refusing
                writer.write(
                    encode("Response: Error", f"ActionID: {aid}", "Message: Authentication failed")
                )
                await writer.drain()
                return not self.close_on_auth_failure
            writer.write(
                encode("Response: Success", f"ActionID: {aid}", "Message: Authentication accepted")
            )
            writer.write(
                encode("Event: FullyBooted", "Privilege: system,all", "Status: Fully Booted")
            )
            await writer.drain()
            if self.after_login:
                await self.after_login(self, conn, writer)
        elif is_action(action, "Ping"):
            if self.answer_pings:
                writer.write(encode("Response: Success", f"ActionID: {aid}", "Ping: Pong"))
        elif self.on_action:
            await self.on_action(self, conn, action, writer)
        return not writer.is_closing()


def queued(aid: str) -> bytes:
    """Asterisk's reply to Originate, async or not."""
    return encode("Response: Success", f"ActionID: {aid}", "Message: Originate successfully queued")


def originate_response(aid: str, reason: str = "4") -> bytes:
    return encode(
        "Event: OriginateResponse", "Privilege: call,all", f"ActionID: {aid}", "Response: Success",
        "Channel: Local/100@customers-00000001;1", "Context: agents", "Exten: s",
        f"Reason: {reason}", "Uniqueid: 1700000000.1",
    )  # fmt: skip


# ------------------------------------------------------------------------- client helpers

ORIGINATE = {
    "Action": "Originate", "Channel": "Local/100@customers", "Context": "agents",
    "Exten": "s", "Priority": "1", "Async": "true", "Timeout": "30000",
}  # fmt: skip


class LogTap(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def count(self, text: str) -> int:
        return sum(text in r.getMessage() for r in self.records)


TAP = LogTap()
_plog = logging.getLogger("panoramisk")
_plog.addHandler(TAP)
_plog.setLevel(logging.DEBUG)
_plog.propagate = False


def manager(server: FakeAMI, secret: str = SECRET, **config: object) -> tuple[Manager, dict]:
    calls = {"login": 0, "disconnect": 0}

    def on_login(_m: Manager) -> None:
        calls["login"] += 1

    def on_disconnect(_m: Manager, _exc: object) -> None:
        calls["disconnect"] += 1

    mgr = Manager(
        host="127.0.0.1",
        port=server.port,
        username="dialer",
        secret=secret,
        on_login=on_login,
        on_disconnect=on_disconnect,
        **config,
    )
    return mgr, calls


def loop_errors() -> list[str]:
    """Collect what the event loop would otherwise print ('Exception in callback' etc.)."""
    errors: list[str] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda _loop, ctx: errors.append(f"{ctx.get('message')} {ctx.get('exception')!r}")
    )
    return errors


async def until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


@dataclass
class Finding:
    tag: str
    claim: str
    confirmed: bool
    observed: str
    src: str

    def line(self) -> str:
        verdict = "CONFIRMED" if self.confirmed else "NOT CONFIRMED"
        head = f"[{self.tag}] {verdict:13} {self.claim}"
        return f"{head} -- observed: {self.observed} -- src: {self.src}"


# ------------------------------------------------------------------------- checks

PENDING_WAIT_S = 3.0


async def check_a() -> Finding:
    async def originate(srv: FakeAMI, conn: int, action: Headers, w: Writer) -> None:
        w.write(queued(header(action, "ActionID")))
        await w.drain()
        if conn == 1:
            w.close()  # Asterisk restarts / link drops before OriginateResponse

    errors = loop_errors()
    srv = FakeAMI(on_action=originate)
    await srv.start()
    mgr, calls = manager(srv, reconnect_timeout=1)
    await mgr.connect()
    await until(lambda: calls["login"] == 1, 3)
    fut = mgr.send_action(dict(ORIGINATE))
    await until(lambda: calls["disconnect"] == 1, 3)
    dropped = time.monotonic()
    relogged = await until(lambda: calls["login"] == 2, 5)
    await asyncio.sleep(max(0.0, PENDING_WAIT_S - (time.monotonic() - dropped)))
    waited = time.monotonic() - dropped
    state = "pending" if not fut.done() else f"done ({fut!r})"
    sent = len(srv.actions("Originate"))
    mgr.close()
    srv.close()
    return Finding(
        "a",
        "Async Originate in flight at disconnect never resolves",
        not fut.done(),
        f"future still {state} {waited:.1f} s after the drop; reconnected and logged in again: "
        f"{relogged}; Originate sent {sent}x; loop errors: {len(errors)}; "
        "the future was neither failed nor cancelled",
        cite("async_multi", "close_skip_answered", "reconnect_always"),
    )


async def check_b() -> Finding:
    async def originate(srv: FakeAMI, conn: int, action: Headers, w: Writer) -> None:
        if conn == 1:
            w.close()  # received (Asterisk may already be dialling), link dies before the reply
            return
        aid = header(action, "ActionID")
        w.write(queued(aid))
        w.write(originate_response(aid))
        await w.drain()

    srv = FakeAMI(on_action=originate)
    await srv.start()
    mgr, calls = manager(srv, reconnect_timeout=1)
    await mgr.connect()
    await until(lambda: calls["login"] == 1, 3)
    fut = mgr.send_action(dict(ORIGINATE))
    try:
        await asyncio.wait_for(asyncio.shield(fut), 6)
        outcome = "the caller's future resolved normally (one result, no hint of a retry)"
    except TimeoutError:
        outcome = "the caller's future never resolved"
    got = srv.actions("Originate")
    ids = {header(a, "ActionID") for _c, a, _t in got}
    conns = [c for c, _a, _t in got]
    duplicate = len(got) == 2 and len(ids) == 1 and conns == [1, 2]
    logged = TAP.count("Adding action")
    mgr.close()
    srv.close()
    return Finding(
        "b",
        "unanswered action re-sent with the same ActionID after reconnect",
        duplicate,
        f"server received Originate {len(got)}x on connections {conns} with {len(ids)} "
        f"distinct ActionID(s) => {'a duplicate dial' if duplicate else 'no duplicate'}; "
        f"{outcome}; only trace: {logged} INFO log line(s) 'Adding action ... to awaiting list'",
        cite("close_requeue", "fullybooted_hook", "resend"),
    )


async def check_c() -> Finding:
    async def originate(srv: FakeAMI, conn: int, action: Headers, w: Writer) -> None:
        aid = header(action, "ActionID")
        w.write(queued(aid))
        await w.drain()
        await asyncio.sleep(0.2)  # the call is answered a little later
        w.write(originate_response(aid, reason="4"))
        await w.drain()

    srv = FakeAMI(on_action=originate)
    await srv.start()
    mgr, calls = manager(srv)
    seen: list[str] = []
    mgr.register_event("OriginateResponse", lambda _m, ev: seen.append(ev.event))
    mgr.register_event("*", lambda _m, ev: seen.append("*" + ev.event))
    await mgr.connect()
    await until(lambda: calls["login"] == 1, 3)
    result = await asyncio.wait_for(mgr.send_action(dict(ORIGINATE)), 3)
    await asyncio.sleep(0.3)
    messages = result if isinstance(result, list) else [result]
    in_future = any(m.event == "OriginateResponse" for m in messages)
    handler_hits = sum(s.endswith("OriginateResponse") for s in seen)
    mgr.close()
    srv.close()
    return Finding(
        "c",
        "OriginateResponse swallowed by the action future",
        in_future and handler_hits == 0,
        f"future resolved to {[m.event or m.response for m in messages]}; event handlers "
        f"('OriginateResponse' and '*') called {handler_hits}x for it "
        f"(events they did see: {sorted(set(seen))})",
        cite("async_multi", "complete_on_response", "handle_matched", "dispatch_unmatched"),
    )


async def check_d() -> Finding:
    errors = loop_errors()
    srv = FakeAMI(answer_pings=False)  # process alive, socket open, AMI thread stuck
    await srv.start()
    mgr, calls = manager(srv, ping_delay=1, ping_interval=1)
    await mgr.connect()
    await until(lambda: calls["login"] == 1, 3)
    stalled = time.monotonic()
    await asyncio.sleep(4.0)
    silence = time.monotonic() - stalled
    pings = len(srv.actions("Ping"))
    unanswered = sum(1 for a in mgr.protocol.responses.values() if a["action"] == "Ping")
    detected = calls["disconnect"] > 0 or not mgr._connected
    mgr.close()
    srv.close()
    return Finding(
        "d",
        "Pong never checked: a stalled server goes unnoticed",
        not detected and pings >= 3,
        f"ping_interval=1 s, {silence:.1f} s of silence: {pings} Pings sent, 0 answered, "
        f"on_disconnect called {calls['disconnect']}x, loop errors {len(errors)}, "
        f"manager still 'connected'; {unanswered} unanswered Ping actions held in "
        "protocol.responses (one more per interval)",
        cite("ping_fire_forget"),
    )


async def check_e() -> Finding:
    window_s = 7.0
    errors = loop_errors()
    srv = FakeAMI()
    await srv.start()
    mgr, calls = manager(srv, secret="wrong")  # default reconnect_timeout=2
    started = time.monotonic()
    await mgr.connect()  # returns once TCP is up; nothing raises later either
    await asyncio.sleep(window_s)
    logins = srv.actions("Login")
    at = ", ".join(f"{t - started:.1f}" for _c, _a, t in logins)
    mgr.close()
    srv.close()

    keep = FakeAMI(close_on_auth_failure=False)  # refuses but keeps the socket open
    await keep.start()
    mgr2, _calls2 = manager(keep, secret="wrong")
    await mgr2.connect()
    await asyncio.sleep(2.0)
    attempts2, authed2 = len(keep.actions("Login")), mgr2.authenticated
    mgr2.close()
    keep.close()
    return Finding(
        "e",
        "wrong password: reconnect/login loop without end",
        len(logins) >= 3 and calls["login"] == 0,
        f"Asterisk-like server (refuse after 1 s, close): {len(logins)} Login attempts in "
        f"{window_s:.0f} s (at t={at} s), on_login 0x, errors raised/logged by the loop: "
        f"{len(errors)}; a server that refuses but keeps the socket: {attempts2} attempt, "
        f"authenticated={authed2}, nothing raised",
        cite("login_no_error", "reconnect_always"),
    )


async def check_f() -> Finding:
    name = "Олена Шевчук"
    event = encode(
        "Event: Newchannel", "Channel: Local/100@customers-00000001;1",
        "CallerIDNum: 380441234567", f"CallerIDName: {name}", "Uniqueid: 1700000000.2",
    )  # fmt: skip
    cut = event.index(name.encode()) + 1  # between the two UTF-8 bytes of the first letter

    async def after_login(srv: FakeAMI, conn: int, w: Writer) -> None:
        w.write(event)  # control: the same event in one piece
        await w.drain()
        await asyncio.sleep(0.2)
        w.write(event[:cut])
        await w.drain()
        await asyncio.sleep(0.2)  # two TCP segments, two data_received() calls
        w.write(event[cut:])
        await w.drain()

    srv = FakeAMI(after_login=after_login)
    await srv.start()
    mgr, _calls = manager(srv)
    got: list[str] = []
    mgr.register_event("Newchannel", lambda _m, ev: got.append(ev["CallerIDName"]))
    await mgr.connect()
    await until(lambda: len(got) >= 2, 3)
    mgr.close()
    srv.close()
    whole, split = [*got, None, None][:2]
    return Finding(
        "f",
        "UTF-8 split across TCP reads loses letters",
        whole == name and split not in (None, name),
        f"CallerIDName {name!r} in one write -> handler got {whole!r}; the same event cut "
        f"inside the first letter (bytes {event[cut - 1 : cut + 1].hex(' ')}) -> {split!r}",
        cite("decode_ignore"),
    )


async def check_g() -> Finding:
    async def originate(srv: FakeAMI, conn: int, action: Headers, w: Writer) -> None:
        w.write(queued(header(action, "ActionID")))
        await w.drain()

    srv = FakeAMI(on_action=originate)
    await srv.start()
    mgr, calls = manager(srv)
    await mgr.connect()
    await until(lambda: calls["login"] == 1, 3)
    # a lead's name imported from a spreadsheet, passed on as a channel variable
    lead_name = "Olena\r\n\r\nAction: Hangup\r\nChannel: /.*/"
    mgr.send_action(dict(ORIGINATE, Variable=f"LEAD_NAME={lead_name}"))
    await until(lambda: len(srv.received) >= 3, 2)
    await asyncio.sleep(0.2)
    parsed = [f"{header(a, 'Action')}({header(a, 'Channel')})" for _c, a, _t in srv.received[1:]]
    mgr.close()
    srv.close()
    return Finding(
        "g",
        "CR/LF in a header value injects extra AMI actions (extra check)",
        any(p.startswith("Hangup") for p in parsed),
        f"one send_action() with CR/LF inside a Variable value; server parsed actions {parsed}",
        cite("str_no_escape"),
    )


async def check_h() -> Finding:
    async def originate(srv: FakeAMI, conn: int, action: Headers, w: Writer) -> None:
        w.write(queued(header(action, "ActionID")))
        await w.drain()

    errors = loop_errors()
    srv = FakeAMI(on_action=originate)
    await srv.start()
    mgr, calls = manager(srv, reconnect_timeout=1)
    await mgr.connect()
    await until(lambda: calls["login"] == 1, 3)
    sync_originate = {k: v for k, v in ORIGINATE.items() if k != "Async"}
    fut = mgr.send_action(sync_originate)
    await until(lambda: calls["login"] == 2, 4)
    await asyncio.sleep(0.5)
    mgr.close()
    srv.close()
    return Finding(
        "h",
        "Originate without an Async header crashes the connection (extra check)",
        bool(errors) and calls["disconnect"] > 0 and not fut.done(),
        f"reply 'Originate successfully queued' -> loop errors {errors}; connection dropped "
        f"{calls['disconnect']}x and re-established; the caller's future still "
        f"{'pending' if not fut.done() else 'done'}",
        cite("async_multi", "close_skip_answered"),
    )


CHECKS = [check_a, check_b, check_c, check_d, check_e, check_f, check_g, check_h]


def main() -> int:
    began = time.monotonic()
    version = importlib.metadata.version("panoramisk")
    if version != "1.4":
        print(f"WARNING: panoramisk {version} installed; the cited lines are those of 1.4")
    print(
        f"panoramisk {version} from {PKG_DIR}; Python {sys.version.split()[0]}; "
        "fake AMI on 127.0.0.1 (ephemeral ports)"
    )
    confirmed = 0
    for check in CHECKS:
        TAP.records.clear()
        try:
            finding = asyncio.run(asyncio.wait_for(check(), 20))
        except Exception as exc:  # a check that crashes is reported, never hidden
            print(f"[{check.__name__[-1]}] ERROR         {type(exc).__name__}: {exc}", flush=True)
            continue
        print(finding.line(), flush=True)
        confirmed += finding.confirmed
    print(f"elapsed {time.monotonic() - began:.1f} s")
    print(f"RESULT checks={len(CHECKS)} confirmed={confirmed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
