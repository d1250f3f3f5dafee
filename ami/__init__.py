"""A generic asyncio client for the Asterisk Manager Interface (AMI).

``codec`` turns bytes into messages and back without I/O; ``client`` owns the socket, matches
responses to actions by ActionID, fans events out to subscribers and reconnects; ``testing``
holds a fake AMI server for tests. Errors are all ``AmiError`` (tree in ``ami.errors``)::

    async with AmiClient(AmiSettings("127.0.0.1", 5038, "user", secret)) as client:
        async with client.events() as stream:
            response = await client.send_action("Originate", {"Channel": ..., "Async": "true"})
            response.raise_for_error()
            async for item in stream:  # Event or ConnectionStateChanged
                ...
"""

from ami.client import AmiClient
from ami.codec import Decoder, Headers, encode_action
from ami.errors import (
    ActionFailed,
    ActionTimeout,
    AmiConnectionError,
    AmiError,
    AuthenticationFailed,
    ConnectionLost,
    InvalidHeader,
    NotConnected,
    ProtocolError,
)
from ami.message import ConnectionStateChanged, Event, ListResult, Message, Response
from ami.settings import AmiSettings
from ami.stream import EventStream

__all__ = [
    "ActionFailed",
    "ActionTimeout",
    "AmiClient",
    "AmiConnectionError",
    "AmiError",
    "AmiSettings",
    "AuthenticationFailed",
    "ConnectionLost",
    "ConnectionStateChanged",
    "Decoder",
    "Event",
    "EventStream",
    "Headers",
    "InvalidHeader",
    "ListResult",
    "Message",
    "NotConnected",
    "ProtocolError",
    "Response",
    "encode_action",
]
