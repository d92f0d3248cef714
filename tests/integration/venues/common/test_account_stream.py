"""`AccountStream` against each real local fake, over sockets (ccxt unmocked): the wallet and the
positions pushed on the private websocket after a fill, for Binance and Bybit."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import SubmitOrder
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.venues import binance, bybit
from tradeyard.venues.common.account_stream import AccountStream, ExchangePosition
from tradeyard.venues.fakes import binance as fake_binance
from tradeyard.venues.fakes import bybit as fake_bybit

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


def _binance(bus: InProcessBus, bars: dict[str, BarSeries]) -> tuple[Any, Callable[[Any], Any]]:
    fake = fake_binance.FakeBinance(
        fake_binance.FakeBinanceConfig(substeps=2, warmup_bars=600), bars
    )

    def venue(f: Any) -> Any:
        cfg = binance.BinanceConfig(environment="local", rest_url=f.rest_url, ws_url=f.ws_url,
                                    symbols=SYMBOLS, rate_limit=False, reconnect_delay_s=0.05)  # fmt: skip
        env = {"BINANCE_API_KEY": fake_binance.DEFAULT_API_KEY,
               "BINANCE_API_SECRET": fake_binance.DEFAULT_API_SECRET}  # fmt: skip
        return binance.build_venue(bus, cfg, env)

    return fake, venue


def _bybit(bus: InProcessBus, bars: dict[str, BarSeries]) -> tuple[Any, Callable[[Any], Any]]:
    fake = fake_bybit.FakeBybit(fake_bybit.FakeBybitConfig(substeps=2, warmup_bars=600), bars, {})

    def venue(f: Any) -> Any:
        cfg = bybit.BybitConfig(environment="local", rest_url=f.rest_url,
                                public_ws_url=f.public_ws_url, private_ws_url=f.private_ws_url,
                                symbols=SYMBOLS, rate_limit=False, reconnect_delay_s=0.05)  # fmt: skip
        env = {"BYBIT_API_KEY": fake_bybit.DEFAULT_API_KEY,
               "BYBIT_API_SECRET": fake_bybit.DEFAULT_API_SECRET}  # fmt: skip
        return bybit.build_venue(bus, cfg, env)

    return fake, venue


def sim_trader(fake: Any) -> str:
    """The fake's one account, as its simulated venue names it."""
    (acct,) = fake.exchange.accounts.values()
    return str(acct.trader)


@pytest.mark.parametrize("make", [_binance, _bybit], ids=["binance", "bybit"])
def test_account_stream_when_order_fills_pushes_wallet_and_signed_positions(
    make: Callable[..., Any], bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        bus = InProcessBus()
        fake, build = make(bus, bars)
        async with fake:
            venue = build(fake)
            balances: list[tuple[float, float | None]] = []
            positions: list[ExchangePosition] = []
            await venue.execution.start()
            stream = AccountStream(
                venue.execution._client, venue.config.venue, SYMBOLS,
                on_balance=lambda w, a: balances.append((w, a)), on_position=positions.append,
                reconnect_delay_s=0.05,
            )  # fmt: skip
            try:
                await stream.start()
                await asyncio.sleep(0.2)  # the watchers subscribe
                name = venue.config.venue
                for seq, (sym, side, qty) in enumerate([("BTCUSDT", "buy", 0.01),
                                                         ("ETHUSDT", "sell", 0.5)], 1):  # fmt: skip
                    await venue.execution.submit(
                        SubmitOrder("t", name, sym, 0, f"t-{seq}", side, "market", qty)
                    )
                await fake.advance(1)
                await wait_until(
                    lambda: {p.symbol for p in positions} == set(SYMBOLS) and bool(balances)
                )
                assert stream.positions["BTCUSDT"].qty == pytest.approx(0.01)
                assert stream.positions["ETHUSDT"].qty == pytest.approx(-0.5)  # short: negative
                sim = fake.exchange.sim
                held = {s: sim.account(sim_trader(fake)).positions[s].qty for s in SYMBOLS}
                assert {s: p.qty for s, p in stream.positions.items()} == pytest.approx(held)
                wallet, _ = balances[-1]
                # fees were charged on the two fills: the wallet moved below the 10,000 start
                assert math.isfinite(wallet) and wallet < 10_000.0
                assert stream.wallet == wallet
            finally:
                await stream.close()
                await venue.close()

    run(scenario())
