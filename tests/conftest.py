"""Fixtures for every test."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest
import structlog

from dialerd import logs


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A test that runs a `dialerd` command in-process (or `dialerd.logs.configure`) points
    the logs at that test's captured, later closed, streams: set them back after it; and
    the secrets a configuration it loaded hid from the logs are not hidden in the next test.
    """
    root = logging.getLogger()
    handlers, level, hook = list(root.handlers), root.level, sys.excepthook
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook = hook
    logs.forget_secrets()
