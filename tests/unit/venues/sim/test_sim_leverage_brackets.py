"""Leverage brackets: the default table, the maintenance margin, the liquidation-price formula
across brackets and with several cross positions, and the admission check on leverage."""

from __future__ import annotations

import msgspec
import pytest

from tradeyard.events import OrderUpdate
from tradeyard.venues.sim import (
    DEFAULT_BRACKETS,
    Account,
    Bracket,
    BracketTable,
    SimVenueConfig,
    liquidation_price,
)
from tradeyard.venues.sim.risk import refresh_liquidation_prices

CMD = "cmd.sim"
TWO_TIERS = BracketTable(
    "BTCUSDT", [Bracket(0.0, 50_000.0, 125.0, 0.004), Bracket(50_000.0, 500_000.0, 100.0, 0.005)]
)


def test_default_brackets_when_built_have_amounts_that_keep_mm_continuous():
    table = BracketTable("X", DEFAULT_BRACKETS)

    # amount_k = amount_{k−1} + floor_k × (mmr_k − mmr_{k−1})
    # 0; 50,000 × 0.001 = 50; 50 + 500,000 × 0.005 = 2,550; 2,550 + 8,000,000 × 0.015 = 122,550
    assert table.amounts[:4] == pytest.approx([0.0, 50.0, 2_550.0, 122_550.0])
    # at the 50,000 boundary both brackets give 200: 50,000 × 0.004 = 50,000 × 0.005 − 50
    assert table.maintenance_margin(50_000.0) == pytest.approx(200.0)
    assert table.maintenance_margin(100_000.0) == pytest.approx(100_000 * 0.005 - 50)


def test_max_leverage_when_notional_is_on_a_cap_uses_the_lower_bracket():
    assert (TWO_TIERS.max_leverage(50_000.0), TWO_TIERS.max_leverage(50_000.01)) == (125.0, 100.0)
    assert TWO_TIERS.max_leverage(500_000.01) is None


def test_liquidation_price_when_root_is_in_the_second_bracket_uses_its_rate_and_amount():
    # long 10 @ 10,000 (100,000 notional), isolated 20x: B = 5,000.
    # bracket 1: P = (5,000 − 100,000) / (10 × 0.004 − 10) = 9,538.15 → 95,382 > 50,000 cap: no
    # bracket 2: P = (5,000 + 50 − 100,000) / (10 × 0.005 − 10) = −94,950 / −9.95
    price = liquidation_price(10.0, 10_000.0, 5_000.0, TWO_TIERS)

    assert price == pytest.approx(94_950 / 9.95)  # 9,542.7136
    # check: margin balance 5,000 + 10 × (P − 10,000) = MM 10 × P × 0.005 − 50 = 427.14
    assert 5_000 + 10 * (price - 10_000) == pytest.approx(10 * price * 0.005 - 50)


def test_liquidation_price_when_balance_covers_a_fall_to_zero_is_none_for_a_long():
    assert liquidation_price(1.0, 100.0, 100.0, TWO_TIERS) is None  # 1x long: B = size × entry


def test_cross_liquidation_prices_when_two_positions_hold_the_other_at_its_mark():
    acct = Account("t", 30.0, "exec.t")
    btc = acct.position("BTCUSDT", 10.0, brackets=TWO_TIERS)
    eth = acct.position("ETHUSDT", 10.0, brackets=TWO_TIERS)
    acct.apply_fill(btc, 1.0, 100.0, 0.0)  # long 1 @ 100
    acct.apply_fill(eth, -1.0, 50.0, 0.0)  # short 1 @ 50
    acct.mark(eth, 45.0)  # ETH unrealized +5, MM 45 × 0.004 = 0.18

    refresh_liquidation_prices(acct)

    # BTC: B = 30 + 5 − 0.18 = 34.82; P = (34.82 − 100) / (0.004 − 1)
    assert btc.liquidation_price == pytest.approx(65.18 / 0.996)  # 65.4418
    # ETH: B = 30 + 0 − 100 × 0.004 = 29.6; P = (29.6 + 50) / (0.004 + 1)
    assert eth.liquidation_price == pytest.approx(79.6 / 1.004)  # 79.2829


def test_submit_when_position_would_exceed_its_brackets_leverage_is_rejected(
    make_venue, collect, bar, order
):
    tiers = [Bracket(0.0, 250_000.0, 50.0, 0.005), Bracket(250_000.0, 1_000_000.0, 20.0, 0.01)]
    venue = make_venue(brackets={"BTCUSDT": tiers})
    venue.on_bar(bar(0, 100_000.0, 100_000.0, 100_000.0, 100_000.0))
    collect.clear()

    venue.on_command(CMD, order("big", "buy", "market", 3.0, leverage=50.0))  # 300,000 USDT
    venue.on_command(CMD, order("huge", "buy", "market", 20.0, leverage=50.0))  # 2,000,000 USDT
    venue.on_command(CMD, order("ok", "buy", "market", 2.0, leverage=50.0))  # 200,000 USDT

    big, huge, ok = collect.of(OrderUpdate)
    assert (big.status, big.reason) == (
        "rejected",
        "leverage 50 above 20 allowed for a 300,000 USDT position of BTCUSDT",
    )
    assert huge.reason == (
        "a 2,000,000 USDT position of BTCUSDT is above the largest leverage bracket "
        "(1,000,000 USDT)"
    )
    assert ok.status == "new"


def test_submit_when_adding_to_a_position_checks_the_resulting_notional(
    make_venue, collect, bar, order
):
    tiers = [Bracket(0.0, 250_000.0, 50.0, 0.005), Bracket(250_000.0, 1_000_000.0, 20.0, 0.01)]
    venue = make_venue(brackets={"BTCUSDT": tiers}, taker_fee=0.0)
    venue.on_bar(bar(0, 100_000.0, 100_000.0, 100_000.0, 100_000.0))
    venue.on_command(CMD, order("a", "buy", "market", 2.0, leverage=50.0))
    venue.on_bar(bar(1, 100_000.0, 100_000.0, 100_000.0, 100_000.0))
    collect.clear()

    venue.on_command(CMD, order("b", "buy", "market", 1.0, ts=119_999))  # 2 + 1 = 3 BTC

    assert collect.of(OrderUpdate)[-1].reason == (
        "leverage 50 above 20 allowed for a 300,000 USDT position of BTCUSDT"
    )


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (
            b'{"brackets": {"BTCUSDT": [[0, 50000, 125, 0.004], [60000, 100000, 100, 0.005]]}}',
            r"brackets\['BTCUSDT'\]\[1\]: floor 60,000 leaves a gap or an overlap; brackets must "
            r"be contiguous and start at the previous cap 50,000",
        ),
        (
            b'{"brackets": {"BTCUSDT": [[0, 50000, 125, 0.004, 0], [50000, 100000, 100, 0.005, 40]]}}',
            r"brackets\['BTCUSDT'\]\[1\]: maintenance_amount 40 makes the maintenance margin jump "
            r"at notional 50,000; expected 50",
        ),
        (
            b'{"brackets": {"BTCUSDT": [[0, 50000, 125, 1.5]]}}',
            r"Expected `float` < 1.0",
        ),
    ],
)
def test_config_when_brackets_are_inconsistent_raises_validation_error(payload, match):
    with pytest.raises(msgspec.ValidationError, match=match):
        msgspec.json.decode(payload, type=SimVenueConfig)


def test_config_when_brackets_give_exchange_amounts_accepts_them():
    payload = (
        b'{"brackets": {"BTCUSDT": [[0, 50000, 125, 0.004, 0], [50000, 250000, 100, 0.005, 50]]}}'
    )

    cfg = msgspec.json.decode(payload, type=SimVenueConfig)

    assert cfg.brackets["BTCUSDT"][1] == Bracket(50_000.0, 250_000.0, 100.0, 0.005, 50.0)
