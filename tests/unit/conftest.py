"""Fixtures of the unit tier: a local exchange per module, and git without the user's settings."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from demo.exchange.server import LocalExchange

EXCHANGE_NOW = datetime(2025, 3, 3, 12, 0, 30, tzinfo=UTC)
"""The local exchange's clock: half a minute into 12:00, so it serves the 12:00 candle open."""


@pytest.fixture(scope="module")
def module_exchange(tmp_path_factory) -> Iterator[LocalExchange]:
    """A local exchange for the module's tests; no mirror files (REST and ccxt candles come from
    the generator). A module with an archive mirror overrides it."""
    with LocalExchange(tmp_path_factory.mktemp("no-mirror"), EXCHANGE_NOW) as exchange:
        yield exchange


@pytest.fixture
def exchange(module_exchange) -> LocalExchange:
    """The module's local exchange with no faults set and no requests recorded."""
    module_exchange.faults.clear()
    module_exchange.requests.clear()
    return module_exchange


@pytest.fixture(scope="module")
def plain_git() -> Iterator[None]:
    """git with no user or system configuration in the way, and dlt without telemetry."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        patch.setenv("DO_NOT_TRACK", "1")
        patch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            patch.delenv(name, raising=False)
        yield
