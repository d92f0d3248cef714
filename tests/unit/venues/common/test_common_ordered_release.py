"""OrderedRelease (the bar feed's one release across symbols): a closed bar opened at T goes out
only once every symbol has published T or is known to have none, in (open time, symbol order);
a symbol that stays behind holds the others at most `hold_s`."""

from __future__ import annotations

import random

from tradeyard.venues.common.closed_bars import ClosedBarGate, OrderedRelease

M = 60_000


def feed(symbols: list[str], last_open: int | None = 0) -> tuple[
    dict[str, ClosedBarGate], OrderedRelease[tuple[str, int]], list[tuple[str, int]]
]:  # fmt: skip
    gates = {s: ClosedBarGate(M, last_open) for s in symbols}
    out: list[tuple[str, int]] = []
    return gates, OrderedRelease(gates, out.append), out


def offer(
    gates: dict[str, ClosedBarGate],
    release: OrderedRelease[tuple[str, int]],
    symbol: str,
    t: int,
    now: float = 0.0,
) -> int:
    """As the feed does: mark the gate, then hand the bar over."""
    gates[symbol].mark(t)
    return release.offer(symbol, t, (symbol, t), now)


def test_release_when_one_symbol_closed_holds_it_until_the_other_closes_too() -> None:
    gates, release, out = feed(["BTCUSDT", "ETHUSDT"])
    assert offer(gates, release, "BTCUSDT", M) == 0
    assert out == [] and len(release) == 1
    assert offer(gates, release, "ETHUSDT", M) == 2
    assert out == [("BTCUSDT", M), ("ETHUSDT", M)]
    assert release.released_through == M and len(release) == 0


def test_release_of_one_close_time_follows_the_configured_symbol_order() -> None:
    gates, release, out = feed(["ETHUSDT", "BTCUSDT"])  # not alphabetical on purpose
    offer(gates, release, "BTCUSDT", M)
    offer(gates, release, "ETHUSDT", M)
    assert out == [("ETHUSDT", M), ("BTCUSDT", M)]


def test_release_after_a_drop_merges_the_backfills_into_the_uninterrupted_order() -> None:
    gates, release, out = feed(["BTCUSDT", "ETHUSDT"])
    # both lost bar M's close; BTC backfills it and closes 2M before ETH's backfill is back
    offer(gates, release, "BTCUSDT", M)
    offer(gates, release, "BTCUSDT", 2 * M)
    assert out == []
    offer(gates, release, "ETHUSDT", M)
    assert out == [("BTCUSDT", M), ("ETHUSDT", M)]  # 2M of BTC still waits for ETH's 2M
    offer(gates, release, "ETHUSDT", 2 * M)
    assert out[2:] == [("BTCUSDT", 2 * M), ("ETHUSDT", 2 * M)]


def test_release_when_the_other_symbol_has_a_hole_releases_on_the_mark() -> None:
    gates, release, out = feed(["BTCUSDT", "ETHUSDT"])
    offer(gates, release, "BTCUSDT", M)
    gates["ETHUSDT"].mark(M)  # REST says ETH has no bar at M
    assert release.release() == 1
    assert out == [("BTCUSDT", M)]


def test_release_of_a_single_symbol_is_immediate() -> None:
    gates, release, out = feed(["BTCUSDT"])
    for i in range(1, 4):
        assert offer(gates, release, "BTCUSDT", i * M) == 1
    assert out == [("BTCUSDT", i * M) for i in range(1, 4)]


def test_release_when_a_symbol_has_nothing_yet_holds_the_others_until_it_has() -> None:
    gates, release, out = feed(["BTCUSDT", "ETHUSDT"], last_open=None)  # no warm-up
    offer(gates, release, "BTCUSDT", 5 * M)
    assert out == []
    offer(gates, release, "ETHUSDT", 5 * M)
    assert out == [("BTCUSDT", 5 * M), ("ETHUSDT", 5 * M)]


def test_release_when_a_symbol_stays_silent_holds_the_others_at_most_hold_s() -> None:
    gates, release, out = feed(["BTCUSDT", "ETHUSDT"])
    offer(gates, release, "BTCUSDT", M, now=100.0)
    assert release.expire(129.9, 30.0) == [] and out == []
    assert release.expire(130.0, 30.0) == ["ETHUSDT"]
    assert out == [("BTCUSDT", M)]
    assert release.lagging() == ["ETHUSDT"]
    # while ETH lags, BTC is not held at all
    assert offer(gates, release, "BTCUSDT", 2 * M, now=140.0) == 1
    assert out[-1] == ("BTCUSDT", 2 * M)
    # ETH's late bars go out as they come (out of the cross-symbol order) until it caught up
    assert offer(gates, release, "ETHUSDT", M, now=150.0) == 1
    assert out[-1] == ("ETHUSDT", M) and release.lagging() == ["ETHUSDT"]
    assert offer(gates, release, "ETHUSDT", 2 * M, now=151.0) == 1
    assert release.lagging() == []
    # caught up: it takes part in the order again
    assert offer(gates, release, "BTCUSDT", 3 * M, now=160.0) == 0
    assert offer(gates, release, "ETHUSDT", 3 * M, now=161.0) == 2
    assert out[-2:] == [("BTCUSDT", 3 * M), ("ETHUSDT", 3 * M)]
    assert release.expire(1000.0, 30.0) == []  # nothing held: nothing to give up


def test_release_of_any_interleaving_equals_the_sorted_order() -> None:
    symbols = ["SOLUSDT", "BTCUSDT", "ETHUSDT", "XRPUSDT"]
    rng = random.Random(7)
    for _ in range(50):
        gates, release, out = feed(symbols)
        queues = {s: [t * M for t in range(1, 41)] for s in symbols}
        holes: set[tuple[str, int]] = set()
        while any(queues.values()):
            s = rng.choice([s for s in symbols if queues[s]])
            t = queues[s].pop(0)
            if rng.random() < 0.1:  # now and then a hole marked without a bar (REST had none)
                holes.add((s, t))
                gates[s].mark(t)
                release.release()
            else:
                offer(gates, release, s, t)
        want = [(s, t * M) for t in range(1, 41) for s in symbols if (s, t * M) not in holes]
        assert out == want and len(release) == 0
