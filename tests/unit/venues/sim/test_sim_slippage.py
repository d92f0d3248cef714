"""Slippage models chosen by `SimVenueConfig.slippage`: fixed bps, volume share, spread.

Bar 0 closes at 100; orders fill on bar 1 (opens at 60_000, closes at 119_999). Fees: maker
0.0002, taker 0.0005 on the slipped price.
"""

from __future__ import annotations

import msgspec
import pytest

from tradeyard.events import Bar, Fill, OrderUpdate
from tradeyard.venues.sim import (
    FixedBpsSlippage,
    SimVenueConfig,
    SpreadSlippage,
    VolumeShareSlippage,
)

CMD = "cmd.sim"


def _bar(i: int, o: float, h: float, lo: float, c: float, volume: float, symbol: str = "BTCUSDT"):
    start = i * 60_000
    return Bar("binanceusdm", symbol, "1m", start, start + 59_999, o, h, lo, c, volume)


def _prices(collect):
    return [(f.client_order_id, f.qty, f.price) for f in collect.of(Fill)]


def test_fixed_bps_when_taker_buys_and_sells_pays_more_and_receives_less(
    make_venue, collect, bar, order
):
    venue = make_venue(slippage=FixedBpsSlippage(bps=10.0))
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("b", "buy", "market", 1.0))
    venue.on_command(CMD, order("s", "sell", "stop", 1.0, trigger=98.0, reduce_only=True))
    venue.on_bar(bar(1, 100.0, 100.5, 97.0, 98.5))

    # buy at the open 100 × (1 + 0.001) = 100.1; stop at 98 × (1 − 0.001) = 97.902
    buy, stop = collect.of(Fill)
    assert (buy.price, stop.price) == (pytest.approx(100.1), pytest.approx(97.902))
    assert buy.fee == pytest.approx(100.1 * 0.0005)
    assert stop.realized_pnl == pytest.approx(97.902 - 100.1)


def test_fixed_bps_when_limit_fills_does_not_slip(make_venue, collect, bar, order):
    venue = make_venue(slippage=FixedBpsSlippage(bps=10.0))
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("rest", "buy", "limit", 1.0, price=99.0))
    venue.on_command(CMD, order("take", "buy", "limit", 1.0, price=101.0))  # marketable
    venue.on_bar(bar(1, 100.0, 100.5, 98.5, 99.5))

    assert _prices(collect) == [("take", 1.0, 100.0), ("rest", 1.0, 99.0)]


def test_volume_share_when_order_exceeds_the_cap_fills_the_rest_at_the_next_open(
    make_venue, collect, order
):
    venue = make_venue(slippage=VolumeShareSlippage(impact_coefficient=0.1, max_volume_share=0.25))
    venue.on_bar(_bar(0, 100.0, 100.0, 100.0, 100.0, 8.0))
    venue.on_command(CMD, order("m", "buy", "market", 3.0))
    venue.on_bar(_bar(1, 100.0, 101.0, 99.0, 100.0, 8.0))  # cap 0.25 × 8 = 2

    # 2 at 100 × (1 + 0.1 × 2 / 8) = 102.5
    assert _prices(collect) == [("m", 2.0, pytest.approx(102.5))]
    assert collect.of(OrderUpdate)[-1].status == "partially_filled"
    collect.clear()

    venue.on_bar(_bar(2, 101.0, 102.0, 100.0, 101.0, 4.0))  # cap 1: the rest

    # 1 at 101 × (1 + 0.1 × 1 / 4) = 103.525
    assert _prices(collect) == [("m", 1.0, pytest.approx(103.525))]
    upd = collect.of(OrderUpdate)[-1]
    assert (upd.status, upd.filled_qty) == ("filled", 3.0)
    assert upd.avg_price == pytest.approx((2 * 102.5 + 103.525) / 3)  # 102.8417
    acct = venue.account("t1")
    assert acct.reserved_margin == pytest.approx(0.0)
    assert acct.positions["BTCUSDT"].qty == 3.0


def test_volume_share_when_two_orders_share_a_bar_caps_them_together(make_venue, collect, order):
    venue = make_venue(slippage=VolumeShareSlippage(impact_coefficient=0.0, max_volume_share=0.25))
    venue.on_bar(_bar(0, 100.0, 100.0, 100.0, 100.0, 8.0))
    venue.on_command(CMD, order("a", "buy", "market", 1.5))
    venue.on_command(CMD, order("b", "buy", "market", 1.5))
    venue.on_bar(_bar(1, 100.0, 100.0, 100.0, 100.0, 8.0))  # cap 2 for the account

    assert _prices(collect) == [("a", 1.5, 100.0), ("b", 0.5, 100.0)]


def test_volume_share_when_limit_is_capped_keeps_resting_without_impact(make_venue, collect, order):
    venue = make_venue(slippage=VolumeShareSlippage(impact_coefficient=0.1, max_volume_share=0.25))
    venue.on_bar(_bar(0, 100.0, 100.0, 100.0, 100.0, 8.0))
    venue.on_command(CMD, order("l", "buy", "limit", 3.0, price=99.0))
    venue.on_bar(_bar(1, 100.0, 100.0, 98.0, 99.5, 8.0))
    venue.on_bar(_bar(2, 99.5, 100.0, 99.5, 99.8, 8.0))  # does not reach 99: nothing
    venue.on_bar(_bar(3, 99.5, 100.0, 98.9, 99.2, 8.0))

    assert _prices(collect) == [("l", 2.0, 99.0), ("l", 1.0, 99.0)]
    assert [f.liquidity for f in collect.of(Fill)] == ["maker", "maker"]


def test_volume_share_when_ioc_limit_is_capped_expires_the_rest(make_venue, collect, order):
    venue = make_venue(slippage=VolumeShareSlippage(impact_coefficient=0.1, max_volume_share=0.25))
    venue.on_bar(_bar(0, 100.0, 100.0, 100.0, 100.0, 8.0))
    venue.on_command(CMD, order("i", "buy", "limit", 3.0, price=101.0, time_in_force="IOC"))
    venue.on_bar(_bar(1, 100.0, 100.0, 100.0, 100.0, 8.0))

    assert _prices(collect) == [("i", 2.0, 100.0)]
    last = collect.of(OrderUpdate)[-1]
    assert (last.status, last.filled_qty) == ("expired", 2.0)
    assert last.reason == (
        "IOC limit 101: 1 of 3 not filled at the open 100: the bar's volume cap was reached"
    )


def test_volume_share_when_triggered_stop_is_capped_fills_the_rest_at_the_next_open(
    make_venue, collect, order
):
    venue = make_venue(slippage=VolumeShareSlippage(impact_coefficient=0.1, max_volume_share=0.25))
    venue.on_bar(_bar(0, 100.0, 100.0, 100.0, 100.0, 8.0))
    venue.on_command(CMD, order("s", "buy", "stop", 3.0, trigger=102.0))
    venue.on_bar(_bar(1, 100.0, 103.0, 99.0, 101.0, 8.0))  # 2 at 102 × 1.025 = 104.55
    venue.on_bar(_bar(2, 101.0, 101.5, 100.0, 101.0, 8.0))  # 1 at 101 × (1 + 0.1 / 8) = 102.2625

    assert _prices(collect) == [
        ("s", 2.0, pytest.approx(104.55)),
        ("s", 1.0, pytest.approx(102.2625)),
    ]


def test_volume_share_when_bar_has_no_volume_fills_nothing(make_venue, collect, order):
    venue = make_venue(slippage=VolumeShareSlippage())
    venue.on_bar(_bar(0, 100.0, 100.0, 100.0, 100.0, 8.0))
    venue.on_command(CMD, order("m", "buy", "market", 1.0))
    venue.on_bar(_bar(1, 100.0, 100.0, 100.0, 100.0, 0.0))

    assert collect.of(Fill) == []
    assert [o.client_order_id for o in venue.open_orders("t1")] == ["m"]


def test_spread_when_taker_fills_crosses_half_the_symbols_spread(make_venue, collect, bar, order):
    venue = make_venue(
        slippage=SpreadSlippage(spread_bps={"BTCUSDT": 20.0}, default_spread_bps=4.0)
    )
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_bar(bar(0, 50.0, 50.0, 50.0, 50.0, symbol="ETHUSDT"))
    venue.on_command(CMD, order("b", "buy", "market", 1.0))
    venue.on_command(CMD, order("e", "sell", "market", 1.0, symbol="ETHUSDT"))
    venue.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))
    venue.on_bar(bar(1, 50.0, 50.0, 50.0, 50.0, symbol="ETHUSDT"))

    # BTC: half of 20 bps = 0.001 → 100.1; ETH (default 4 bps): half = 0.0002 → 49.99
    assert _prices(collect) == [("b", 1.0, pytest.approx(100.1)), ("e", 1.0, pytest.approx(49.99))]


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (b'{"slippage": {"model": "none"}}', "NoSlippage"),
        (b'{"slippage": {"model": "fixed_bps", "bps": 2}}', "FixedBpsSlippage"),
        (b'{"slippage": {"model": "volume_share"}}', "VolumeShareSlippage"),
        (b'{"slippage": {"model": "spread", "spread_bps": {"BTCUSDT": 1.5}}}', "SpreadSlippage"),
    ],
)
def test_config_when_slippage_model_is_named_decodes_that_model(payload, kind):
    cfg = msgspec.json.decode(payload, type=SimVenueConfig)

    assert type(cfg.slippage).__name__ == kind


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b'{"slippage": {"model": "gauss"}}', r"Invalid value 'gauss' - at `\$.slippage.model`"),
        (b'{"slippage": {"model": "fixed_bps"}}', r"missing required field `bps`"),
        (
            b'{"slippage": {"model": "volume_share", "max_volume_share": 1.5}}',
            r"Expected `float` <= 1.0 - at `\$.slippage.max_volume_share`",
        ),
        (
            b'{"slippage": {"model": "volume_share", "impact_coefficient": 4, "max_volume_share": 0.5}}',
            r"impact_coefficient × max_volume_share = 2 would move a sell to a price ≤ 0",
        ),
    ],
)
def test_config_when_slippage_is_bad_raises_validation_error(payload, match):
    with pytest.raises(msgspec.ValidationError, match=match):
        msgspec.json.decode(payload, type=SimVenueConfig)
