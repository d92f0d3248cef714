"""Kline-to-order latency: from a closing kline frame sent on the fake exchange's websocket to
the order it causes arriving at the fake's REST order endpoint, over loopback (p50/p99).

The fake (Binance USDⓈ-M by default, or Bybit v5) runs in its own process with its latency
probe on (`enable_probe()`): it stamps each closing kline frame of the replayed interval as it
queues it on the websocket (written in the same event-loop turn) and each order request as the
order handler starts, both with its own `perf_counter_ns`, so no clock sync is involved. This
process runs `tradeyard run`'s Node against it: the real live adapter (ccxt pro websocket →
closed-bar gate → bus), a tiny strategy defined here, and a trader sending market orders over
REST (signed, ccxt). Bars are replayed on demand (`POST /_fake/advance`); after each one the
bench waits until the node has the bar, every order is answered and the account refresh a fill
triggers is over, so each close is measured on its own (a 1m bot sees one close a minute).

The strategy flips long ↔ short on every second bar: the fake fills a market order at the next
bar's open and reports the fill with that bar's close, so the bar in between brings the fill
(and its account refresh) and the next flip is sized on a known position. (Flipping on every
bar races the fill against the bar on two sockets: when the bar wins, the trader sizes on the
stale position.) So: one order per two closes, each measured; `--closes` counts orders.

Usage: python bench/kline_to_order_latency.py [--quick] [--venue binance|bybit] [--closes N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import aiohttp  # noqa: E402

from tradeyard.bots import Strategy  # noqa: E402
from tradeyard.events import Bar, SubmitOrder  # noqa: E402

SYMBOL = "ETHUSDT"


# -- the strategy: a flip on every second bar ---------------------------------------------------------
def _register_flip() -> None:
    import msgspec

    from tradeyard.strategies import REGISTRY

    class FlipParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
        pass

    class FlipEveryBar(Strategy[FlipParams]):
        """Long, then short two bars later, and so on: an order on every second closed bar."""

        name = "bench_flip_every_bar"
        Params = FlipParams

        def on_start(self) -> None:
            self.n = 0

        def on_bar(self, bar: Bar) -> None:
            self.n += 1
            if self.n % 4 == 1:
                self.go_long("bench: flip")
            elif self.n % 4 == 3:
                self.go_short("bench: flip")

    REGISTRY[FlipEveryBar.name] = FlipEveryBar


# -- the fake, in its own process ----------------------------------------------------------------
def serve_fake(venue: str) -> None:
    """Child process: run the fake with its probe on; print its URLs as one JSON line."""
    from tradeyard.marketdata import bundled_bars_dir, load_bars

    bars = load_bars(bundled_bars_dir(), [SYMBOL])

    async def main() -> None:
        if venue == "bybit":
            from tradeyard.venues.fakes.bybit import FakeBybit, FakeBybitConfig

            cfg = FakeBybitConfig(substeps=2, warmup_bars=100, rate_limit=10_000)
            fake: Any = FakeBybit(cfg, bars, {})
        else:
            from tradeyard.venues.fakes.binance import FakeBinance, FakeBinanceConfig

            fake = FakeBinance(FakeBinanceConfig(substeps=2, warmup_bars=100), bars, {})
        async with fake:
            fake.enable_probe()
            urls = {"rest_url": fake.rest_url}
            if venue == "bybit":
                urls |= {"ws_url": fake.public_ws_url, "private_ws_url": fake.private_ws_url}
            else:
                urls |= {"ws_url": fake.ws_url}
            print(json.dumps(urls), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until EOF

    asyncio.run(main())


def _config(
    venue: str,
    urls: dict[str, str],
    key_env: str,
    secret_env: str,
    store: str,
    transport: str,
    durability: str = "process",
) -> str:
    kind = "bybit" if venue == "bybit" else "binanceusdm"
    extra = f'private_ws_url = "{urls["private_ws_url"]}"\n' if venue == "bybit" else ""
    url = "sqlite:///:memory:" if store == "memory" else ""  # "": the default file store
    return f"""
[store]
url = "{url}"
durability = "{durability}"

[shutdown]
positions = "keep"
cancel_open_orders = false
timeout_s = 5

[[venues]]
name = "{venue}"
kind = "{kind}"
environment = "local"
rest_url = "{urls["rest_url"]}"
ws_url = "{urls["ws_url"]}"
{extra}api_key_env = "{key_env}"
api_secret_env = "{secret_env}"
symbols = ["{SYMBOL}"]
warmup_bars = 5
rate_limit = false
reconnect_delay_s = 0.05
order_transport = "{transport}"

[[strategies]]
id = "flip"
strategy = "bench_flip_every_bar"
venue = "{venue}"

[[traders]]
id = "t1"
venue = "{venue}"
follows = {{ flip = 1.0 }}
sizing = {{ mode = "fixed_notional", notional = 200 }}
"""


async def measure(
    venue: str,
    closes: int,
    urls: dict[str, str],
    store: str,
    transport: str = "rest",
    durability: str = "process",
) -> list[dict[str, Any]]:
    from tradeyard.runtime import Node, load_run_config

    if venue == "bybit":
        from tradeyard.venues.fakes.bybit import DEFAULT_API_KEY, DEFAULT_API_SECRET
    else:
        from tradeyard.venues.fakes.binance import DEFAULT_API_KEY, DEFAULT_API_SECRET
    os.environ["TY_BENCH_KEY"], os.environ["TY_BENCH_SECRET"] = DEFAULT_API_KEY, DEFAULT_API_SECRET
    with tempfile.TemporaryDirectory() as tmp:  # the run's order store lives next to its config
        path = Path(tmp) / "bench.toml"
        path.write_text(_config(venue, urls, "TY_BENCH_KEY", "TY_BENCH_SECRET", store, transport))
        cfg, env = load_run_config(path)
        return await _measure(venue, closes, urls, Node(cfg, env))


async def _measure(
    venue: str, closes: int, urls: dict[str, str], node: Any
) -> list[dict[str, Any]]:
    # node-side stamps on the same clock (perf_counter_ns is CLOCK_MONOTONIC, system-wide)
    bar_at: dict[int, int] = {}
    cmd_at: dict[str, int] = {}

    got_bar = asyncio.Event()

    def on_bar(_topic: str, event: Any) -> None:
        if isinstance(event, Bar) and event.closed:
            bar_at[event.open_time] = time.perf_counter_ns()
            got_bar.set()

    def on_cmd(_topic: str, event: Any) -> None:
        if isinstance(event, SubmitOrder):
            cmd_at[event.client_order_id] = time.perf_counter_ns()

    node.bus.subscribe("md.>", on_bar)
    node.bus.subscribe("cmd.>", on_cmd)
    task = asyncio.create_task(node.run())
    base = urls["rest_url"]
    try:
        async with aiohttp.ClientSession() as http:
            await asyncio.wait_for(node.started.wait(), 20)
            await asyncio.sleep(0.3)  # the kline subscription and the user stream settle
            for i in range(2 * closes):
                got_bar.clear()  # (no polling: nothing of the bench runs while the node works)
                async with http.post(f"{base}/_fake/advance", json={"bars": 1}) as r:
                    r.raise_for_status()
                await asyncio.wait_for(got_bar.wait(), 10)
                await node.live[venue].drain()
                await asyncio.sleep(0.02)  # fills and the balance refresh they trigger
                await node.live[venue].drain()
                if (i + 1) % 200 == 0:
                    print(f"  {i + 1} closes, {node.stats.orders} orders", file=sys.stderr)
            if node.stats.rejections:
                print(f"  {node.stats.rejections} orders rejected", file=sys.stderr)
            async with http.get(f"{base}/_fake/probe") as r:
                state = await r.json()
    finally:
        node.request_stop()
        await asyncio.wait_for(task, 20)
    pairs = state["pairs"]
    for p in pairs:
        p["bar_on_bus_ns"] = bar_at.get(p["bar_open"])
        p["order_cmd_ns"] = cmd_at.get(p["client_order_id"])
    return pairs


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="50 orders")
    ap.add_argument("--venue", choices=["binance", "bybit"], default="binance")
    ap.add_argument("--closes", type=int, default=300, help="orders to measure")
    ap.add_argument(
        "--store",
        choices=["file", "memory"],
        default="file",
        help="the run's order store: the default SQLite file or in-memory SQLite",
    )
    ap.add_argument(
        "--durability",
        choices=["process", "power_loss"],
        default="process",
        help="[store] durability: process (WAL, synchronous=NORMAL) or power_loss (an fsync "
        "before each order)",
    )
    ap.add_argument(
        "--transport",
        choices=["rest", "websocket"],
        default="rest",
        help="how orders go out: REST, or the exchange's websocket order entry",
    )
    ap.add_argument("--serve", choices=["binance", "bybit"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve_fake(args.serve)
        return
    _register_flip()
    closes = 50 if args.quick else args.closes
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", args.venue],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        urls = json.loads(child.stdout.readline())
        t0 = time.perf_counter()
        pairs = asyncio.run(
            measure(args.venue, closes, urls, args.store, args.transport, args.durability)
        )
        wall = time.perf_counter() - t0
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
    lat = [p["latency_ns"] / 1e6 for p in pairs]
    if len(lat) < closes:
        raise SystemExit(f"only {len(lat)} of {closes} flips paired with an order")
    print(f"{args.venue}: {len(lat)} kline closes → orders (fake in its own process, loopback, "
          f"order store: {args.store}/{args.durability}, orders over {args.transport}), "
          f"{wall:.1f}s wall")  # fmt: skip
    parts = [
        ("frame sent → closed bar on the node's bus", "kline_sent_ns", "bar_on_bus_ns"),
        ("bar on bus → SubmitOrder on bus (strategy, trader)", "bar_on_bus_ns", "order_cmd_ns"),
        ("SubmitOrder → order request at the fake (store, ccxt, wire)", "order_cmd_ns",
         "order_received_ns"),
    ]  # fmt: skip
    for label, a, b in parts:
        xs = [(p[b] - p[a]) / 1e6 for p in pairs if p.get(a) and p.get(b)]
        if xs:
            print(f"    {label}: p50 {statistics.median(xs):.2f} ms, p99 {pct(xs, 0.99):.2f} ms")
    print(f"  kline close sent → order received: p50 {statistics.median(lat):.2f} ms, "
          f"p90 {pct(lat, 0.90):.2f} ms, p99 {pct(lat, 0.99):.2f} ms, max {max(lat):.2f} ms, "
          f"min {min(lat):.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
