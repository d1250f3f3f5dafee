"""The store contract against the in-process store (the Redis store: tests/integration)."""

from __future__ import annotations

import pytest

from caller_id_pool import InProcessStore
from tests.unit.caller_id_pool.contract import StoreContract


class TestInProcessStore(StoreContract):
    @pytest.fixture
    def store(self) -> InProcessStore:
        return InProcessStore()
