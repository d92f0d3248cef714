"""Fixtures for the fake-exchange tests: bundled bars once per session, a running fake per test.

Tests are `async def` functions run by the small hook below (each in a fresh event loop, with a
time limit) so no asyncio plugin is needed. Every server binds 127.0.0.1 on a free port and is
stopped when its test ends.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fake_client_common import start_fake_server

from tradeyard.marketdata import (
    BarSeries,
    bundled_bars_dir,
    bundled_funding_dir,
    load_bars,
    load_funding,
)
from tradeyard.venues.fakes.binance import FakeBinance, FakeBinanceConfig

TEST_TIMEOUT_S = 60.0
SYMBOLS = ("BTCUSDT", "ETHUSDT", "LTCUSDT")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run coroutine tests with asyncio.run and a time limit."""
    func = pyfuncitem.obj
    if not inspect.iscoroutinefunction(func):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}

    async def bounded() -> None:
        async with asyncio.timeout(TEST_TIMEOUT_S):
            await func(**kwargs)

    asyncio.run(bounded())
    return True


@pytest.fixture(scope="session")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), list(SYMBOLS))


@pytest.fixture(scope="session")
def funding(bars: dict[str, BarSeries]) -> dict[str, list[tuple[int, float]]]:
    return load_funding(bundled_funding_dir(), bars)


StartFake = Callable[..., Any]


@pytest.fixture
def start_fake(
    bars: dict[str, BarSeries], funding: dict[str, list[tuple[int, float]]]
) -> StartFake:
    """`async with start_fake(substeps=2, ...) as fake:` — a manual-step fake on a free port."""

    @asynccontextmanager
    async def _start(**config: Any) -> AsyncIterator[FakeBinance]:
        async with start_fake_server(FakeBinance, FakeBinanceConfig, bars, funding, **config) as f:
            yield f

    return _start
