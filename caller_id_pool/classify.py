"""Where a number belongs: country, mobile operator, geographic area code, region.

The operator comes from the prefix table first (longest prefix wins; a campaign's entries
override the shipped ones in `caller_id_pool.prefixes`), then from phonenumbers' carrier
data. The area code and region come from phonenumbers' metadata and geocoder. Pool numbers
and destinations are classified by the same `Classifier`, so their names compare equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import phonenumbers
from phonenumbers import carrier, geocoder

from caller_id_pool.errors import InvalidNumber
from caller_id_pool.model import Caps, NumberState, PoolNumber, Profile
from caller_id_pool.prefixes import default_rows

# Spellings an admin may write for the names phonenumbers and the shipped table use.
OPERATOR_ALIASES = {
    "tele2": "T2",
    "t2": "T2",
    "megafon": "MegaFon",
    "beeline": "Beeline",
    "vimpelcom": "Beeline",
    "mts": "MTS",
    "kyivstar": "Kyivstar",
    "vodafone": "Vodafone",
    "vodafone ua": "Vodafone",
    "vodafone ukraine": "Vodafone",
    "lifecell": "lifecell",
    "life": "lifecell",
    "life:)": "lifecell",
}


def canonical_operator(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    return OPERATOR_ALIASES.get(name.strip().casefold(), name.strip())


@dataclass(frozen=True, slots=True)
class PrefixEntry:
    prefix: str  # E.164 digits without "+", e.g. "38067"
    operator: str
    region: str | None = None


class PrefixTable:
    """Longest-prefix lookup over E.164 digits."""

    def __init__(self, entries: Iterable[PrefixEntry] = ()) -> None:
        self._entries = {entry.prefix: entry for entry in entries}
        lengths = {len(prefix) for prefix in self._entries}
        self._lengths = sorted(lengths, reverse=True)

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, digits: str) -> PrefixEntry | None:
        for length in self._lengths:
            entry = self._entries.get(digits[:length])
            if entry is not None:
                return entry
        return None

    def merged(self, entries: Iterable[PrefixEntry]) -> PrefixTable:
        """This table with `entries` added; an entry for the same prefix replaces ours."""
        return PrefixTable([*self._entries.values(), *entries])


def prefix_entry(prefix: str, operator: str, region: str | None = None) -> PrefixEntry:
    """An entry from what an admin writes: "+7910" or "7910"; the operator is canonicalised."""
    digits = prefix.strip().removeprefix("+")
    name = canonical_operator(operator)
    if not digits.isdigit() or name is None:
        raise ValueError(f"prefix {prefix!r} must be digits (optionally after +) with an operator")
    return PrefixEntry(digits, name, region)


DEFAULT_CAPS = Caps()
DEFAULT_PREFIXES = PrefixTable(prefix_entry(p, op) for p, op in default_rows())


class Classifier:
    def __init__(self, prefixes: PrefixTable = DEFAULT_PREFIXES, *, locale: str = "en") -> None:
        self._prefixes = prefixes
        self._locale = locale
        self._country_names: dict[str | None, str] = {}

    def profile(self, number: str, *, operator: str | None = None) -> Profile:
        """Classify an E.164 number; unknown parts stay None, a bad number gets no attributes.

        `operator`, when known from elsewhere (a number-portability lookup), wins.
        """
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            return Profile(number)
        entry = self._prefixes.lookup(number.removeprefix("+"))
        if operator is None:
            operator = entry.operator if entry else self._carrier(parsed)
        country = phonenumbers.region_code_for_number(parsed)
        area_code = _area_code(parsed)
        region = entry.region if entry and entry.region else None
        if region is None and area_code is not None:  # non-geographic numbers have no region
            region = self._region(parsed, country)
        return Profile(number, country, canonical_operator(operator), area_code, region)

    def pool_number(
        self,
        number: str,
        *,
        caps: Caps = DEFAULT_CAPS,
        weight: float = 1.0,
        tags: Iterable[str] = (),
        operator: str | None = None,
        region: str | None = None,
        state: NumberState = NumberState.ACTIVE,
    ) -> PoolNumber:
        """A pool number classified like destinations are; explicit operator/region win."""
        if not _is_valid(number):
            raise InvalidNumber(f"caller ID {number!r} is not a valid E.164 number")
        profile = self.profile(number, operator=operator)
        if region is not None:
            profile = replace(profile, region=region)
        return PoolNumber(profile, caps=caps, weight=weight, tags=frozenset(tags), state=state)

    def _carrier(self, parsed: phonenumbers.PhoneNumber) -> str:
        name: str = carrier.name_for_number(parsed, self._locale)
        return name

    def _region(self, parsed: phonenumbers.PhoneNumber, country: str | None) -> str | None:
        place: str = geocoder.description_for_number(parsed, self._locale)
        if not place or place == self._country_name(parsed, country):
            return None  # the whole country says nothing about a region
        return place

    def _country_name(self, parsed: phonenumbers.PhoneNumber, country: str | None) -> str:
        """The country's display name, looked up once per country (it is a slow call)."""
        if country not in self._country_names:
            name: str = geocoder.country_name_for_number(parsed, self._locale)
            self._country_names[country] = name
        return self._country_names[country]


def _area_code(parsed: phonenumbers.PhoneNumber) -> str | None:
    length: int = phonenumbers.length_of_geographical_area_code(parsed)
    if length <= 0:
        return None
    national = phonenumbers.national_significant_number(parsed)
    return f"{parsed.country_code}{national[:length]}"


def _is_valid(number: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    valid: bool = phonenumbers.is_valid_number(parsed)
    return valid and number == phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.E164
    )
