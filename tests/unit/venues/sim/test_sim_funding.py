"""Funding: payment = signed qty × mark × rate at each funding time, paid at the end of the bar.

A position of 2 (long or short) is opened at bar 1's open (100) and bar 1 closes at 100, so the
mark of a funding time T inside bar 1 (60_000 ≤ T ≤ 119_999) is 100.
"""

from __future__ import annotations

import pytest

from tradeyard.errors import DataError
from tradeyard.events import BalanceUpdate
from tradeyard.venues.sim import FundingSchedule

CMD = "cmd.sim"
T = 90_000  # inside bar 1


def _funding_updates(collect):
    return [b for b in collect.of(BalanceUpdate) if b.reason == "funding"]


@pytest.mark.parametrize(
    ("side", "rate", "paid"),
    [
        ("buy", 0.0001, 0.02),  # long pays:      2 × 100 × 0.0001 = 0.02
        ("sell", 0.0001, -0.02),  # short receives: −2 × 100 × 0.0001 = −0.02
        ("buy", -0.0001, -0.02),  # long receives when the rate is negative
        ("sell", -0.0001, 0.02),  # short pays when the rate is negative
    ],
)
def test_funding_when_position_open_at_funding_time_pays_qty_times_mark_times_rate(
    make_venue, collect, bar, order, side, rate, paid
):
    venue = make_venue(funding={"BTCUSDT": [(T, rate)]})
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("o", side, "market", 2.0))
    venue.on_bar(bar(1, 100.0, 101.0, 99.0, 100.0))

    (upd,) = _funding_updates(collect)
    assert upd.ts == T
    assert upd.delta == pytest.approx(-paid)
    assert upd.symbol == "BTCUSDT"
    assert venue.funding_paid("t1") == pytest.approx(paid)
    entry_fee = 2 * 100.0 * 0.0005  # 0.1
    assert venue.account("t1").wallet_balance == pytest.approx(10_000 - entry_fee - paid)
    assert upd.wallet_balance == pytest.approx(10_000 - entry_fee - paid)


def test_funding_when_time_falls_between_bars_is_paid_at_next_bar_close(
    make_venue, collect, bar, order
):
    venue = make_venue(funding={"BTCUSDT": [(150_000, 0.001)]})
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("o", "buy", "market", 1.0))
    venue.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))  # closes at 119_999 < 150_000
    assert _funding_updates(collect) == []
    venue.on_bar(bar(3, 110.0, 111.0, 109.0, 105.0))  # bar 2 missing: 180_000 … 239_999

    (upd,) = _funding_updates(collect)
    assert upd.ts == 150_000
    assert upd.delta == pytest.approx(-(1.0 * 105.0 * 0.001))  # mark = that bar's close


def test_funding_when_flat_at_end_of_bar_is_not_paid(make_venue, collect, bar, order):
    venue = make_venue(funding={"BTCUSDT": [(T, 0.01)]})
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("o", "buy", "market", 1.0))
    venue.on_command(CMD, order("x", "sell", "stop", 1.0, trigger=99.0, reduce_only=True))
    venue.on_bar(bar(1, 100.0, 100.0, 98.0, 99.0))  # opened and stopped out in the bar

    assert _funding_updates(collect) == []
    assert venue.funding_paid("t1") == 0.0


def test_funding_when_no_position_consumes_the_time_without_payment(
    make_venue, collect, bar, order
):
    venue = make_venue(funding={"BTCUSDT": [(T, 0.01), (200_000, 0.0001)]})
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))  # T passes while flat
    venue.on_command(CMD, order("o", "buy", "market", 1.0, ts=119_999))
    venue.on_bar(bar(2, 100.0, 100.0, 100.0, 100.0))  # opens long; 200_000 is in bar 3
    assert _funding_updates(collect) == []
    venue.on_bar(bar(3, 100.0, 100.0, 100.0, 100.0))

    (upd,) = _funding_updates(collect)
    assert (upd.ts, upd.delta) == (200_000, pytest.approx(-0.01))  # 1 × 100 × 0.0001


def test_funding_when_time_precedes_first_bar_is_skipped(make_venue, collect, bar, order):
    venue = make_venue(funding={"BTCUSDT": [(10_000, 0.5)]})
    venue.on_command(CMD, order("o", "buy", "limit", 1.0, price=100.0))  # before any bar
    venue.on_bar(bar(1, 99.0, 100.0, 98.0, 99.0))  # fills; 10_000 is before this first bar

    assert _funding_updates(collect) == []


def test_funding_schedule_when_two_rates_share_a_time_raises_data_error():
    with pytest.raises(DataError, match="two settlements at 1000 ms"):
        FundingSchedule({"BTCUSDT": [(1000, 0.1), (1000, 0.2)]})


def test_funding_schedule_when_given_unsorted_consumes_in_time_order():
    schedule = FundingSchedule({"BTCUSDT": [(3000, 0.3), (1000, 0.1), (2000, 0.2)]})

    assert schedule.next_time("BTCUSDT") == 1000
    assert schedule.take_due("BTCUSDT", 2500) == [(1000, 0.1), (2000, 0.2)]
    assert schedule.next_time("BTCUSDT") == 3000
    assert schedule.next_time("ETHUSDT") == float("inf")
