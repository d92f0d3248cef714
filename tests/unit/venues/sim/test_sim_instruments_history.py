"""Exchange filters as of the order's time: `SimVenueConfig.instruments_history`."""

from __future__ import annotations

import msgspec
import pytest

from tradeyard.events import InstrumentSpec, OrderUpdate
from tradeyard.venues.sim import SimVenue, SimVenueConfig

CMD = "cmd.sim"
CENT = InstrumentSpec("BTCUSDT", tick_size=0.01, step_size=0.001, min_notional=5.0)
DIME = InstrumentSpec("BTCUSDT", tick_size=0.1, step_size=0.001, min_notional=5.0)


def test_tick_size_when_it_changes_mid_run_applies_the_filters_in_force_at_the_orders_ts(
    make_venue, collect, bar, order
):
    venue = make_venue(
        instruments={}, instruments_history={"BTCUSDT": [(0, CENT), (120_000, DIME)]}
    )
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))
    collect.clear()

    venue.on_command(CMD, order("before", "buy", "limit", 1.0, price=99.95, ts=119_999))
    venue.on_command(CMD, order("after", "buy", "limit", 1.0, price=99.95, ts=120_000))
    venue.on_command(CMD, order("on_tick", "buy", "limit", 1.0, price=99.9, ts=120_000))

    before, after, on_tick = collect.of(OrderUpdate)
    assert before.status == "new"
    assert (after.status, after.reason) == (
        "rejected",
        "price 99.95 is not a multiple of tick size 0.1 for BTCUSDT",
    )
    assert on_tick.status == "new"


def test_history_when_order_is_older_than_its_first_entry_uses_the_instruments_entry(
    make_venue, collect, bar, order
):
    venue = make_venue(instruments_history={"BTCUSDT": [(600_000, DIME)]})  # + instruments BTC
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("early", "buy", "limit", 1.0, price=99.95, ts=59_999))

    assert collect.of(OrderUpdate)[-1].status == "new"  # tick 0.01 of `instruments`


def test_history_when_symbol_has_no_instruments_entry_uses_the_earliest_filters_before_it(
    collect, bar, order
):
    cfg = SimVenueConfig(instruments_history={"BTCUSDT": [(600_000, DIME)]})
    venue = SimVenue(cfg, collect)
    venue.open_account("t1")
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("a", "buy", "limit", 1.0, price=99.95, ts=59_999))
    venue.on_command(CMD, order("e", "buy", "market", 1.0, symbol="ETHUSDT"))

    unknown = "unknown symbol ETHUSDT: not in the venue's instruments (known: BTCUSDT)"
    assert [u.reason for u in collect.of(OrderUpdate)] == [
        "price 99.95 is not a multiple of tick size 0.1 for BTCUSDT",
        unknown,
    ]
    assert cfg.listed() == ["BTCUSDT"]
    assert cfg.instrument("ETHUSDT") is None


@pytest.mark.parametrize(
    ("history", "match"),
    [
        (
            {"BTCUSDT": [[60000, {"symbol": "BTCUSDT"}], [60000, {"symbol": "BTCUSDT"}]]},
            r"instruments_history\['BTCUSDT'\]\[1\] takes effect at 60000 ms, not after the "
            r"previous entry \(60000 ms\)",
        ),
        (
            {"BTCUSDT": [[0, {"symbol": "ETHUSDT"}]]},
            r"instruments_history\['BTCUSDT'\]\[0\] describes symbol 'ETHUSDT'",
        ),
        ({"BTCUSDT": []}, r"instruments_history\['BTCUSDT'\] is empty"),
    ],
)
def test_config_when_instruments_history_is_inconsistent_raises_validation_error(history, match):
    payload = msgspec.json.encode({"instruments_history": history})

    with pytest.raises(msgspec.ValidationError, match=match):
        msgspec.json.decode(payload, type=SimVenueConfig)
