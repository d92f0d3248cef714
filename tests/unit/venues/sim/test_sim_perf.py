"""Per-bar cost of the venue, printed (not asserted: timings depend on the machine).

The budget: well under 0.3 µs per bar for a symbol with no orders and no position, and a
little more with a position (two comparisons of the bar's low / high with the symbol's
liquidation prices, then per position an O(1) mark and leverage-slack update). The figures
include the Python call itself.
"""

from __future__ import annotations

import time

from tradeyard.events import Bar, SubmitOrder
from tradeyard.venues.sim import SimVenue, SimVenueConfig

N = 1_000_000


def _time_per_bar(venue: SimVenue, bar: Bar) -> float:
    on_bar = venue.on_bar
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(N):
            on_bar(bar)
        best = min(best, (time.perf_counter() - start) / N)
    return best


def _empty_loop(bar: Bar) -> float:
    def noop(b: Bar) -> None:
        return None

    start = time.perf_counter()
    for _ in range(N):
        noop(bar)
    return (time.perf_counter() - start) / N


def test_on_bar_when_symbol_is_idle_or_holds_a_position_prints_its_cost(capsys):
    venue = SimVenue(SimVenueConfig(), lambda t, e: None)
    venue.open_account("t1")
    bar = Bar("binanceusdm", "BTCUSDT", "1m", 0, 59_999, 100.0, 101.0, 99.0, 100.5, 10.0)
    venue.on_bar(bar)

    idle = _time_per_bar(venue, bar)
    venue.on_command("cmd.sim", SubmitOrder("t1", "sim", "BTCUSDT", 1, "a", "buy", "market", 1.0))
    venue.on_bar(bar)  # fills the market order: one position, no open orders
    assert venue.has_exposure("t1")
    with_position = _time_per_bar(venue, bar)
    call = _empty_loop(bar)

    with capsys.disabled():
        print(
            f"\nSimVenue.on_bar x {N:,}: idle {idle * 1e9:.0f} ns/bar, with a position "
            f"{with_position * 1e9:.0f} ns/bar (an empty Python call costs {call * 1e9:.0f} ns)"
        )
    assert venue.equity("t1") > 0
