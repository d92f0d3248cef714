"""Liquidation: the price (isolated and cross, long and short), when it triggers inside a bar,
what it costs, and what it reports.

Unless a test says otherwise: fees are 0 (so the arithmetic is only the formula), BTCUSDT has one
bracket (mmr 0.5 %, maintenance amount 0), an order for 1 BTC at 10x fills at bar 1's open (100),
and bar 2 (opens at 120_000 ms, closes at 179_999 ms) is the bar that may liquidate.

Liquidation price (Binance, one-way mode), with B the balance backing the position:
    P = (B + amount − side × size × entry) / (size × mmr − side × size)
"""

from __future__ import annotations

import pytest

from tradeyard.events import BalanceUpdate, Fill, OrderUpdate, PositionUpdate
from tradeyard.venues.sim import Bracket

CMD = "cmd.sim"
OPEN_2 = 120_000
CLOSE_2 = 179_999
ONE_BRACKET = {"BTCUSDT": [Bracket(0.0, 1_000_000.0, 125.0, 0.005)]}


@pytest.fixture
def liq_venue(make_venue, bar, order):
    """make_venue(...) with zero fees and one bracket, then `side` 1 BTC at 10x filled at 100."""

    def make(side: str, balance: float = 10_000.0, **config):
        config.setdefault("brackets", ONE_BRACKET)
        venue = make_venue(balance=balance, maker_fee=0.0, taker_fee=0.0, **config)
        venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
        venue.on_command(CMD, order("e", side, "market", 1.0, leverage=10.0))
        venue.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))
        return venue

    return make


def _liquidation(collect):
    """The four reports of the one liquidation that happened."""
    (fill,) = [f for f in collect.of(Fill) if f.client_order_id.startswith("liq-")]
    (upd,) = [u for u in collect.of(OrderUpdate) if u.client_order_id == fill.client_order_id]
    pos = collect.of(PositionUpdate)[-1]
    (bal,) = [b for b in collect.of(BalanceUpdate) if b.reason == "liquidation"]
    return fill, upd, pos, bal


def test_isolated_long_when_low_reaches_liquidation_price_loses_exactly_its_margin(
    liq_venue, collect, bar
):
    venue = liq_venue("buy", margin_mode="isolated")
    # margin B = 1 × 100 / 10 = 10; P = (10 + 0 − 100) / (0.005 − 1) = −90 / −0.995
    liq = 90 / 0.995  # 90.4522613...
    assert collect.of(PositionUpdate)[-1].liquidation_price == pytest.approx(liq)
    collect.clear()

    venue.on_bar(bar(2, 95.0, 96.0, 85.0, 88.0))  # opens above 90.45, the low reaches it

    fill, upd, pos, bal = _liquidation(collect)
    assert (fill.client_order_id, fill.side) == ("liq-sim-1", "sell")
    assert (fill.qty, fill.liquidity) == (1.0, "taker")
    assert (fill.ts, fill.price) == (CLOSE_2, pytest.approx(liq))  # at the price, not at the low 85
    assert fill.realized_pnl == pytest.approx(liq - 100.0)  # −9.5477...
    # fee 0.0125 × 90.45 = 1.1307, capped at the margin left: 10 − 9.5477 = 0.4523 (= MM)
    assert fill.fee == pytest.approx(10.0 - (100.0 - liq))
    assert (upd.status, upd.filled_qty, upd.avg_price) == ("filled", 1.0, pytest.approx(liq))
    assert upd.reason == (
        "liquidation: the BTCUSDT position reached its liquidation price 90.45226130653266 "
        "(isolated margin)"
    )
    assert (pos.qty, pos.liquidation_price) == (0.0, None)
    assert bal.delta == pytest.approx(-10.0)  # the whole isolated margin, no more
    assert venue.equity("t1") == pytest.approx(9_990.0)
    assert venue.account("t1").insurance_fund_absorbed == 0.0
    assert not venue.has_exposure("t1")


def test_isolated_short_when_high_reaches_liquidation_price_loses_exactly_its_margin(
    liq_venue, collect, bar
):
    venue = liq_venue("sell", margin_mode="isolated")
    # P = (10 + 0 + 100) / (0.005 + 1) = 110 / 1.005
    liq = 110 / 1.005  # 109.4527363...
    assert collect.of(PositionUpdate)[-1].liquidation_price == pytest.approx(liq)
    collect.clear()

    venue.on_bar(bar(2, 105.0, 115.0, 104.0, 112.0))

    fill, _, _, bal = _liquidation(collect)
    assert (fill.side, fill.ts, fill.price) == ("buy", CLOSE_2, pytest.approx(liq))
    assert fill.realized_pnl == pytest.approx(100.0 - liq)  # −9.4527...
    assert fill.fee == pytest.approx(0.005 * liq)  # the margin left is the MM: 0.5473
    assert bal.delta == pytest.approx(-10.0)
    assert venue.equity("t1") == pytest.approx(9_990.0)


def test_cross_long_when_low_reaches_liquidation_price_drains_the_wallet_to_the_mm_less_fee(
    liq_venue, collect, bar
):
    venue = liq_venue("buy", balance=20.0, liquidation_fee_rate=0.004)
    # cross: B = the wallet, 20; P = (20 + 0 − 100) / (0.005 − 1) = −80 / −0.995
    liq = 80 / 0.995  # 80.4020100...
    assert collect.of(PositionUpdate)[-1].liquidation_price == pytest.approx(liq)
    collect.clear()

    venue.on_bar(bar(2, 90.0, 91.0, 75.0, 78.0))

    fill, upd, _, bal = _liquidation(collect)
    assert (fill.ts, fill.price) == (CLOSE_2, pytest.approx(liq))
    assert fill.realized_pnl == pytest.approx(liq - 100.0)  # −19.5980
    assert fill.fee == pytest.approx(0.004 * liq)  # 0.3216: not capped in cross
    assert upd.reason.endswith("(cross margin)")
    # wallet 20 − 19.5980 − 0.3216 = 0.0804 = MM 0.005 × 80.402 − fee 0.004 × 80.402
    assert bal.wallet_balance == pytest.approx(0.001 * liq)
    assert bal.delta == pytest.approx(0.001 * liq - 20.0)
    assert venue.account("t1").insurance_fund_absorbed == 0.0


def test_cross_short_when_fee_exceeds_what_is_left_clamps_equity_to_zero_and_records_shortfall(
    liq_venue, collect, bar
):
    venue = liq_venue("sell", balance=20.0)  # liquidation fee 0.0125 (default)
    # P = (20 + 0 + 100) / (0.005 + 1) = 120 / 1.005
    liq = 120 / 1.005  # 119.4029850...
    collect.clear()

    venue.on_bar(bar(2, 110.0, 125.0, 109.0, 121.0))

    fill, _, _, bal = _liquidation(collect)
    assert fill.price == pytest.approx(liq)
    assert fill.fee == pytest.approx(0.0125 * liq)  # 1.4925
    # 20 + (100 − 119.4030) − 1.4925 = −0.8955 < 0: the insurance fund pays 0.8955
    shortfall = -(20.0 + 100.0 - liq - 0.0125 * liq)
    assert shortfall == pytest.approx(0.8955, abs=1e-4)
    assert venue.account("t1").insurance_fund_absorbed == pytest.approx(shortfall)
    assert (bal.wallet_balance, venue.equity("t1")) == (pytest.approx(0.0), pytest.approx(0.0))
    assert bal.delta == pytest.approx(-20.0)


def test_isolated_long_when_bar_opens_below_liquidation_price_is_liquidated_at_the_open(
    liq_venue, collect, bar
):
    venue = liq_venue("buy", margin_mode="isolated")
    collect.clear()

    venue.on_bar(bar(2, 80.0, 82.0, 79.0, 81.0))  # gap through 90.45

    fill, _, _, bal = _liquidation(collect)
    assert (fill.ts, fill.price, fill.fee) == (OPEN_2, 80.0, 0.0)  # no margin left for a fee
    assert fill.realized_pnl == pytest.approx(-20.0)
    # the loss is still the margin (10); the other 10 is the insurance fund's
    assert bal.delta == pytest.approx(-10.0)
    assert venue.account("t1").insurance_fund_absorbed == pytest.approx(10.0)


def test_long_when_stop_is_above_liquidation_price_the_stop_fills_first(
    liq_venue, collect, bar, order
):
    venue = liq_venue("buy", margin_mode="isolated")  # liquidation price 90.45
    venue.on_command(CMD, order("sl", "sell", "stop", 1.0, trigger=92.0, reduce_only=True,
                                ts=119_999))  # fmt: skip
    collect.clear()

    venue.on_bar(bar(2, 95.0, 96.0, 85.0, 88.0))  # falls through 92, then 90.45

    (fill,) = collect.of(Fill)
    assert (fill.client_order_id, fill.price, fill.ts) == ("sl", 92.0, CLOSE_2)
    assert fill.realized_pnl == pytest.approx(-8.0)
    assert [b.reason for b in collect.of(BalanceUpdate)] == ["fill"]
    assert venue.equity("t1") == pytest.approx(9_992.0)


def test_long_when_stop_is_below_liquidation_price_is_liquidated_and_the_stop_canceled(
    liq_venue, collect, bar, order
):
    venue = liq_venue("buy", margin_mode="isolated")  # liquidation price 90.45
    venue.on_command(CMD, order("sl", "sell", "stop", 1.0, trigger=88.0, reduce_only=True,
                                ts=119_999))  # fmt: skip
    venue.on_command(CMD, order("tp", "sell", "limit", 1.0, price=110.0, reduce_only=True,
                                ts=119_999))  # fmt: skip
    collect.clear()

    venue.on_bar(bar(2, 95.0, 96.0, 85.0, 88.0))

    assert [f.client_order_id for f in collect.of(Fill)] == ["liq-sim-1"]
    reason = "liquidation: the BTCUSDT position reached its liquidation price 90.45226130653266 (isolated margin)"
    canceled = [(u.client_order_id, u.status, u.reason) for u in collect.of(OrderUpdate)][:2]
    assert canceled == [("sl", "canceled", reason), ("tp", "canceled", reason)]
    # orders are canceled before the liquidation is reported, as on the exchange
    assert collect.kinds() == [
        "OrderUpdate", "OrderUpdate", "Fill", "OrderUpdate", "PositionUpdate", "BalanceUpdate",
    ]  # fmt: skip
    assert venue.open_orders("t1") == []


def test_position_when_opened_at_the_open_can_be_liquidated_by_the_same_bar(
    make_venue, collect, bar, order
):
    venue = make_venue(margin_mode="isolated", maker_fee=0.0, taker_fee=0.0, brackets=ONE_BRACKET)
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("e", "buy", "market", 1.0, leverage=10.0))
    venue.on_bar(bar(1, 100.0, 100.0, 85.0, 88.0))  # entry at the open, then the low (pessimistic)

    entry, liq = collect.of(Fill)
    assert (entry.client_order_id, entry.price) == ("e", 100.0)
    assert (liq.client_order_id, liq.ts, liq.price) == (
        "liq-sim-1",
        119_999,
        pytest.approx(90 / 0.995),
    )


def test_position_when_low_stays_above_liquidation_price_is_only_marked(liq_venue, collect, bar):
    venue = liq_venue("buy", margin_mode="isolated")
    collect.clear()

    venue.on_bar(bar(2, 95.0, 96.0, 90.46, 91.0))

    assert collect.events == []
    assert venue.account("t1").positions["BTCUSDT"].unrealized_pnl == pytest.approx(-9.0)


def test_liquidation_id_when_taken_by_a_trader_later_is_a_duplicate(liq_venue, collect, bar, order):
    venue = liq_venue("buy", margin_mode="isolated")
    venue.on_bar(bar(2, 95.0, 96.0, 85.0, 88.0))
    collect.clear()

    venue.on_command(CMD, order("liq-sim-1", "buy", "market", 1.0, ts=179_999))

    assert (
        collect.of(OrderUpdate)[-1].reason
        == "duplicate client_order_id 'liq-sim-1' for trader 't1'"
    )


def test_margin_modes_when_a_symbol_is_overridden_isolates_only_that_symbol(make_venue, bar, order):
    venue = make_venue(margin_mode="cross", margin_modes={"BTCUSDT": "isolated"})
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_bar(bar(0, 50.0, 50.0, 50.0, 50.0, symbol="ETHUSDT"))
    venue.on_command(CMD, order("b", "buy", "market", 1.0, leverage=10.0))
    venue.on_command(CMD, order("e", "buy", "market", 1.0, symbol="ETHUSDT", leverage=10.0))

    positions = venue.account("t1").positions
    assert (positions["BTCUSDT"].isolated, positions["ETHUSDT"].isolated) == (True, False)
