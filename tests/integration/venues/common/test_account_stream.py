"""`AccountStream` against each real local fake, over sockets (ccxt unmocked): the wallet and the
positions pushed on the private websocket after a fill, for Binance and Bybit."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.errors import VenueError
from tradeyard.events import SubmitOrder
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.testkit.venues import local_fake, local_venue
from tradeyard.venues.common.account_stream import ExchangePosition

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
KINDS = pytest.mark.parametrize("kind", ["binanceusdm", "bybit"])


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


def sim_trader(fake: Any) -> str:
    """The fake's one account, as its simulated venue names it."""
    (acct,) = fake.exchange.accounts.values()
    return str(acct.trader)


@KINDS
def test_account_stream_when_order_fills_pushes_wallet_and_signed_positions(
    kind: Any, bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        async with local_fake(kind, bars) as fake:
            venue = local_venue(kind, InProcessBus(), fake, symbols=SYMBOLS)
            balances: list[tuple[float, float | None]] = []
            positions: list[ExchangePosition] = []
            await venue.execution.start()
            stream = venue.execution.account_stream(
                lambda w, a: balances.append((w, a)), positions.append
            )
            try:
                await stream.start()
                await asyncio.sleep(0.2)  # the watchers subscribe
                orders = [("BTCUSDT", "buy", 0.01), ("ETHUSDT", "sell", 0.5)]
                for seq, (sym, side, qty) in enumerate(orders, 1):
                    await venue.execution.submit(
                        SubmitOrder("t", kind, sym, 0, f"t-{seq}", side, "market", qty)
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


@KINDS
def test_execution_when_order_asks_for_leverage_sets_it_on_the_exchange_once(
    kind: Any, bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        async with local_fake(kind, bars) as fake:
            venue = local_venue(kind, InProcessBus(), fake, symbols=SYMBOLS)
            calls: list[tuple[Any, ...]] = []
            client = venue.execution._client
            real = client.set_leverage

            async def counting(*args: Any, **kw: Any) -> Any:
                calls.append(args)
                return await real(*args, **kw)

            client.set_leverage = counting
            await venue.execution.start()
            try:
                for seq in (1, 2):
                    update = await venue.execution.submit(
                        SubmitOrder(
                            "t", kind, "ETHUSDT", 0, f"t-{seq}", "buy", "market", 0.1, leverage=2.5
                        )
                    )
                    assert update.status == "new"
                (acct,) = fake.exchange.accounts.values()
                assert acct.leverage_of("ETHUSDT") == 3  # rounded up to a whole number
                assert len(calls) == 1  # set before the first order only
            finally:
                await venue.close()

    run(scenario())


def _isolated(acct: Any, symbol: str) -> bool:
    """The fake account's margin mode of `symbol` (Bybit: the account's, unless set per symbol)."""
    return acct.isolated_of(symbol) if hasattr(acct, "isolated_of") else acct.isolated.get(symbol)


@KINDS
def test_execution_when_margin_mode_configured_sets_it_at_start_and_again_is_fine(
    kind: Any, bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        async with local_fake(kind, bars) as fake:
            (acct,) = fake.exchange.accounts.values()
            for _ in range(2):  # the second start finds it already set: not an error
                venue = local_venue(kind, InProcessBus(), fake, symbols=SYMBOLS,
                                    margin_mode="isolated")  # fmt: skip
                try:
                    await venue.execution.start()
                finally:
                    await venue.close()
                assert all(_isolated(acct, s) for s in SYMBOLS)

    run(scenario())


@KINDS
def test_execution_when_margin_mode_refused_fails_start_naming_symbol_and_fix(
    kind: Any, bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        async with local_fake(kind, bars) as fake:
            venue = local_venue(kind, InProcessBus(), fake, symbols=SYMBOLS)
            await venue.execution.start()
            await venue.execution.submit(
                SubmitOrder("t", kind, "ETHUSDT", 0, "t-1", "buy", "limit", 0.1, price=1000.0)
            )  # an open order: the exchange refuses to switch the symbol's margin mode
            await venue.close()
            venue = local_venue(kind, InProcessBus(), fake, symbols=SYMBOLS,
                                margin_mode="isolated")  # fmt: skip
            try:
                # Binance switches a symbol; Bybit (a unified account) the whole account
                refusal = (
                    r"ETHUSDT: cannot set isolated margin"
                    if kind == "binanceusdm"
                    else r"cannot set the account to isolated margin: .*ETHUSDT has a position or "
                    r"open orders.*set margin_mode to the account's mode"
                )
                with pytest.raises(VenueError, match=refusal):
                    await venue.execution.start()
            finally:
                await venue.close()

    run(scenario())
