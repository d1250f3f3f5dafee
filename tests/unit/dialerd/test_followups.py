"""Follow-up rules (which outcome calls for which event), signatures, backoff, promo codes, and
the `followups` campaign key with the file:line of each mistake."""

from __future__ import annotations

import hashlib
import hmac
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialerd.config import load_campaigns
from dialerd.domain import AttemptResult, NextDial, Outcome, PhoneState
from dialerd.errors import ConfigError
from dialerd.followups import (
    PROMO_ALPHABET,
    FollowupKind,
    FollowupRules,
    MissedCallMode,
    kinds_for,
    new_promo_code,
    retry_delay_s,
    signature,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
BOTH = frozenset({FollowupKind.MISSED_CALL, FollowupKind.DROPPED_CALL})
AGAIN = [NextDial(1, PhoneState.SCHEDULED, NOW)]
NEXT_PHONE = [NextDial(1, PhoneState.EXHAUSTED, None), NextDial(2, PhoneState.SCHEDULED, NOW)]
OVER = [NextDial(1, PhoneState.EXHAUSTED, None)]
HEAD = """\
name: spring
queue: sales
region: UA
dial: {trunk: "Local/{number}@out"}
"""


def result(outcome: Outcome) -> AttemptResult:
    return AttemptResult(uuid.uuid4(), outcome, NOW)


@pytest.mark.parametrize(
    ("outcome", "mode", "next_dials", "expected"),
    [
        (Outcome.NO_ANSWER, MissedCallMode.EACH_ATTEMPT, AGAIN, ["missed_call"]),
        (Outcome.BUSY, MissedCallMode.EACH_ATTEMPT, OVER, ["missed_call"]),
        (Outcome.NO_ANSWER, MissedCallMode.LAST_ATTEMPT, AGAIN, []),
        (Outcome.NO_ANSWER, MissedCallMode.LAST_ATTEMPT, NEXT_PHONE, []),  # another phone next
        (Outcome.NO_ANSWER, MissedCallMode.LAST_ATTEMPT, OVER, ["missed_call"]),
        (Outcome.CONGESTION, MissedCallMode.EACH_ATTEMPT, OVER, []),  # not a chosen outcome
        (Outcome.ABANDONED, MissedCallMode.EACH_ATTEMPT, AGAIN, ["dropped_call"]),
        (Outcome.CONNECTED, MissedCallMode.EACH_ATTEMPT, OVER, []),
        (Outcome.UNKNOWN, MissedCallMode.EACH_ATTEMPT, AGAIN, []),
    ],
)
def test_the_outcome_and_the_next_dials_decide_the_events(
    outcome: Outcome, mode: MissedCallMode, next_dials: list[NextDial], expected: list[str]
) -> None:
    rules = FollowupRules(BOTH, mode, frozenset({"no_answer", "busy"}))
    assert kinds_for(rules, result(outcome), next_dials) == expected


def test_a_kind_not_chosen_is_never_written() -> None:
    rules = FollowupRules(frozenset({FollowupKind.DROPPED_CALL}))
    assert kinds_for(rules, result(Outcome.NO_ANSWER), OVER) == []


def test_the_signature_is_the_hmac_a_receiver_computes() -> None:
    body = b'{"event": "missed_call"}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert signature(b"s3cret", body) == f"sha256={expected}"
    assert signature(b"other", body) != signature(b"s3cret", body)


def test_backoff_doubles_up_to_the_cap_within_half_either_side() -> None:
    rand = random.Random(5)
    for tries, base in [(1, 10.0), (2, 20.0), (3, 40.0), (8, 300.0), (30, 300.0)]:
        for _ in range(50):
            assert base * 0.5 <= retry_delay_s(tries, 10.0, 300.0, rand) < base * 1.5


def test_promo_codes_use_only_unambiguous_characters_and_differ() -> None:
    codes = {new_promo_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 10 and set(c) <= set(PROMO_ALPHABET) for c in codes)
    assert not set("01OIL") & set(PROMO_ALPHABET)


def load(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "spring.yaml").write_text(HEAD + text)
    try:
        load_campaigns(tmp_path)
    except ConfigError as exc:
        return [str(problem) for problem in exc.problems]
    return []


def test_the_key_becomes_rules_and_urls(tmp_path: Path) -> None:
    (tmp_path / "spring.yaml").write_text(
        HEAD
        + """\
followups:
  url: https://gateway.example/dialerd
  secret: s3cret
  kinds: [missed_call]
  urls: {missed_call: "http://127.0.0.1:8080/sms"}
  missed_call_mode: last_attempt
  missed_call_outcomes: [no_answer]
  delivery: {max_tries: 3, backoff_s: 5, max_backoff_s: 60, timeout_s: 2}
"""
    )
    followups = load_campaigns(tmp_path)["spring"].followups
    assert followups is not None
    assert followups.rules() == FollowupRules(
        frozenset({FollowupKind.MISSED_CALL}), MissedCallMode.LAST_ATTEMPT, frozenset({"no_answer"})
    )
    assert followups.url_for("missed_call") == "http://127.0.0.1:8080/sms"
    assert followups.url_for("dropped_call") == "https://gateway.example/dialerd"
    assert followups.signing_key() == b"s3cret"


def test_mistakes_are_reported_at_their_line(tmp_path: Path) -> None:
    problems = load(
        tmp_path,
        """\
followups:
  url: gateway.example/hooks
  secret_env: DIALERD_TEST_NO_SUCH_VARIABLE
  kinds: [missed_call, sms]
  delivery: {max_tries: 0}
""",
    )
    path = tmp_path / "spring.yaml"
    assert problems == [
        f"{path}:6:3: followups.url: 'gateway.example/hooks' is not a webhook URL: write http://"
        " or https://, the host and the path, e.g. https://gateway.example/dialerd"
        " (no user:password@: the secret signs)",
        f"{path}:8:24: followups.kinds.1:"
        " Input should be 'missed_call', 'dropped_call' or 'channel_switch'",
        f"{path}:9:14: followups.delivery.max_tries: Input should be greater than or equal to 1",
    ]


def test_a_secret_that_cannot_be_read_is_named_with_its_line(tmp_path: Path) -> None:
    problems = load(
        tmp_path,
        """\
followups:
  url: https://gateway.example/hooks
  secret_env: DIALERD_TEST_NO_SUCH_VARIABLE
""",
    )
    assert problems == [
        f"{tmp_path / 'spring.yaml'}:7:3: followups.secret_env: cannot read secret:"
        " 'DIALERD_TEST_NO_SUCH_VARIABLE'"
    ]


def test_a_missing_secret_is_refused(tmp_path: Path) -> None:
    problems = load(tmp_path, "followups: {url: 'https://gateway.example/hooks'}\n")
    assert len(problems) == 1
    assert "give exactly one of secret, secret_file, secret_env" in problems[0]
