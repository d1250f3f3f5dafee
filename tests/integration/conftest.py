"""Integration tests run against the real lab; see tests/integration/lab.py."""

from __future__ import annotations

import pytest

from tests.integration.lab import Lab


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in item.nodeid:
            item.add_marker(pytest.mark.lab)


@pytest.fixture(scope="session")
def lab() -> Lab:
    return Lab.from_status()
