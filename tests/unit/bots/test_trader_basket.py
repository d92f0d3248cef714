"""The portfolio trader end to end: a 10-symbol basket of the bundled data through a real
InProcessBus, SimVenue, StrategyBot(sma_cross) and BacktestEngine, wired as the runner wires them.

The invariant under test: no position ever exceeds its allocation × leverage. Precisely, every
position the venue reports is the one a sizing decision aimed at (or smaller), and that decision
sized it at no more than weight × leverage × wallet at the price it sized with. At the fill price
(the next bar's open) it may differ by the price move of one minute, checked with 1 % slack.
"""

from __future__ import annotations

from typing import Any

import pytest

from tradeyard.backtest.engine import BacktestEngine
from tradeyard.bots import BotContext, StrategyBot, Trader
from tradeyard.bots.allocation import Allocation, EqualWeight, VolatilityScaled
from tradeyard.bus import InProcessBus
from tradeyard.events import Event, Fill, OrderUpdate, PositionUpdate, SubmitOrder
from tradeyard.events.topics import topic_for
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.strategies import get as get_strategy
from tradeyard.strategies.sma_cross import SmaCrossParams
from tradeyard.venues.sim import SimVenue, SimVenueConfig
from tradeyard.venues.sim.config import default_instrument

N_BARS = 3_000
LEVERAGE = 2.0


@pytest.fixture(scope="module")
def basket() -> list[BarSeries]:
    bars = load_bars(bundled_bars_dir())
    assert len(bars) == 10
    return [s.slice(0, N_BARS) for s in bars.values()]


def run_basket(
    bars: list[BarSeries], allocation: Allocation, **trader_kwargs: Any
) -> tuple[Trader, list[Event]]:
    """Wire bus, venue, strategy and trader as backtest/runner.py does; return the trader and
    every command and execution report in order."""
    bus = InProcessBus()
    venue_cfg = SimVenueConfig(name="sim")
    venue = SimVenue(venue_cfg, bus.publish)
    symbols = [s.symbol for s in bars]

    def ctx(bot_id: str) -> BotContext:
        return BotContext(bot_id, lambda e: bus.publish(topic_for(e), e))

    strategy = StrategyBot(
        ctx("x"),
        get_strategy("sma_cross"),
        SmaCrossParams(fast=10, slow=30),
        symbols,
        venue="sim",
        interval="1m",
    )
    trader = Trader(
        ctx("t"),
        "sim",
        {"x": 1.0},
        leverage=LEVERAGE,
        instruments={s: default_instrument(s) for s in symbols},
        symbols=symbols,
        allocation=allocation,
        taker_fee=venue_cfg.taker_fee,
        bar_interval="1m",
        **trader_kwargs,
    )
    seen: list[Event] = []
    bus.subscribe("cmd.>", lambda t, e: seen.append(e))
    bus.subscribe("exec.>", lambda t, e: seen.append(e))
    BacktestEngine(bus, venue, bars, [strategy], [trader]).run()
    return trader, seen


def assert_positions_within_allocation(trader: Trader, seen: list[Event]) -> int:
    """Check the invariant on every position report; return how many were checked."""
    decision_of = {d.client_order_id: d for d in trader.decisions if d.client_order_id}
    last_fill: Fill | None = None
    checked = 0
    for e in seen:
        if isinstance(e, Fill):
            last_fill = e
        elif isinstance(e, PositionUpdate) and e.qty != 0.0:
            assert last_fill is not None and last_fill.symbol == e.symbol
            d = decision_of[last_fill.client_order_id]
            assert d.allocation_weight is not None and d.price is not None
            allowed = d.allocation_weight * d.leverage * d.equity  # USDT at target ±1
            assert abs(e.qty) <= abs(d.target_qty) + 1e-9
            assert abs(d.target_qty) * d.price <= allowed * (1 + 1e-12)
            assert abs(e.qty) * last_fill.price <= allowed * 1.01
            checked += 1
    return checked


def test_trader_when_equal_weight_basket_runs_no_position_exceeds_allocation_times_leverage(
    basket: list[BarSeries],
) -> None:
    trader, seen = run_basket(basket, EqualWeight())
    assert assert_positions_within_allocation(trader, seen) > 300
    assert {d.symbol for d in trader.decisions} == {s.symbol for s in basket}
    assert {d.allocation_weight for d in trader.decisions} == {0.1}
    # every order the trader sent is explained by a decision, and its `sizing` carries the summary
    sent = [e for e in seen if isinstance(e, SubmitOrder) and not e.reduce_only]
    assert all(e.sizing.startswith("eqw 10% x2") for e in sent)
    explained = {d.client_order_id for d in trader.decisions}
    assert all(e.client_order_id in explained for e in seen if isinstance(e, SubmitOrder))
    # a fully invested basket (10 × 10 % at 2x = all the margin) binds the margin check: the
    # trader shrinks those orders instead of sending them to be rejected (it marks positions
    # only at signals and fills, so a fast market can still beat its 1 % buffer now and then)
    assert any(d.bound_by == ("margin",) for d in trader.decisions)
    rejected = [e for e in seen if isinstance(e, OrderUpdate) and e.status == "rejected"]
    assert len(rejected) <= len(sent) // 100


def test_trader_when_volatility_scaled_basket_runs_stays_within_leverage(
    basket: list[BarSeries],
) -> None:
    trader, seen = run_basket(basket, VolatilityScaled(period=60))
    assert assert_positions_within_allocation(trader, seen) > 300
    weights = {d.allocation_weight for d in trader.decisions if d.status == "sent"}
    assert len(weights) > 100  # the weights follow each symbol's σ
    assert all(w is not None and 0.0 < w < 1.0 for w in weights)
    assert [e for e in seen if isinstance(e, OrderUpdate) and e.status == "rejected"] == []
