"""The exit codes dialerd.service's restart policy is written against (systemd/)."""

from __future__ import annotations

import pytest

from dialerd.cli import EXIT_CONFIG, EXIT_FATAL, EXIT_UNAVAILABLE, exit_code
from dialerd.errors import DialerdError, Fatal, Unavailable
from dialerd.storage import SchemaNotAtHead, StorageConfigError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (SchemaNotAtHead(None, "0001"), EXIT_FATAL),
        (StorageConfigError("password authentication failed"), EXIT_FATAL),
        (Fatal("AMI login refused"), EXIT_FATAL),
        (Unavailable("connection refused"), EXIT_UNAVAILABLE),
        (DialerdError("no such campaign"), EXIT_CONFIG),
    ],
)
def test_each_error_has_the_exit_code_systemd_acts_on(error: DialerdError, code: int) -> None:
    assert exit_code(error) == code
