"""A TCP relay to the lab's AMI that a test can cut, restore, or stall.

Cut: the listening socket and every relayed connection close (the daemon sees the
connection drop at once). Stall: every connection stays open but no byte passes either
way, as when a firewall or a half-dead link swallows the traffic; what is sent meanwhile
is lost, so only the daemon's keepalive can notice. Everything stays on loopback.
"""

from __future__ import annotations

import asyncio


class AmiProxy:
    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._open: list[asyncio.StreamWriter] = []
        self._flowing = True
        self.port = 0
        self.connections = 0  # relayed connections accepted so far

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._open:
            writer.close()
        self._open.clear()

    def stall(self) -> None:
        """From now on, swallow every byte both ways; connections stay open."""
        self._flowing = False

    def resume(self) -> None:
        self._flowing = True

    async def close(self) -> None:
        if self._server is not None:
            await self.cut()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._open += [writer, up_writer]
        await asyncio.gather(
            self._copy(reader, up_writer), self._copy(up_reader, writer), return_exceptions=True
        )

    async def _copy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if not self._flowing:
                    continue  # swallowed: a stalled link delivers nothing, then or later
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()
