"""The portfolio trader, fed events by hand: what it orders, and the record of why.

Conventions: trader "t" on venue "sim", 10,000 USDT wallet, one strategy "s" with weight 1,
instruments with a 0.001 step and a 5 USDT minimum notional, taker fee 0 and no margin buffer
unless a test is about them. Every expected number is worked out in the comment above its assertion.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from tradeyard.bots import BotContext, FixedNotional, Trader
from tradeyard.bots.allocation import EqualWeight, FixedFraction, VolatilityScaled
from tradeyard.bots.sizing_record import CapApplied, SizingDecision
from tradeyard.errors import ConfigError
from tradeyard.events import (
    BalanceUpdate,
    Bar,
    CancelOrder,
    Control,
    Event,
    Fill,
    InstrumentSpec,
    OrderUpdate,
    PositionUpdate,
    Signal,
    SubmitOrder,
    topics,
)

TEN = (
    "BTCUSDT",
    "ETHUSDT",
    "SOLUSDT",
    "XRPUSDT",
    "BNBUSDT",
    "LTCUSDT",
    "BCHUSDT",
    "LINKUSDT",
    "AVAXUSDT",
    "SUIUSDT",
)
SPECS = {s: InstrumentSpec(s, tick_size=0.01, step_size=0.001, min_notional=5.0) for s in TEN}


def make_trader(
    follows: dict[str, float] | None = None, wallet: float = 10_000.0, **kwargs: Any
) -> tuple[Trader, list[Event]]:
    """A trader with `wallet` USDT deposited; returns it and the list it emits into."""
    emitted: list[Event] = []
    kwargs.setdefault("instruments", SPECS)
    kwargs.setdefault("taker_fee", 0.0)
    kwargs.setdefault("margin_buffer", 0.0)
    trader = Trader(BotContext("t", emitted.append), "sim", follows or {"s": 1.0}, **kwargs)
    feed(trader, BalanceUpdate("t", "sim", 0, "USDT", wallet, wallet, "deposit", wallet))
    return trader, emitted


def feed(trader: Trader, event: Event) -> None:
    trader.on_event(topics.topic_for(event), event)


def signal(
    symbol: str, target: float, price: float, strategy: str = "s", reason: str = "go", **kw: Any
) -> Signal:
    kw.setdefault("ts", 1_000)
    return Signal(strategy, symbol, target=target, reason=reason, ref_price=price, **kw)


def orders(emitted: list[Event]) -> list[SubmitOrder]:
    return [e for e in emitted if isinstance(e, SubmitOrder)]


def fill(trader: Trader, order: SubmitOrder, price: float, fee: float = 0.0) -> None:
    """Report `order` filled at `price` the way the venue does: Fill, OrderUpdate, position, wallet."""
    before = trader.positions.get(order.symbol, 0.0)
    signed = order.qty if order.side == "buy" else -order.qty
    after = round(before + signed, 12)
    ts = order.ts + 1
    feed(trader, Fill("t", "sim", order.symbol, ts, order.client_order_id, order.side,
                      order.qty, price, fee, "taker"))  # fmt: skip
    feed(trader, OrderUpdate("t", "sim", order.symbol, ts, order.client_order_id, "filled",
                             order.side, order.order_type, order.qty, order.qty, price))  # fmt: skip
    entry = (
        price
        if before == 0.0 or (before > 0) != (after > 0)
        else trader.account.entry[order.symbol]
    )
    feed(trader, PositionUpdate("t", "sim", order.symbol, ts, after, entry if after else 0.0))
    wallet = trader.wallet - fee
    feed(trader, BalanceUpdate("t", "sim", ts, "USDT", wallet, wallet, "fill", -fee, order.symbol))


# -- allocation -----------------------------------------------------------------------------
def test_trader_when_equal_weight_ten_symbols_2x_sizes_2000_usdt_per_symbol() -> None:
    trader, emitted = make_trader(symbols=TEN, allocation=EqualWeight(), leverage=2.0)
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0))
    feed(trader, signal("ETHUSDT", -1.0, 2_999.99))
    btc, eth = orders(emitted)
    # 10,000 × 2 / 10 = 2,000 USDT: 2,000 / 50,000 = 0.04 BTC
    assert (btc.side, btc.qty, btc.order_type, btc.reduce_only) == ("buy", 0.04, "market", False)
    # 2,000 / 2,999.99 = 0.666668… → 0.666 at step 0.001
    assert (eth.side, eth.qty) == ("sell", 0.666)
    assert btc.leverage == 2.0
    assert (btc.tag, btc.sizing) == ("go", "eqw 10% x2")
    d = trader.decisions[1]
    assert d.allocation_weight == pytest.approx(0.1)
    assert d.unit_qty == pytest.approx(2_000 / 2_999.99)
    assert d.rounded_off == pytest.approx(2_000 / 2_999.99 - 0.666)
    assert d.target_qty == -0.666


def test_trader_when_two_strategies_half_agree_sizes_half_a_position() -> None:
    trader, emitted = make_trader(
        follows={"fast": 0.5, "slow": 0.5}, symbols=TEN, allocation=EqualWeight(), leverage=2.0
    )
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0, strategy="fast"))
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0, strategy="slow"))
    first, _cancel, second = emitted
    # 0.5 × 2,000 USDT = 1,000 → 0.02; then both agree: a new order for the whole 0.04
    # (the first one was not filled yet and is canceled first)
    assert isinstance(first, SubmitOrder) and first.qty == 0.02
    assert isinstance(_cancel, CancelOrder) and _cancel.client_order_id == first.client_order_id
    assert isinstance(second, SubmitOrder) and second.qty == 0.04
    assert (first.tag, first.sizing) == ("go", "eqw 10% x2 t+0.5")
    assert (second.tag, second.sizing) == ("go", "eqw 10% x2")


def test_trader_when_fixed_fraction_sizes_listed_and_default_symbols() -> None:
    alloc = FixedFraction(fractions={"BTCUSDT": 0.5, "ETHUSDT": 0.3}, default=0.1)
    trader, emitted = make_trader(
        symbols=("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"), allocation=alloc
    )
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0))
    feed(trader, signal("SOLUSDT", 1.0, 150.0))
    btc, sol = orders(emitted)
    # 0.5 × 10,000 × 1 = 5,000 → 0.1 BTC; SOL takes the default 0.1: 1,000 / 150 = 6.666…
    assert btc.qty == 0.1
    assert sol.qty == 6.666
    assert (sol.tag, sol.sizing) == ("go", "fix 10% x1")


def test_trader_when_volatility_scaled_weights_are_inverse_sigma_of_recent_returns() -> None:
    symbols = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    trader, emitted = make_trader(symbols=symbols, allocation=VolatilityScaled(period=5))
    # Returns: BTC alternates ±1 %, ETH ±2 %, SOL trends with wobble. 7 closes = 6 returns,
    # σ over the last 5.
    closes = {
        "BTCUSDT": 100.0 * np.exp(np.cumsum([0, 0.01, -0.01, 0.01, -0.01, 0.01, -0.01])),
        "ETHUSDT": 100.0 * np.exp(np.cumsum([0, 0.02, -0.02, 0.02, -0.02, 0.02, -0.02])),
        "SOLUSDT": 100.0 * np.exp(np.cumsum([0, 0.03, 0.01, 0.04, -0.02, 0.05, 0.0])),
    }
    for i in range(7):
        for s in symbols:
            c = float(closes[s][i])
            feed(trader, Bar("sim", s, "1m", i * 60_000, i * 60_000 + 59_999, c, c, c, c, 1.0))
    sigma = {s: np.std(np.diff(np.log(closes[s]))[-5:], ddof=1) for s in symbols}
    inv = {s: 1 / v for s, v in sigma.items()}
    expected = {s: inv[s] / sum(inv.values()) for s in symbols}
    price = float(closes["ETHUSDT"][-1])
    feed(trader, signal("ETHUSDT", 1.0, price))
    (eth,) = orders(emitted)
    d = trader.decisions[0]
    assert d.volatility == pytest.approx(sigma["ETHUSDT"], rel=1e-9)
    assert d.allocation_weight == pytest.approx(expected["ETHUSDT"], rel=1e-9)
    # BTC and ETH alternate, so σ_ETH = 2 σ_BTC exactly
    assert sigma["ETHUSDT"] == pytest.approx(2 * sigma["BTCUSDT"])
    assert eth.qty == math.floor(10_000 * expected["ETHUSDT"] / price * 1000) / 1000
    assert eth.tag == "go" and eth.sizing.startswith("vol ")


def test_trader_when_volatility_not_warmed_up_skips_and_records_why() -> None:
    trader, emitted = make_trader(symbols=("BTCUSDT",), allocation=VolatilityScaled(period=5))
    for i, c in enumerate([100.0, 101.0, 100.0]):
        feed(trader, Bar("sim", "BTCUSDT", "1m", i * 60_000, i * 60_000 + 59_999, c, c, c, c, 1))
    feed(trader, signal("BTCUSDT", 1.0, 100.0))
    assert orders(emitted) == []
    (d,) = trader.decisions
    assert (d.status, d.order_qty, d.allocation_weight) == ("skipped", 0.0, None)
    assert "no volatility for BTCUSDT yet: volatility_scaled needs 6 closed bars" in d.reason


def test_trader_when_volatility_scaled_subscribes_bar_topics_of_its_symbols_only() -> None:
    vol, _ = make_trader(symbols=("BTCUSDT", "ETHUSDT"), allocation=VolatilityScaled())
    eqw, _ = make_trader(symbols=("BTCUSDT", "ETHUSDT"), allocation=EqualWeight())
    bar_topics = [p for p, _h in vol.handlers() if p.startswith("md.")]
    assert bar_topics == ["md.sim.BTCUSDT.bar_1m", "md.sim.ETHUSDT.bar_1m"]
    assert not [p for p, _h in eqw.handlers() if p.startswith("md.")]


def test_trader_when_no_allocation_sizes_each_symbol_with_its_sizing_as_before() -> None:
    trader, emitted = make_trader()
    feed(trader, signal("BTCUSDT", 1.0, 100.0, reason="fast SMA crossed above slow SMA"))
    (o,) = orders(emitted)
    # equity_fraction 0.95 × 10,000 × 1 / 100 = 95
    assert o.qty == 95.0
    assert (o.tag, o.sizing) == ("fast SMA crossed above slow SMA", "ef x1")
    assert trader.decisions[0].allocation == "equity_fraction"


# -- caps -----------------------------------------------------------------------------------
def test_trader_when_symbol_leverage_cap_binds_scales_position_and_records_it() -> None:
    trader, emitted = make_trader(
        symbols=("BTCUSDT", "ETHUSDT"),
        allocation=EqualWeight(),
        leverage=4.0,
        max_symbol_leverage=1.5,
    )
    feed(trader, signal("ETHUSDT", 1.0, 100.0))
    (o,) = orders(emitted)
    # 0.5 × 10,000 × 4 = 20,000 USDT = 200 ETH; the cap allows 1.5 × 10,000 = 15,000 = 150
    assert o.qty == 150.0
    assert (o.tag, o.sizing) == ("go", "eqw 50% x4 cap:sym")
    (cap,) = trader.decisions[0].caps
    assert cap == CapApplied(name="symbol_leverage", limit=1.5, qty_before=200.0, qty_after=150.0)
    assert cap.scale == 0.75


def test_trader_when_total_leverage_cap_binds_counts_other_positions() -> None:
    trader, emitted = make_trader(
        symbols=("BTCUSDT", "ETHUSDT"),
        allocation=EqualWeight(),
        leverage=2.0,
        max_total_leverage=1.5,
    )
    feed(trader, signal("BTCUSDT", 1.0, 100.0))
    fill(trader, orders(emitted)[0], 100.0)
    feed(trader, signal("ETHUSDT", -1.0, 50.0))
    btc, eth = orders(emitted)
    # BTC: 0.5 × 10,000 × 2 = 10,000 USDT = 100 (total 1x: under the 1.5x cap)
    assert btc.qty == 100.0
    # ETH asks 10,000 USDT = 200, room left 1.5 × 10,000 − 10,000 = 5,000 = 100
    assert (eth.side, eth.qty) == ("sell", 100.0)
    (cap,) = trader.decisions[1].caps
    assert (cap.name, cap.qty_before, cap.qty_after) == ("total_leverage", 200.0, 100.0)
    assert (eth.tag, eth.sizing) == ("go", "eqw 50% x2 cap:total")


def test_trader_when_total_cap_and_entry_still_pending_counts_the_pending_order() -> None:
    trader, emitted = make_trader(
        symbols=("BTCUSDT", "ETHUSDT"),
        allocation=EqualWeight(),
        leverage=2.0,
        max_total_leverage=1.5,
    )
    feed(trader, signal("BTCUSDT", 1.0, 100.0))  # not filled yet: 100 BTC pending
    feed(trader, signal("ETHUSDT", 1.0, 50.0))
    _btc, eth = orders(emitted)
    assert eth.qty == 100.0  # the same 5,000 USDT of room as if BTC had filled


# -- margin ---------------------------------------------------------------------------------
def test_trader_when_margin_short_across_positions_scales_order_down() -> None:
    trader, emitted = make_trader(
        symbols=("BTCUSDT", "ETHUSDT"), allocation=EqualWeight(), leverage=2.0, taker_fee=0.0005
    )
    feed(trader, signal("BTCUSDT", 1.0, 100.0))
    btc = orders(emitted)[0]
    # 10,000 USDT = 100 BTC: margin 5,000 + fee 5 fits the 10,000 wallet
    assert btc.qty == 100.0
    fill(trader, btc, 100.0, fee=5.0)  # wallet 9,995
    feed(trader, signal("ETHUSDT", 1.0, 50.0))
    eth = orders(emitted)[1]
    # wants 0.5 × 9,995 × 2 = 9,995 USDT = 199.9 ETH: margin 4,997.5 + fee 4.9975 = 5,002.4975,
    # available 9,995 − 5,000 (BTC margin) = 4,995 → 4,995 / (50/2 + 0.0005 × 50) = 199.6004 → 199.6
    assert eth.qty == 199.6
    d = trader.decisions[1]
    assert d.caps == (CapApplied(name="margin", limit=4_995.0, qty_before=199.9, qty_after=199.6),)
    assert d.target_qty == 199.6 and d.status == "sent"
    assert (eth.tag, eth.sizing) == ("go", "eqw 50% x2 cap:margin")
    assert "margin cap 4,995.00 USDT available: order 199.9 → 199.6 (99.8%)" in d.reason


def test_trader_when_no_margin_left_skips_order_and_records_reason() -> None:
    trader, emitted = make_trader(sizing=FixedNotional(notional=10_000.0))
    feed(trader, signal("BTCUSDT", 1.0, 100.0))
    fill(trader, orders(emitted)[0], 100.0)  # 100 BTC: all 10,000 USDT are margin
    feed(trader, signal("ETHUSDT", 1.0, 50.0))
    assert len(orders(emitted)) == 1  # nothing sent for ETH
    d = trader.decisions[1]
    assert (d.status, d.order_qty, d.target_qty, d.client_order_id) == ("skipped", 0.0, 0.0, "")
    assert (d.caps[0].qty_after, d.skip_kind) == (0.0, "margin")
    assert "no order: cannot be margined: needs 10,000.00 USDT (margin + fee), 0.00 USDT" in (
        d.reason
    )


def test_trader_when_unrealized_loss_counts_it_against_available_margin() -> None:
    trader, emitted = make_trader(sizing=FixedNotional(notional=5_000.0))
    feed(trader, signal("BTCUSDT", 1.0, 100.0))
    fill(trader, orders(emitted)[0], 100.0)  # 50 BTC, margin 5,000
    feed(trader, signal("BTCUSDT", 1.0, 80.0, strategy="s"))  # BTC now 80: −1,000 unrealized
    # the BTC re-signal at 80 wants 5,000 / 80 = 62.5: +12.5 needs 1,000 of the 4,000 left: fine
    feed(trader, signal("ETHUSDT", 1.0, 50.0))
    eth = orders(emitted)[-1]
    # wallet 10,000 − 1,000 loss − 5,000 BTC margin − 1,000 pending BTC add = 3,000 → 60 ETH
    assert (eth.symbol, eth.qty) == ("ETHUSDT", 60.0)


def test_trader_when_below_min_notional_does_not_send() -> None:
    trader, emitted = make_trader(sizing=FixedNotional(notional=4.0))
    feed(trader, signal("BTCUSDT", 1.0, 100.0))
    assert orders(emitted) == []
    assert "notional 4.00 USDT below the minimum 5 for BTCUSDT" in trader.decisions[0].reason


def test_trader_when_position_is_less_than_one_step_records_the_skip() -> None:
    # A wallet run dry: 0.04 USDT × 95 % at 100 USDT = 0.00038, below the 0.001 step.
    trader, emitted = make_trader(wallet=0.04)
    feed(trader, signal("BTCUSDT", 1.0, 100.0))
    assert orders(emitted) == []
    (d,) = trader.decisions
    assert (d.status, d.skip_kind, d.target_qty, d.order_qty) == ("skipped", "below_step", 0.0, 0.0)
    assert d.reason.endswith(
        "no order: the position asked for, 0.00038, is less than one step (0.001) of BTCUSDT"
    )


def test_trader_when_a_position_is_open_and_the_target_rounds_to_zero_closes_it() -> None:
    # Not a skip: holding 1 BTC, a target below one step closes the position.
    trader, emitted = make_trader(sizing=FixedNotional(notional=100.0))
    feed(trader, signal("BTCUSDT", 1.0, 100.0))
    fill(trader, orders(emitted)[0], 100.0)
    feed(trader, signal("BTCUSDT", 0.0001, 100.0, ts=2_000))  # 0.0001 × 1 BTC = 0.0001
    close = orders(emitted)[-1]
    assert (close.side, close.qty, close.reduce_only) == ("sell", 1.0, True)
    assert trader.decisions[-1].skip_kind == ""


@pytest.mark.parametrize(
    ("kwargs", "sig", "kind"),
    [
        ({"sizing": FixedNotional(notional=4.0)}, ("BTCUSDT", 1.0, 100.0), "min_notional"),
        ({"symbols": ("BTCUSDT",), "allocation": EqualWeight()}, ("ETHUSDT", 1.0, 3_000.0),
         "not_in_basket"),
        ({"symbols": ("BTCUSDT", "ETHUSDT"), "allocation": FixedFraction(fractions={"BTCUSDT": 1.0})},
         ("ETHUSDT", 1.0, 3_000.0), "zero_weight"),
        ({"wallet": 0.0}, ("BTCUSDT", 1.0, 100.0), "no_equity"),
    ],
)  # fmt: skip
def test_trader_when_a_signal_is_skipped_records_its_kind(
    kwargs: dict[str, Any], sig: tuple[str, float, float], kind: str
) -> None:
    trader, emitted = make_trader(**kwargs)
    feed(trader, signal(*sig))
    assert orders(emitted) == []
    assert [(d.status, d.skip_kind) for d in trader.decisions] == [("skipped", kind)]


# -- the record -----------------------------------------------------------------------------
def test_trader_when_order_sent_records_every_sizing_step() -> None:
    trader, emitted = make_trader(
        follows={"trend": 1.0, "mr": 0.5}, symbols=TEN, allocation=EqualWeight(), leverage=2.0
    )
    feed(trader, signal("SOLUSDT", -1.0, 150.0, strategy="mr", reason="rsi high"))
    feed(trader, signal("SOLUSDT", 1.0, 150.0, strategy="trend", reason="trend up", ts=2_000))
    o = orders(emitted)[-1]
    d = trader.decisions[-1]
    # combined = 1 × 1 + (−1) × 0.5 = 0.5; full position 2,000 / 150 = 13.333…, half 6.666…
    assert d == SizingDecision(
        ts=2_000,
        symbol="SOLUSDT",
        signal_reason="trend up",
        targets={"mr": -1.0, "trend": 1.0},
        weights={"mr": 0.5, "trend": 1.0},
        combined_target=0.5,
        equity=10_000.0,
        allocation="equal_weight",
        allocation_weight=0.1,
        volatility=None,
        leverage=2.0,
        price=150.0,
        unit_qty=2_000.0 / 150.0,
        desired_qty=0.5 * 2_000.0 / 150.0,
        current_qty=0.0,
        caps=(),
        step=0.001,
        rounded_off=pytest.approx(1_000 / 150 - 6.666),  # type: ignore[arg-type]
        target_qty=6.666,
        order_qty=6.666,
        reduce_only=False,
        client_order_id=o.client_order_id,
        bracket_ids=(),
        status="sent",
        skip="",
        venue_reason="",
    )
    assert d.reason == (
        "target +0.5 (mr -1×0.5, trend +1×1); equal_weight 10% of 10,000.00 USDT × 2x = "
        "2,000.00 USDT full position = 13.3333 at 150; wants 6.66667; rounded down to step "
        "0.001 (−0.000666667); holds 0 → buy 6.666 to hold 6.666"
    )
    assert (o.tag, o.sizing) == ("trend up", "eqw 10% x2 t+0.5")


def test_trader_when_signal_reason_is_long_tag_is_cut_and_sizing_kept_apart() -> None:
    trader, emitted = make_trader(symbols=TEN, allocation=EqualWeight(), leverage=2.0)
    reason = "fast SMA crossed above slow SMA while the RSI was below thirty and volume rose"
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0, reason=reason))
    (o,) = orders(emitted)
    assert len(o.tag) == 64
    assert o.tag.startswith("fast SMA crossed above slow SMA")
    assert o.sizing == "eqw 10% x2"
    assert trader.decisions[0].signal_reason == reason  # whole, in the decision record
    assert trader.decisions[0].signal_reason == reason


def test_trader_when_bracket_signal_sizes_exits_from_the_same_decision() -> None:
    trader, emitted = make_trader(symbols=TEN, allocation=EqualWeight(), leverage=2.0)
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0, take_profit=55_000.0, stop_loss=48_000.0))
    entry, tp, sl = orders(emitted)
    d = trader.decisions[0]
    assert (entry.qty, tp.qty, sl.qty) == (0.04, 0.04, 0.04)
    assert (tp.parent_id, sl.parent_id) == (entry.client_order_id, entry.client_order_id)
    assert d.bracket_ids == (tp.client_order_id, sl.client_order_id)
    assert (tp.tag, sl.tag) == ("take profit", "stop loss")


# -- reversals, rejections, control ---------------------------------------------------------
def test_trader_when_reversing_long_to_short_sends_one_order_of_both_sizes() -> None:
    trader, emitted = make_trader(
        symbols=TEN, allocation=EqualWeight(), leverage=2.0, taker_fee=0.0005
    )
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0))
    fill(trader, orders(emitted)[0], 50_000.0, fee=1.0)  # long 0.04, wallet 9,999
    feed(trader, signal("BTCUSDT", -1.0, 40_000.0, reason="crossed below"))
    rev = orders(emitted)[1]
    # 9,999 × 2 / 10 = 1,999.8 USDT / 40,000 = 0.049995 → 0.049; close 0.04 + open 0.049
    assert (rev.side, rev.qty, rev.reduce_only) == ("sell", 0.089, False)
    d = trader.decisions[1]
    assert (d.current_qty, d.target_qty, d.order_qty) == (0.04, -0.049, -0.089)
    assert d.caps == ()  # margin: 0.049 × 40,000 / 2 = 980 + fee, and the long frees 1,000


def test_trader_when_closing_to_flat_sends_reduce_only_and_notes_flat() -> None:
    trader, emitted = make_trader(symbols=TEN, allocation=EqualWeight(), leverage=2.0)
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0))
    fill(trader, orders(emitted)[0], 50_000.0)
    feed(trader, signal("BTCUSDT", 0.0, 51_000.0, reason="exit"))
    close = orders(emitted)[1]
    assert (close.side, close.qty, close.reduce_only) == ("sell", 0.04, True)
    assert (close.tag, close.sizing) == ("exit", "flat")


def test_trader_when_order_rejected_records_reason_and_does_not_resend() -> None:
    trader, emitted = make_trader(symbols=TEN, allocation=EqualWeight(), leverage=2.0)
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0))
    (o,) = orders(emitted)
    reason = "insufficient margin: order needs 1,000.00 USDT initial margin"
    feed(trader, OrderUpdate("t", "sim", "BTCUSDT", 1_001, o.client_order_id, "rejected",
                             "buy", "market", o.qty, reason=reason))  # fmt: skip
    assert len(emitted) == 1
    d = trader.decisions[0]
    assert (d.status, d.venue_reason, d.client_order_id) == ("rejected", reason, o.client_order_id)
    assert [r.client_order_id for r in trader.rejections] == [o.client_order_id]
    assert trader.open_orders["BTCUSDT"] == {}
    # its margin is no longer counted as reserved: a full 2,000 USDT position is sized again
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0, ts=2_000))
    assert orders(emitted)[-1].qty == 0.04


def test_trader_when_refused_cancel_arrives_keeps_the_decision_as_sent() -> None:
    trader, emitted = make_trader(symbols=TEN, allocation=EqualWeight(), leverage=2.0)
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0))
    (o,) = orders(emitted)
    fill(trader, o, 50_000.0)
    feed(trader, OrderUpdate("t", "sim", "BTCUSDT", 1_002, o.client_order_id, "rejected",
                             "buy", "market", o.qty, reason="already filled"))  # fmt: skip
    assert trader.decisions[0].status == "sent"


def test_trader_when_flatten_control_records_a_decision_per_order() -> None:
    trader, emitted = make_trader(symbols=TEN, allocation=EqualWeight(), leverage=2.0)
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0))
    fill(trader, orders(emitted)[0], 50_000.0)
    feed(trader, Control("t", 2_000, "flatten"))
    close = orders(emitted)[-1]
    d = trader.decisions[-1]
    assert (close.side, close.qty, close.reduce_only, close.tag) == ("sell", 0.04, True, "flatten")
    assert (d.client_order_id, d.order_qty, d.signal_reason) == (
        close.client_order_id,
        -0.04,
        "flatten",
    )


def test_trader_when_signal_for_symbol_outside_basket_skips_it() -> None:
    trader, emitted = make_trader(symbols=("BTCUSDT",), allocation=EqualWeight())
    feed(trader, signal("ETHUSDT", 1.0, 3_000.0))
    assert orders(emitted) == []
    assert "ETHUSDT is not one of the trader's symbols" in trader.decisions[0].reason


def test_trader_when_position_already_right_sends_and_records_nothing() -> None:
    trader, emitted = make_trader(symbols=TEN, allocation=EqualWeight(), leverage=2.0)
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0))
    fill(trader, orders(emitted)[0], 50_000.0)
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0, ts=2_000))
    assert len(orders(emitted)) == 1 and len(trader.decisions) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizing": FixedNotional(notional=100.0), "allocation": EqualWeight(),
          "symbols": ("BTCUSDT",)}, "either sizing"),
        ({"allocation": EqualWeight()}, "give symbols"),
        ({"max_total_leverage": 0.0}, "max_total_leverage must be a positive number"),
        ({"margin_buffer": 1.0}, r"margin_buffer must be in \[0, 1\)"),
    ],
)  # fmt: skip
def test_trader_when_configured_inconsistently_raises_config_error(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Trader(BotContext("t", lambda e: None), "sim", {"s": 1.0}, **kwargs)


def test_trader_when_margin_buffer_set_keeps_that_share_of_wallet_free() -> None:
    trader, emitted = make_trader(sizing=FixedNotional(notional=10_000.0), margin_buffer=0.01)
    feed(trader, signal("BTCUSDT", 1.0, 100.0))
    (o,) = orders(emitted)
    # 10,000 USDT asked, 1 % of the wallet kept free: 9,900 / 100 = 99
    assert o.qty == 99.0
    assert trader.decisions[0].caps[0].limit == 9_900.0


def test_trader_when_fixed_fraction_gives_symbol_zero_skips_with_that_reason() -> None:
    alloc = FixedFraction(fractions={"BTCUSDT": 1.0})
    trader, emitted = make_trader(symbols=("BTCUSDT", "ETHUSDT"), allocation=alloc)
    feed(trader, signal("ETHUSDT", 1.0, 3_000.0))
    assert orders(emitted) == []
    assert trader.decisions[0].reason.endswith(
        "no order: fixed_fraction gives ETHUSDT a weight of 0"
    )


def test_trader_when_paused_keeps_the_strategies_targets_and_trades_on_them_once_resumed() -> None:
    # A live node's warm-up: the trader is paused while history replays through the strategies.
    # "mr" wants short; then, live, "trend" goes long: 0.5 × 1 + 0.5 × (−1) = 0, nothing to buy.
    trader, emitted = make_trader(follows={"trend": 0.5, "mr": 0.5}, symbols=TEN,
                                  allocation=EqualWeight())  # fmt: skip
    trader.paused = True
    feed(trader, signal("BTCUSDT", -1.0, 50_000.0, strategy="mr"))
    assert orders(emitted) == [] and trader.decisions == []
    trader.paused = False
    feed(trader, signal("BTCUSDT", 1.0, 50_000.0, strategy="trend", ts=2_000))
    assert orders(emitted) == []
    # without the paused target it would have bought half a position
    fresh, sent = make_trader(follows={"trend": 0.5, "mr": 0.5}, symbols=TEN,
                              allocation=EqualWeight())  # fmt: skip
    feed(fresh, signal("BTCUSDT", 1.0, 50_000.0, strategy="trend", ts=2_000))
    assert [(o.side, o.qty) for o in orders(sent)] == [("buy", 0.01)]
