"""The shipped prefix table: mobile operators of Ukraine and Russia by network code.

A campaign's own table is merged on top of this one and wins (longest prefix first), so a
PBX admin can correct any entry, add finer ranges, or map ported numbers.

Sources, checked 2026-11-23:

* Ukraine (+380): every mobile network code below, as allocated by the regulator, agrees
  with the carrier data of phonenumbers 9.0.43 (`phonenumbers.carrier.name_for_number`),
  which holds one operator per code for UA.
* Russia (+7): the national numbering register of the Ministry of Digital Development
  (opendata.digital.gov.ru), file DEF-9xx.csv with one row per allocated range (code,
  first, last, capacity, operator, region, INN), the copy held in GitHub repository
  sergeisidorkin/ai_app at commit 0d2ad51 (2026-04-20; 16,628 ranges). A code is
  listed when one operator (by INN: MTS 7740000076, MegaFon 7812014560, Beeline/VimpelCom
  7713076301, T2/Tele2 7743895280) holds at least 90 % of the capacity allocated in it.
  Codes shared more evenly (e.g. 900-902, 904, 908, 930-939, 958, 977, 980, 984, 991-999)
  are left out on purpose: phonenumbers' finer ranges answer for them. The derivation is
  written out in docs/caller-id.md.

Russia and Ukraine both have mobile number portability, so a prefix names the operator
that was allocated the number, not necessarily the one serving it today. A lead whose
operator is known (from an MNP lookup) can pass it to `Classifier.profile(operator=...)`.
"""

from __future__ import annotations

UKRAINE = {
    "Kyivstar": ("39", "67", "68", "77", "96", "97", "98"),
    "Vodafone": ("50", "66", "75", "95", "99"),
    "lifecell": ("63", "73", "93"),
}

RUSSIA = {
    "MTS": (
        *("910", "911", "912", "913", "914", "915", "916", "917", "918", "919"),
        *("981", "982", "983", "985", "987", "988", "989"),
    ),
    "MegaFon": ("920", "921", "922", "923", "924", "925", "926", "927", "928", "929", "937"),
    "Beeline": (
        *("903", "905", "906", "909"),
        *("960", "961", "962", "963", "964", "965", "967", "968"),
    ),
    "T2": ("950", "951", "952", "953"),
}


def default_rows() -> tuple[tuple[str, str], ...]:
    """(E.164 prefix digits, operator) for every shipped entry."""
    rows = [("380" + code, name) for name, codes in UKRAINE.items() for code in codes]
    rows += [("7" + code, name) for name, codes in RUSSIA.items() for code in codes]
    return tuple(rows)
