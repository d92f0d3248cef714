"""SimVenueConfig validation, the default instrument, fee models and account opening."""

from __future__ import annotations

import msgspec
import pytest

from tradeyard.errors import ConfigError, VenueError
from tradeyard.events import BalanceUpdate, Fill, SubmitOrder
from tradeyard.venues.sim import (
    MakerTakerFees,
    NoSlippage,
    SimVenue,
    SimVenueConfig,
    default_instrument,
)


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b'{"maker_fee": -0.0001}', r"Expected `float` >= 0.0 - at `\$.maker_fee`"),
        (b'{"taker_fee": -1}', r"at `\$.taker_fee`"),
        (b'{"taker_fee": 0.05}', r"Expected `float` <= 0.01 - at `\$.taker_fee`"),  # 5 %: a typo
        (b'{"starting_balance": 0}', r"Expected `float` > 0.0 - at `\$.starting_balance`"),
        (b'{"leverage": 3}', r"unknown field `leverage`"),
        (
            b'{"instruments": {"BTCUSDT": {"symbol": "ETHUSDT"}}}',
            "instruments\\['BTCUSDT'\\] describes symbol 'ETHUSDT'",
        ),
    ],
)
def test_config_when_decoded_with_bad_values_raises_validation_error(payload, match):
    with pytest.raises(msgspec.ValidationError, match=match):
        msgspec.json.decode(payload, type=SimVenueConfig)


def test_config_when_decoded_with_defaults_has_documented_values():
    cfg = msgspec.json.decode(b"{}", type=SimVenueConfig)

    assert (cfg.name, cfg.maker_fee, cfg.taker_fee) == ("sim", 0.0002, 0.0005)
    assert (cfg.starting_balance, cfg.default_leverage, cfg.instruments) == (10_000.0, 1.0, {})


def test_config_when_decoded_with_defaults_has_documented_risk_values():
    cfg = msgspec.json.decode(b"{}", type=SimVenueConfig)

    assert (cfg.margin_mode, cfg.margin_modes, cfg.brackets) == ("cross", {}, {})
    assert (cfg.liquidation_fee_rate, cfg.slippage) == (0.0125, NoSlippage())
    assert cfg.instruments_history == {}


def test_config_when_margin_mode_is_unknown_raises_validation_error():
    with pytest.raises(msgspec.ValidationError, match=r"Invalid enum value 'portfolio'"):
        msgspec.json.decode(b'{"margin_modes": {"BTCUSDT": "portfolio"}}', type=SimVenueConfig)


def test_default_instrument_when_built_has_permissive_filters():
    spec = default_instrument("MYCOIN")

    assert (spec.symbol, spec.tick_size, spec.step_size) == ("MYCOIN", 1e-8, 1e-8)
    assert (spec.min_qty, spec.min_notional, spec.max_leverage) == (0.0, 0.0, 125.0)


def test_venue_when_config_lists_no_instruments_trades_any_symbol_with_default_filters(bar):
    events = []
    venue = SimVenue(SimVenueConfig(), lambda t, e: events.append(e))
    venue.open_account("t1")
    venue.on_bar(bar(0, 0.123456, 0.123456, 0.123456, 0.123456, symbol="MYCOIN"))
    venue.on_command(
        "cmd.sim", SubmitOrder("t1", "sim", "MYCOIN", 1, "a", "buy", "market", 12.34567891)
    )
    venue.on_bar(bar(1, 0.12, 0.13, 0.11, 0.125, symbol="MYCOIN"))

    (fill,) = [e for e in events if isinstance(e, Fill)]
    assert (fill.qty, fill.price) == (12.34567891, 0.12)


def test_maker_taker_fees_when_rate_is_negative_raise_config_error():
    with pytest.raises(ConfigError, match="fee rates must be >= 0"):
        MakerTakerFees(-0.0001, 0.0005)


def test_maker_taker_fees_when_applied_charge_rate_times_notional():
    fees = MakerTakerFees(0.0002, 0.0005)

    assert fees.fee("BTCUSDT", 1_000.0, "maker") == pytest.approx(0.2)
    assert fees.fee("BTCUSDT", 1_000.0, "taker") == pytest.approx(0.5)


def test_venue_when_given_a_custom_fee_model_charges_with_it(bar):
    events = []
    venue = SimVenue(SimVenueConfig(), lambda t, e: events.append(e), fees=MakerTakerFees(0, 0.001))
    venue.open_account("t1")
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command("cmd.sim", SubmitOrder("t1", "sim", "BTCUSDT", 1, "a", "buy", "market", 1.0))
    venue.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))

    (fill,) = [e for e in events if isinstance(e, Fill)]
    assert fill.fee == pytest.approx(0.1)  # 100 × 0.001


def test_open_account_when_called_twice_deposits_once(collect):
    venue = SimVenue(SimVenueConfig(), collect)
    venue.open_account("t1", 500.0, ts=7)
    venue.open_account("t1", 900.0)

    (dep,) = collect.of(BalanceUpdate)
    assert (dep.reason, dep.delta, dep.wallet_balance, dep.ts) == ("deposit", 500.0, 500.0, 7)
    assert venue.equity("t1") == 500.0


def test_open_account_when_balance_not_given_uses_config_starting_balance(collect):
    venue = SimVenue(SimVenueConfig(starting_balance=2_500.0), collect)
    venue.open_account("t1")

    assert venue.account("t1").wallet_balance == 2_500.0


def test_account_when_trader_unknown_raises_venue_error():
    venue = SimVenue(SimVenueConfig(), lambda t, e: None)

    with pytest.raises(VenueError, match="unknown account 'x': open_account first"):
        venue.equity("x")
