"""Every Redis key and TTL of the caller-ID pool, and the Lua scripts beside this module.

Keys (``P`` is the store's prefix, ``dialerd:cid:`` by default)::

    P cust:<customer id>   hash (TTL CUSTOMER_TTL_S, renewed on every reservation)
                             seen      caller IDs shown, newest first, comma-joined
                             answered  the number the customer answered or called back
                             attempt   "<attempt id>|<number>|<ms>|<previous ms>": the last
                                       reservation, which makes `reserve` repeat-safe
    P usage                hash (no TTL: one field per pool number)
                             <number>  "<day>|<n>|<hour>|<n>|<minute>|<n>|<last ms>": calls in
                                       the UTC day YYYYMMDD, hour YYYYMMDDHH, minute
                                       YYYYMMDDHHMM it was last used in, and when (epoch ms);
                                       a count whose bucket is not the current one reads as 0
    P states               hash (no TTL)   <number> -> JSON of its last state change
    P rebuilt              string (no TTL) when the state was last rebuilt; its absence
                                           means Redis is empty or lost its data

One usage hash for the pool keeps a snapshot to one HMGET and a reservation to one script
call with two keys, whatever the pool size. (For Redis Cluster, put the prefix in a hash
tag, e.g. ``{dialerd:cid}:``, so that a script's keys share a slot.)
"""

from __future__ import annotations

from importlib.resources import files

from caller_id_pool.model import MAX_AVOID_LAST, REMEMBER_CUSTOMER_DAYS

DEFAULT_PREFIX = "dialerd:cid:"
CUSTOMER_TTL_S = REMEMBER_CUSTOMER_DAYS * 86_400
HISTORY_KEEP = MAX_AVOID_LAST


class Keys:
    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = prefix
        self.usage = f"{prefix}usage"
        self.states = f"{prefix}states"
        self.rebuilt = f"{prefix}rebuilt"

    def customer(self, customer_id: str) -> str:
        return f"{self.prefix}cust:{customer_id}"


def script(name: str) -> str:
    """The text of `<name>.lua` shipped beside this module."""
    return files(__package__).joinpath(f"{name}.lua").read_text(encoding="utf-8")
