"""Market-data throughput: kline websocket messages per second the live adapter parses and
dispatches on one core, Binance and Bybit, without sockets.

The frames are the real wire text: the local fakes' own kline payloads (Binance
`<symbol>@kline_1m` events, Bybit `kline.1.<SYMBOL>` pushes) for the bundled bars of all
bundled symbols, `substeps` updates per bar (the last one closes it), encoded as the fakes send
them. They are generated before timing. Each path ends on the bus, where a subscriber counts
the closed bars (which must equal the closing frames fed):

- `adapter`: the adapter's real path. The handler the market client's `KlineSinkMixin` puts on
  every ccxt pro websocket `Client` (`handle_text_or_binary_message`): the frame text decoded
  by `venues/<venue>/fast_klines.py` (one msgspec decode to typed Structs; ccxt never sees a
  kline frame) → `BarFeed._route` (`ClosedBarGate`, `bar_from_kline`, inline: the symbol's
  queue and `_consume` task only take over for a gap to backfill, which these frames never
  have) → the feed's `OrderedRelease` (one cross-symbol order) → `bus.publish` → subscriber.
  Markets are loaded once from the local fake over REST before timing (ccxt needs them).
- `ccxt`: the path before the lean decoder was wired in, for comparison: ccxt's own
  `Client.handle_text_or_binary_message` (orjson decode) → the exchange's `handle_message` →
  the adapter's `handle_ohlcv` hook (`schemas.decode_kline[s]` of the raw dict →
  `BarFeed._route`, then ccxt's own `handle_ohlcv`: safe_* parsing, OHLCV cache, future
  resolution) → the same gate / release / publish.
- `lean`: fast decode → `BarFeed._route` → the same gate / release / publish, without the
  websocket client's handler (what the `adapter` path costs on top of it).
- `lean-inline`: fast decode → `ClosedBarGate` → `Bar` → `bus.publish`, without the feed's
  bookkeeping (watchdog clock, backoff) and without the cross-symbol release (the floor).

The event loop is given a turn after every `--batch` frames (1 = every frame, as a socket
reader would). Usage: python bench/market_data_throughput.py [--quick] [--venue binance|bybit]
[--frames N] [--batch K] [--repeat R]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tradeyard.bus import InProcessBus  # noqa: E402
from tradeyard.events import topics  # noqa: E402
from tradeyard.marketdata import bundled_bars_dir, load_bars  # noqa: E402
from tradeyard.venues.common.closed_bars import ClosedBarGate  # noqa: E402
from tradeyard.venues.common.parse import bar_from_kline  # noqa: E402

SUBSTEPS = 4
_encode = msgspec.json.Encoder().encode


# -- frames --------------------------------------------------------------------------------------
def make_frames(venue: str, n_frames: int, substeps: int = SUBSTEPS) -> tuple[list[str], int]:
    """At least `n_frames` kline frames as the fake sends them (all bundled symbols, bar after
    bar; whole replay steps, so no bar is closed on some symbols only: the feed's cross-symbol
    release would hold it) and how many of them close a bar."""
    bars = load_bars(bundled_bars_dir())
    symbols = sorted(bars)
    out: list[str] = []
    if venue == "bybit":
        from tradeyard.venues.fakes.bybit import FakeBybitConfig
        from tradeyard.venues.fakes.bybit.exchange import BybitExchange

        exchange: Any = BybitExchange(FakeBybitConfig(substeps=substeps, warmup_bars=10), bars, {})
        subscribed = {f"kline.1.{s}" for s in symbols}
    else:
        from tradeyard.venues.fakes.binance import FakeBinanceConfig
        from tradeyard.venues.fakes.binance.exchange import Exchange

        exchange = Exchange(FakeBinanceConfig(substeps=substeps, warmup_bars=10), bars, {})
        subscribed = {f"{s.lower()}@kline_1m" for s in symbols}

    def publish(_stream: str, payload: Any) -> None:
        out.append(_encode(payload).decode())

    while len(out) < n_frames:
        if not exchange.step(subscribed, publish):
            break
    closing = sum(1 for f in out if '"x":true' in f or '"confirm":true' in f)
    return out, closing


# -- the adapter, markets loaded from a local fake -------------------------------------------------
async def make_feed(venue: str, bus: InProcessBus) -> tuple[Any, Any, str]:
    """(BarFeed, its ccxt pro client, the market websocket URL), markets loaded over REST."""
    symbols = sorted(load_bars(bundled_bars_dir()))
    if venue == "bybit":
        from tradeyard.venues.bybit.config import BybitConfig
        from tradeyard.venues.bybit.market_data import BybitMarketData
        from tradeyard.venues.bybit.market_data import make_market_client as make_bybit
        from tradeyard.venues.bybit.urls import urls_for as bybit_urls
        from tradeyard.venues.fakes.bybit import FakeBybit, FakeBybitConfig

        async with FakeBybit(FakeBybitConfig(warmup_bars=10), None, {}) as fake:
            config: Any = BybitConfig(
                environment="local", rest_url=fake.rest_url, public_ws_url=fake.public_ws_url,
                private_ws_url=fake.private_ws_url, symbols=symbols, warmup_bars=0,
                rate_limit=False,
            )  # fmt: skip
            client = make_bybit(config, bybit_urls(config))
            await client.load_markets()
            url = fake.public_ws_url
        return BybitMarketData(bus, client, config), client, url
    from tradeyard.venues.binance.config import BinanceConfig
    from tradeyard.venues.binance.market_data import BinanceMarketData
    from tradeyard.venues.binance.market_data import make_market_client as make_binance
    from tradeyard.venues.binance.urls import urls_for as binance_urls
    from tradeyard.venues.fakes.binance import FakeBinance, FakeBinanceConfig

    async with FakeBinance(FakeBinanceConfig(warmup_bars=10), None, {}) as fake:
        config = BinanceConfig(
            environment="local", rest_url=fake.rest_url, ws_url=fake.ws_url, symbols=symbols,
            warmup_bars=0, rate_limit=False,
        )  # fmt: skip
        client = make_binance(config, binance_urls(config))
        await client.load_markets()
        url = f"{fake.ws_url}/0"  # the URL shape ccxt's watch_ohlcv connects to
    return BinanceMarketData(bus, client, config), client, url


def fast_decoder(venue: str) -> Callable[[str], Any]:
    if venue == "bybit":
        from tradeyard.venues.bybit.fast_klines import decode_kline_frame as bybit_decode

        return bybit_decode
    from tradeyard.venues.binance.fast_klines import decode_kline_frame as binance_decode

    def one(raw: str) -> Any:
        k = binance_decode(raw)
        return None if k is None else (k,)

    return one


# -- the runs ------------------------------------------------------------------------------------
async def run_path(path: str, venue: str, frames: list[str], batch: int) -> tuple[float, int]:
    """(seconds, closed bars that reached the subscriber) for feeding `frames` through `path`."""
    bus = InProcessBus()
    seen = [0]

    def on_bar(_topic: str, _bar: Any) -> None:
        seen[0] += 1

    bus.subscribe("md.>", on_bar)
    feed, client, url = await make_feed(venue, bus)
    try:
        decode = fast_decoder(venue)
        if path == "lean-inline":
            gates: dict[str, ClosedBarGate] = {}
            name = feed._venue
            interval_ms = feed._interval_ms
            publish = bus.publish

            def handle(raw: str) -> None:
                for k in decode(raw) or ():
                    gate = gates.get(k.symbol)
                    if gate is None:
                        gate = gates[k.symbol] = ClosedBarGate(interval_ms)
                    _gap, ready = gate.on_kline(k)
                    if ready is not None:
                        bar = bar_from_kline(ready, name)
                        publish(topics.bar(name, bar.symbol, bar.interval), bar)
                        gate.mark(ready.open_time)
        else:
            for symbol in feed._gates:  # the live feed's consumers (start() would also watch)
                feed._spawn(feed._consume(symbol), f"bench-bars-{symbol}")
            if path == "adapter":
                handle = client.client(url).handle_text_or_binary_message
            elif path == "ccxt":
                handle = client.client(url)._kline_fast_path  # ccxt's own handler, kept
            else:
                route = feed._route

                def handle(raw: str) -> None:
                    for k in decode(raw) or ():
                        route(k)

        queues = list(feed._queues.values())
        gc.collect()
        t0 = time.perf_counter()
        for i, raw in enumerate(frames):
            handle(raw)
            if i % batch == batch - 1:
                await asyncio.sleep(0)
        while any(q.qsize() for q in queues):
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        elapsed = time.perf_counter() - t0
    finally:
        await feed.close()
    return elapsed, seen[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20k frames, 1 repeat")
    ap.add_argument("--venue", choices=["binance", "bybit", "both"], default="both")
    ap.add_argument("--paths", default="adapter,ccxt,lean,lean-inline")
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n, repeat = (20_000, 1) if args.quick else (args.frames, args.repeat)
    venues = ["binance", "bybit"] if args.venue == "both" else [args.venue]
    print(f"python {sys.version.split()[0]}, {n:,} frames per run, batch {args.batch}, "
          f"best of {repeat}")  # fmt: skip
    for venue in venues:
        frames, closing = make_frames(venue, n)
        size = sum(len(f) for f in frames) / len(frames)
        print(f"\n{venue}: {len(frames):,} frames ({closing:,} closing), {size:.0f} B each")
        for path in args.paths.split(","):
            rates = []
            for _ in range(repeat):
                elapsed, bars = asyncio.run(run_path(path, venue, frames, args.batch))
                if bars != closing:
                    raise SystemExit(f"{venue} {path}: {bars} bars reached the bus, not {closing}")
                rates.append(len(frames) / elapsed)
            best = max(rates)
            print(f"  {path:<12} {best:>10,.0f} msgs/s  (median {statistics.median(rates):,.0f}; "
                  f"{1e6 / best:.1f} µs/msg; {bars:,} bars on the bus)")  # fmt: skip


if __name__ == "__main__":
    main()
